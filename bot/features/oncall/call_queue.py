"""Starting a chain as an SMS is relayed: the calls feature's delivery hook.

A chain is queued in the transaction that books the message sent, as a reminder is, so an
SMS relayed into a chat whose policy calls always has its chain (or a take), and a send
retried after a crash queues it once. Never for a muted message (a silence, `/mute`).
A digest (several SMS in one message) makes one chain, for its first SMS: one message,
one take button, one call at a time, not one per SMS.
"""

from __future__ import annotations

from bot.features.oncall.call_plan import Policy
from bot.relay.hooks import DeliveryHook, Sent
from state import Store, calls


class ChainQueue(DeliveryHook):
    """Each SMS relayed into a chat that calls falls due for its first call `call` later."""

    def __init__(self, policies: dict[str, Policy]) -> None:
        self._policies = policies

    def booked(self, store: Store, sent: Sent) -> None:
        policy = self._policies.get(sent.target.key)
        if policy is not None and not sent.muted:
            calls.queue_chain(
                store,
                sent.target.key,
                sent.ids[:1],
                sent.message_id,
                sent.at,
                sent.at + policy.call,
            )
