"""What a failed `sendMessage` means for the SMS it carried. Pure: no I/O.

The question that matters for an on-call chat is not "what went wrong" but "may Telegram
have shown it anyway?". A refused connection or an error answer means it did not; a
timeout or a connection cut after the request left means it may have, and the retry that
follows may show the SMS twice. That case is recorded as *uncertain*.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

import httpx
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

# Transport failures that happen before the request reaches Telegram.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
INVALID_TOKEN_PAUSE = 60.0


class Verdict(Enum):
    RETRY = "retry"  # try again later (after `wait`, when given)
    MIGRATED = "migrated"  # the group became a supergroup: resend to `new_chat_id`
    PERMANENT = "permanent"  # Telegram will keep refusing: mark failed with the reason


@dataclass(frozen=True)
class SendFailure:
    verdict: Verdict
    reason: str
    maybe_delivered: bool = False
    wait: float | None = None  # seconds Telegram asked us to wait, or a fixed pause
    new_chat_id: int | None = None


def retry_after_seconds(error: RetryAfter) -> float:
    """`retry_after` in seconds, whichever form this python-telegram-bot version gives."""
    value = error._retry_after  # the timedelta behind the deprecated int/timedelta property
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def classify_send_error(error: Exception) -> SendFailure:
    """Map an exception from a send to what the relay should do about it."""
    if isinstance(error, RetryAfter):
        seconds = retry_after_seconds(error)
        return SendFailure(Verdict.RETRY, f"flood limit: retry after {seconds:g} s", wait=seconds)
    if isinstance(error, ChatMigrated):
        return SendFailure(
            Verdict.MIGRATED, f"chat migrated to {error.new_chat_id}", new_chat_id=error.new_chat_id
        )
    if isinstance(error, BadRequest | Forbidden):
        return SendFailure(Verdict.PERMANENT, f"{type(error).__name__}: {error.message}")
    if isinstance(error, InvalidToken):
        return SendFailure(
            Verdict.RETRY, "Telegram rejected the bot token", wait=INVALID_TOKEN_PAUSE
        )
    if isinstance(error, TimedOut | NetworkError):
        cause = error.__cause__
        if isinstance(error, TimedOut):
            maybe = not isinstance(cause, _NOT_SENT)
        else:
            # No transport cause: Telegram answered with an HTTP error (e.g. 502), so the
            # message was not posted. A transport error other than "could not connect"
            # may have cut the answer off after Telegram acted on the request.
            maybe = cause is not None and not isinstance(cause, _NOT_SENT)
        return SendFailure(Verdict.RETRY, f"{type(error).__name__}: {error.message}", maybe)
    if isinstance(error, TelegramError):
        return SendFailure(Verdict.RETRY, f"{type(error).__name__}: {error.message}")
    return SendFailure(Verdict.RETRY, f"unexpected error: {error!r}", maybe_delivered=True)
