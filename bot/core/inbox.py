"""What the poller needs from an SMS inbox: pages after a cursor, and errors with a policy.

The poller knows no provider. An inbox (`bot.smsc.SmscClient` is the one there is) reads
its provider's replies into `InboxPage`s and raises its provider's failures as
`InboxError`s, each carrying the `ErrorPolicy` that says how to react: how long to pause,
whether the pause grows, whether the chats are told at once, at what level to log, under
which label to count it. So no error number is ever tested outside the provider's package:
a new error code is one row in that provider's table, and the poller, the alerts and the
metrics follow it unchanged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from bot.text.i18n import N_, Phrase
from state import IncomingSms

MAX_GROWING_PAUSE = 600.0  # a growing pause doubles up to this many seconds


@dataclass(frozen=True)
class InboxPage:
    """One page of an inbox: the usable records and notes on the unusable ones."""

    records: list[IncomingSms]
    problems: list[str]  # one line per bad record or bad field, for the log
    next_cursor: int | None  # the largest ID in the page (not the last one); None if empty
    more: bool  # the page was full: another may follow after `next_cursor`


class Inbox(Protocol):
    """An SMS inbox read a page at a time, in increasing IDs."""

    async def fetch_after(self, cursor: int | None, *, hours: int) -> InboxPage:
        """The SMS with IDs above `cursor` (any ID if None) received in the last `hours`.

        Raises an `InboxError` when there is no page to give.
        """
        ...


@dataclass(frozen=True)
class ErrorPolicy:
    """How the poller reacts to one kind of inbox failure."""

    meaning: str  # what the failure means, in a few words, for the log and `check`
    metrics_label: str  # the `code` label of sms_bridge_poll_errors
    # Seconds before the next request (the first time, if `grows`). None: back off
    # exponentially with jitter from the poll interval, the way for failures that pass.
    pause: float | None = None
    grows: bool = False  # the pause doubles with each failure in a row, up to MAX_GROWING_PAUSE
    tell_chats: bool = False  # alert the chats at once: an operator must act
    notice: str = ""  # what the chats are told at once, when `tell_chats`
    log_level: int = logging.ERROR

    def __post_init__(self) -> None:
        if self.tell_chats and not self.notice:
            raise ValueError(f"{self.meaning}: tell_chats needs the notice to tell them")
        if self.grows and self.pause is None:
            raise ValueError(f"{self.meaning}: only a fixed pause can grow")

    def pause_before(self, attempt: int) -> float | None:
        """Seconds to wait after the `attempt`-th failure in a row; None: back off."""
        if self.pause is None:
            return None
        if self.grows:
            return float(min(self.pause * 2 ** (attempt - 1), MAX_GROWING_PAUSE))
        return float(self.pause)


class InboxError(Exception):
    """Reading the inbox gave no page; `policy` says what to do about it.

    The message is for the log: it names the failure, never quoting the answer. `detail`
    is the start of what the provider answered instead (a proxy's HTML page, a truncated
    reply), which may hold SMS text: the poller logs it only at DEBUG. `said` is what a
    person in a chat reads: a short line, translated, that names the kind of failure and
    nothing of the raw answer.
    """

    def __init__(
        self, message: str, policy: ErrorPolicy, said: Phrase | None = None, detail: str = ""
    ) -> None:
        super().__init__(message)
        self.policy = policy
        self.said = said or Phrase(N_("the SMS inbox could not be read"))
        self.detail = detail

    @property
    def summary(self) -> str:
        """The error and what it means, as one line for the log."""
        return f"{self} ({self.policy.meaning})"


UNEXPECTED = Phrase(N_("an unexpected error in the bridge"))


def said_of(error: BaseException) -> Phrase:
    """What a person is told about a failed poll: never the exception's own text."""
    return error.said if isinstance(error, InboxError) else UNEXPECTED
