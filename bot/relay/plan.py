"""What a chat's relay sends next: one SMS, or a digest of a backlog. Pure: no I/O.

Backlogs: when a chat's queue holds more SMS than it can take one per message within a
minute (20 for a group, 60 for a private chat, or RELAY_DIGEST_THRESHOLD), consecutive SMS
are packed into digest messages of up to 4096 characters, each SMS whole with its sender
and time; each is still its own delivery, recorded sent with the digest's message ID.
Once in a backlog, a chat stays on digests until its queue is empty: sending the tail of
a backlog one SMS per message would spend the minute's budget that a digest saves. Live
traffic (a queue that never grew past the threshold) stays one message per SMS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.routing.quiet import quiet_at
from bot.text.formatting import ENTRY_SEPARATOR, TEXT_LIMIT, pack_entries
from bot.text.sms_view import Look, digest_header, entry_atoms, render_sms
from state import PendingDelivery

GROUP_PER_MINUTE = 20  # Telegram: messages a minute into one group
PRIVATE_PER_MINUTE = 60  # Telegram: about one message a second into one chat
DIGEST_HEAD = 200  # SMS considered for one digest message (far more than fit)
DIGEST_HEADER_RESERVE = 200  # room kept in each digest message for digest_header()


def default_digest_threshold(chat_id: int) -> int:
    """Queue length above which a chat gets digests: what it can take in one minute."""
    return GROUP_PER_MINUTE if chat_id < 0 else PRIVATE_PER_MINUTE


def in_backlog(queued: int, threshold: int, was_in_backlog: bool) -> bool:
    """Whether a chat with `queued` SMS waiting is draining a backlog (threshold 0: never)."""
    if queued == 0:
        return False
    return was_in_backlog or queued > threshold > 0


def head_size(queued: int, backlog: bool) -> int:
    """How many queued SMS to read for the next plan."""
    return DIGEST_HEAD if backlog and queued > 1 else 1


@dataclass(frozen=True)
class Plan:
    """The next message(s) for one chat, and the deliveries they carry."""

    deliveries: tuple[PendingDelivery, ...]
    texts: tuple[str, ...]  # HTML, each within Telegram's limit; several for a long SMS

    @property
    def ids(self) -> list[int]:
        return [delivery.sms.smsc_id for delivery in self.deliveries]

    def silent_at(self, moment: datetime, zone: ZoneInfo) -> bool:
        """Sent at `moment` without a notification sound: only if every SMS in it is to be
        silent then (its route's `silent`, or its quiet hours on the clock of `zone`)."""
        return all(
            delivery.silent or quiet_at(delivery.quiet, moment, zone)
            for delivery in self.deliveries
        )


def _alone(delivery: PendingDelivery, look: Look, limit: int) -> Plan:
    """One SMS as its own message(s); a resend after an uncertain send says so."""
    texts = render_sms(delivery.sms, look, repeat=delivery.uncertain > 0, limit=limit)
    return Plan((delivery,), tuple(texts))


def plan_next(
    head: Sequence[PendingDelivery],
    queued: int,
    backlog: bool,
    look: Look,
    limit: int = TEXT_LIMIT,
) -> Plan:
    """One SMS as its own message, or, in a backlog, as many whole SMS as one digest holds.

    `limit` is less than Telegram's when room must stay for a line added later (who took it).
    """
    if not backlog or len(head) == 1:
        return _alone(head[0], look, limit)
    entries = [entry_atoms(d.sms, look, note=" ↻" if d.uncertain else "") for d in head]
    first = pack_entries(entries, limit, reserve=DIGEST_HEADER_RESERVE)[0]
    members = tuple(head[index] for index in first.entries)
    if len(members) == 1:  # one SMS filling a message alone: send it the usual way
        return _alone(members[0], look, limit)
    header = digest_header(
        members[0].sms, members[-1].sms, len(members), queued - len(members), look
    )
    return Plan(members, (header + ENTRY_SEPARATOR + first.html,))
