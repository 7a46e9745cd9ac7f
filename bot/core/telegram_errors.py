"""What a failed `sendMessage` means for the SMS it carried. Pure: no I/O.

The question that matters for an on-call chat is not "what went wrong" but "may Telegram
have shown it anyway?". A refused connection or an error answer means it did not; a
timeout or a connection cut after the request left means it may have, and the retry that
follows may show the SMS twice. That case is recorded as *uncertain*.

A refusal is about the chat or about one message, and only the first may stop a chat.
Telegram refuses the *chat* when the bot was removed or blocked, the chat or topic is
gone or closed, or the bot may not write there: every 403, and the 400s named in
`_ABOUT_THE_CHAT`. Any other 400 refuses *this message* as written (too long, entities
that do not parse, the message to edit or reply to gone, and whatever Telegram adds
next): the same message in another form goes through, and the chat's queue goes on.
Failing a whole chat on a 400 it did not mean would stop every SMS after it, an alert
would say the chat refuses, and `retry-failed` would rebuild the same message.
"""

from __future__ import annotations

import re
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

from bot.text.i18n import N_, _

# Transport failures that happen before the request reaches Telegram.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
INVALID_TOKEN_PAUSE = 60.0


class Verdict(Enum):
    RETRY = "retry"  # try again later (after `wait`, when given)
    MIGRATED = "migrated"  # the group became a supergroup: resend to `new_chat_id`
    CHAT_REFUSES = "chat_refuses"  # the chat refuses the bot for good: fail its queue
    MESSAGE_REFUSED = "message_refused"  # this message, as written: fit it, or give it up
    UNCHANGED = "unchanged"  # an edit to what the message shows already: nothing to do


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
    if isinstance(error, Forbidden):  # a 403 is about the chat, whatever it says
        return SendFailure(Verdict.CHAT_REFUSES, f"Forbidden: {error.message}")
    if isinstance(error, BadRequest):
        reason = f"BadRequest: {error.message}"
        if _UNCHANGED.search(error.message):
            return SendFailure(Verdict.UNCHANGED, reason)
        if any(pattern.search(error.message) for pattern, _text in _ABOUT_THE_CHAT):
            return SendFailure(Verdict.CHAT_REFUSES, reason)
        return SendFailure(Verdict.MESSAGE_REFUSED, reason)
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


def _patterns(*pairs: tuple[str, str]) -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(pattern, re.IGNORECASE), text) for pattern, text in pairs)


# Telegram's words that refuse the chat rather than one message (a 403 always does), with
# what a person reads about each. Telegram's own words ("Forbidden: bot was kicked from
# the supergroup chat") are for the log: they stay English whatever UI_LANGUAGE says.
_ABOUT_THE_CHAT = _patterns(
    (r"kicked|not a member|bot was removed", N_("the bot was removed from the chat")),
    (r"blocked by the user", N_("the person blocked the bot")),
    (r"user is deactivated", N_("the person's Telegram account was deleted")),
    (r"initiate conversation", N_("the person has not started a chat with the bot")),
    (
        r"chat not found|PEER_ID_INVALID|CHANNEL_PRIVATE|group chat was deactivated",
        N_("the chat was not found"),
    ),
    (
        r"rights|CHAT_WRITE_FORBIDDEN|CHAT_RESTRICTED|CHAT_SEND_|CHAT_ADMIN_REQUIRED",
        N_("the bot is not allowed to write in the chat"),
    ),
    (
        r"thread not found|TOPIC_CLOSED|TOPIC_DELETED|TOPIC_ID_INVALID",
        N_("the topic was closed or deleted"),
    ),
)
_UNCHANGED = re.compile(r"message is not modified", re.IGNORECASE)

# What fixes a refusing chat, by the same words, and who can do it: a closed topic is
# reopened, a person who blocked the bot or never pressed Start presses it, a right is
# granted; "add the bot back" only where the bot was removed. The first pattern found wins.
_NEXT_STEPS = _patterns(
    (
        r"kicked|not a member|bot was removed",
        N_("Add the bot back to the chat (a chat admin can)."),
    ),
    (
        r"blocked by the user",
        N_("The person must unblock the bot and press Start in their chat with it."),
    ),
    (
        r"user is deactivated",
        N_("That account is gone: the admin should take the chat out of the settings."),
    ),
    (
        r"initiate conversation",
        N_("The person must open a chat with the bot and press Start."),
    ),
    (
        r"chat not found|PEER_ID_INVALID|CHANNEL_PRIVATE|group chat was deactivated",
        N_("Add the bot to the chat again, or ask the admin to check the chat's ID."),
    ),
    (
        r"rights|CHAT_WRITE_FORBIDDEN|CHAT_RESTRICTED|CHAT_SEND_|CHAT_ADMIN_REQUIRED",
        N_("Let the bot send messages there (a chat admin can)."),
    ),
    (
        r"thread not found|TOPIC_CLOSED|TOPIC_DELETED|TOPIC_ID_INVALID",
        N_("Reopen the topic (a chat admin can), or ask the admin to choose another one."),
    ),
)
ANY_REFUSAL_STEP = N_("Check that the bot is in the chat and may write there (a chat admin can).")

# What a person reads about a failed write, by the reason `classify_send_error` gave (also
# as stored with a failed delivery); an unexpected error's text is a Python repr. The first
# pattern found wins.
_FOR_PEOPLE = _ABOUT_THE_CHAT + _patterns(
    (r"^chat migrated", N_("the group became a supergroup")),
    (r"^flood limit", N_("Telegram asked the bot to slow down")),
    (r"bot token", N_("Telegram refused the bot token")),
    (r"^TimedOut", N_("Telegram did not answer in time")),
    (r"^NetworkError", N_("no connection to Telegram")),
    (r"^(BadRequest|Forbidden)", N_("Telegram refused the message")),
)
UNEXPECTED_FAILURE = N_("an unexpected error in the bridge")


def refuses_the_chat(reason: str) -> bool:
    """Whether a failure `reason` (as stored with a failed delivery, by this release or an
    earlier one, which failed a chat on any 400) was the chat refusing the bot."""
    about_the_chat = (pattern.search(reason) for pattern, _text in _ABOUT_THE_CHAT)
    return reason.startswith("Forbidden") or any(about_the_chat)


def reason_for_people(reason: str) -> str:
    """A write's failure `reason` (from `classify_send_error`) as a short translated line
    a person can act on; the raw reason goes to the log only."""
    for pattern, text in _FOR_PEOPLE:
        if pattern.search(reason):
            return _(text)
    return _(UNEXPECTED_FAILURE)


def next_step_for_people(reason: str) -> str:
    """What fixes a chat that refuses the bot for `reason` (as stored with a failed
    delivery), and who can do it, as one translated sentence."""
    for pattern, text in _NEXT_STEPS:
        if pattern.search(reason):
            return _(text)
    return _(ANY_REFUSAL_STEP)
