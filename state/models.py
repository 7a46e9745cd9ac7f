"""The records that cross the store's boundary. Plain data; no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple


class IncomingSms(NamedTuple):
    """An SMS as read from the SMSC inbox, validated, times in UTC.

    A NamedTuple rather than a frozen dataclass: as immutable, and several times cheaper
    to build, which matters when a page of 1,000 records or a history answer of thousands
    of rows is converted.
    """

    smsc_id: int
    sender: str
    recipient: str
    text: str
    received_at: datetime  # when SMSC received it
    sent_at: datetime | None = None  # when the subscriber's phone sent it, if SMSC says
    damaged: bool = False  # unreadable characters in it were replaced by U+FFFD


class StoredSms(NamedTuple):
    """An SMS as kept in the database (a NamedTuple for the reason IncomingSms is)."""

    smsc_id: int
    sender: str
    recipient: str
    text: str
    received_at: datetime
    sent_at: datetime | None
    fetched_at: datetime
    label: str | None = None  # the label of the route that took it (ROUTES_FILE)
    damaged: bool = False  # unreadable characters in it were replaced by U+FFFD


class Placement(NamedTuple):
    """Where one new SMS goes, decided by the caller as it is stored. Plain data.

    `deliveries` are the target keys to queue it for, each with whether it goes without a
    notification sound; `visible_to` the chat IDs whose history shows it (an SMS visible
    to none is still in the unfiltered history, such as an allowed user's private chat);
    `route` and `label` are kept with the SMS as given; `quiet` the quiet hours of some
    of the deliveries' targets, by key, as text the relay reads; `collapse` the seconds
    within which a repeat folds into the message shown, by key. The store knows no
    routing rule: it writes what it is handed, in the transaction that stores the SMS.
    """

    deliveries: tuple[tuple[str, bool], ...] = ()
    visible_to: tuple[str, ...] = ()
    route: str | None = None
    label: str | None = None
    quiet: tuple[tuple[str, str], ...] = ()
    collapse: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class KeptAside:
    """An SMS the database refused, kept aside in a table of its own (`kept_aside`)."""

    smsc_id: int
    kind: str  # the kind of error (`sqlite3.IntegrityError`); its words are in the table


@dataclass(frozen=True)
class Saved:
    """What became of a page of new SMS: stored, or kept aside."""

    stored: list[int]  # SMSC IDs of the SMS stored, queued and placed
    kept_aside: list[KeptAside]
    too_old: list[int] = field(
        default_factory=list
    )  # older than RETENTION_DAYS, no chat to get them: not stored


class SmsNotStored(Exception):
    """An SMS could be neither stored nor kept aside: the database itself fails."""

    def __init__(self, smsc_id: int, kind: str) -> None:
        super().__init__(f"SMS {smsc_id} could be neither stored nor kept aside ({kind})")
        self.smsc_id = smsc_id


class DeliveryStatus(StrEnum):
    """Where one SMS stands with one chat.

    PENDING waits for its turn; SENDING has been handed to Telegram and has no answer yet
    (after a crash it means "possibly sent"); SENT carries the Telegram message ID; FAILED
    carries the reason Telegram refused for good.
    """

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class PendingDelivery:
    """One SMS waiting to go to one chat."""

    sms: StoredSms
    chat: str
    uncertain: int
    silent: bool = False  # sent without a notification sound (a route's `silent = true`)
    quiet: str | None = None  # and in these hours (a route's `quiet`, `bot.routing.quiet`)
    collapse: int | None = None  # seconds a repeat folds into the message shown (`collapse`)


@dataclass(frozen=True)
class ChatQueue:
    """Delivery counts for one chat, for /status and metrics."""

    chat: str
    pending: int = 0
    failed: int = 0
    uncertain: int = 0
    last_error: str | None = None
