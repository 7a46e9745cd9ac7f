"""What a failed send means: retry, wait, follow a migration, or give up on that chat."""

from __future__ import annotations

import httpx
import pytest
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.telegram_errors import Verdict, classify_send_error


def caused(error: Exception, cause: Exception) -> Exception:
    error.__cause__ = cause
    return error


def test_retry_after_is_exact() -> None:
    failure = classify_send_error(RetryAfter(7))
    assert failure.verdict is Verdict.RETRY and failure.wait == 7 and not failure.maybe_delivered


def test_migration_gives_the_new_chat() -> None:
    failure = classify_send_error(ChatMigrated(-100999))
    assert failure.verdict is Verdict.MIGRATED and failure.new_chat_id == -100999


@pytest.mark.parametrize("error", [Forbidden("bot was kicked"), BadRequest("Chat not found")])
def test_refusals_are_permanent(error: Exception) -> None:
    assert classify_send_error(error).verdict is Verdict.PERMANENT


@pytest.mark.parametrize(
    ("error", "maybe"),
    [
        (caused(NetworkError("x"), httpx.ConnectError("refused")), False),
        (caused(TimedOut(), httpx.ConnectTimeout("slow connect")), False),
        (caused(TimedOut(), httpx.PoolTimeout("pool")), False),
        (NetworkError("Bad Gateway"), False),  # Telegram answered 502: nothing posted
        (caused(TimedOut(), httpx.ReadTimeout("no answer")), True),
        (caused(NetworkError("x"), httpx.RemoteProtocolError("cut")), True),
        (caused(NetworkError("x"), httpx.ReadError("reset")), True),
    ],
)
def test_whether_telegram_may_have_posted_it(error: Exception, maybe: bool) -> None:
    failure = classify_send_error(error)
    assert failure.verdict is Verdict.RETRY and failure.maybe_delivered is maybe
