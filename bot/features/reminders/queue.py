"""Queueing a reminder as an SMS is relayed: the reminders feature's delivery hook.

A reminder is queued in the transaction that books the message sent, so an SMS booked
in a group always has its reminder (or a take), and a send retried after a crash queues
it once. Groups only, like the take buttons a reminder asks people to press; never for a
muted message (a silence, `/mute`).
"""

from __future__ import annotations

from datetime import timedelta

from bot.relay.hooks import DeliveryHook, Sent
from state import Store, oncall


class ReminderQueue(DeliveryHook):
    """Each SMS relayed into a group falls due for a reminder ESCALATE_AFTER later."""

    def __init__(self, after: float) -> None:
        self._after = timedelta(seconds=after)

    def booked(self, store: Store, sent: Sent) -> None:
        if sent.target.in_group and not sent.muted:
            oncall.queue_reminders(store, sent.target.key, sent.ids, sent.at + self._after)
