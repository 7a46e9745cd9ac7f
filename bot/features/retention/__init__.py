"""Retention: SMS, replies and records kept aside are deleted after RETENTION_DAYS."""
