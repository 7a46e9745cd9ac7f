"""Reminders: a chat is told again about an SMS nobody took within ESCALATE_AFTER."""
