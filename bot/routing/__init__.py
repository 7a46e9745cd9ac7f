"""Placement: which chats (and topics) get an SMS, decided by ROUTES before it is stored."""
