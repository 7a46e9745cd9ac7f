"""What a failed send means: retry, wait, follow a migration, or give up on that chat."""

from __future__ import annotations

import httpx
import pytest
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.core.telegram_errors import (
    Verdict,
    classify_send_error,
    reason_for_people,
    refuses_the_chat,
)
from bot.text.i18n import in_language
from tests.fakes.telegram import NOT_MODIFIED


def caused(error: Exception, cause: Exception) -> Exception:
    error.__cause__ = cause
    return error


def test_retry_after_is_exact() -> None:
    failure = classify_send_error(RetryAfter(7))
    assert failure.verdict is Verdict.RETRY and failure.wait == 7 and not failure.maybe_delivered


def test_migration_gives_the_new_chat() -> None:
    failure = classify_send_error(ChatMigrated(-100999))
    assert failure.verdict is Verdict.MIGRATED and failure.new_chat_id == -100999


# Telegram's own descriptions, as its Bot API answers them (python-telegram-bot drops the
# "Bad Request: " in front of a 400's and keeps the "Forbidden: " of a 403's).
ABOUT_THE_CHAT = [
    Forbidden("Forbidden: bot was kicked from the supergroup chat"),
    Forbidden("Forbidden: bot was kicked from the group chat"),
    Forbidden("Forbidden: bot is not a member of the supergroup chat"),
    Forbidden("Forbidden: bot was blocked by the user"),
    Forbidden("Forbidden: user is deactivated"),
    Forbidden("Forbidden: bot can't initiate conversation with a user"),
    Forbidden("Forbidden: bot can't send messages to bots"),
    Forbidden("Forbidden: not enough rights to send text messages to the chat"),
    Forbidden("Forbidden: something Telegram adds one day"),  # a 403 is always the chat's
    BadRequest("Bad Request: chat not found"),
    BadRequest("Bad Request: not enough rights to send text messages to the chat"),
    BadRequest("Bad Request: have no rights to send a message"),
    BadRequest("Bad Request: need administrator rights in the channel chat"),
    BadRequest("Bad Request: CHAT_WRITE_FORBIDDEN"),
    BadRequest("Bad Request: CHAT_RESTRICTED"),
    BadRequest("Bad Request: CHAT_SEND_PLAIN_FORBIDDEN"),
    BadRequest("Bad Request: CHAT_ADMIN_REQUIRED"),
    BadRequest("Bad Request: message thread not found"),
    BadRequest("Bad Request: TOPIC_CLOSED"),
    BadRequest("Bad Request: TOPIC_DELETED"),
    BadRequest("Bad Request: PEER_ID_INVALID"),
    BadRequest("Bad Request: group chat was deactivated"),
]
ABOUT_ONE_MESSAGE = [
    BadRequest("Bad Request: message is too long"),
    BadRequest("Bad Request: MESSAGE_TOO_LONG"),  # editMessageText's words for it
    BadRequest('Bad Request: can\'t parse entities: Unsupported start tag "foo" at byte offset 12'),
    BadRequest(
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""
    ),
    BadRequest("Bad Request: message to edit not found"),
    BadRequest("Bad Request: message to be replied not found"),
    BadRequest("Bad Request: message can't be edited"),
    BadRequest("Bad Request: message text is empty"),
    BadRequest("Bad Request: text must be non-empty"),
    BadRequest("Bad Request: BUTTON_DATA_INVALID"),
    BadRequest("Bad Request: reply markup is too long"),
    BadRequest("Bad Request: ENTITY_TEXT_INVALID"),
    BadRequest("Bad Request: something Telegram adds one day"),  # not known to be the chat's
]


@pytest.mark.parametrize("error", ABOUT_THE_CHAT)
def test_only_what_is_about_the_chat_refuses_the_chat(error: Exception) -> None:
    failure = classify_send_error(error)
    assert failure.verdict is Verdict.CHAT_REFUSES and not failure.maybe_delivered


@pytest.mark.parametrize("error", ABOUT_ONE_MESSAGE)
def test_any_other_bad_request_refuses_that_message_only(error: Exception) -> None:
    failure = classify_send_error(error)
    assert failure.verdict is Verdict.MESSAGE_REFUSED and not failure.maybe_delivered
    assert failure.reason.startswith("BadRequest: ")  # the log and /status say what it was


def test_a_stored_reason_says_whether_the_chat_refused_also_from_an_older_release() -> None:
    for error in ABOUT_THE_CHAT:
        assert refuses_the_chat(classify_send_error(error).reason), error
    for error in ABOUT_ONE_MESSAGE:
        assert not refuses_the_chat(classify_send_error(error).reason), error
    # As an earlier release stored them (it failed a chat on any 400):
    assert refuses_the_chat("Forbidden: bot was kicked")
    assert refuses_the_chat("BadRequest: Chat not found")
    assert not refuses_the_chat("BadRequest: Message is too long")


def test_an_edit_to_what_a_message_shows_already_changes_nothing() -> None:
    assert classify_send_error(BadRequest(NOT_MODIFIED)).verdict is Verdict.UNCHANGED


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
        (KeyError("chat_id"), "непредвиденная ошибка в боте"),
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
