"""What a failed send means: retry, wait, follow a migration, or give up on that chat."""

from __future__ import annotations

import httpx
import pytest
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.i18n import in_language
from bot.telegram_errors import Verdict, classify_send_error, reason_for_people


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


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (Forbidden("Forbidden: bot was kicked from the supergroup chat"), "бота удалили из чата"),
        (Forbidden("Forbidden: bot is not a member of the channel chat"), "бота удалили из чата"),
        (BadRequest("Bad Request: chat not found"), "чат не найден"),
        (Forbidden("Forbidden: bot was blocked by the user"), "пользователь заблокировал бота"),
        (BadRequest("Bad Request: not enough rights to send text messages"), "боту запрещено"),
        (BadRequest("Bad Request: message thread not found"), "тема закрыта или удалена"),
        (BadRequest("Bad Request: can't parse entities"), "Telegram не принял сообщение"),
        (RetryAfter(7), "Telegram просит бота писать реже"),
        (caused(TimedOut(), httpx.ReadTimeout("no answer")), "Telegram не ответил вовремя"),
        (caused(NetworkError("x"), httpx.ConnectError("refused")), "нет связи с Telegram"),
        (KeyError("chat_id"), "непредвиденная ошибка в мосте"),
    ],
)
def test_a_failure_reaches_people_as_what_it_means_never_as_telegrams_words(
    error: Exception, said: str
) -> None:
    reason = classify_send_error(error).reason  # what the log and the database keep
    with in_language("ru"):
        assert reason_for_people(reason).startswith(said)
    with in_language("en"):
        english = reason_for_people(reason)
    assert not any(raw in english for raw in ("Forbidden", "Bad Request", "KeyError", "kicked"))


def test_a_reason_stored_by_an_older_release_reads_the_same() -> None:
    with in_language("en"):
        assert reason_for_people("Forbidden: bot was kicked") == "the bot was removed from the chat"
        assert reason_for_people("BadRequest: Chat not found") == "the chat was not found"
