"""Reminders: a chat is told again about an SMS nobody took within ESCALATE_AFTER.

`queue` is the relay's hook that queues each reminder as its SMS is booked sent;
`reminders` sends those that fell due.
"""
