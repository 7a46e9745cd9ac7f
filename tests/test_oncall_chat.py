"""The on-call team's side in process: presses and /oncall through the bridge's real
handlers, python-telegram-bot and the fake Bot API.

Each press or message is the update the fake makes for it, handed to the application as
polling would; the answers (`answerCallbackQuery`) and messages are what the fake received.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from telegram import Update
from telegram.ext import CallbackContext

from bot.app.settings import Settings
from bot.app.wiring import Parts, build_parts
from bot.chat.guard import error_handler
from bot.core.bridge_state import BridgeStatus
from bot.core.database import AsyncStore
from bot.core.health import HealthMonitor, HealthRules
from bot.core.metrics import Metrics
from state import IncomingSms, Store, deliveries, messages, oncall, outgoing
from state.oncall import Person
from state.outgoing import Draft, OutgoingState
from state.retention import purge_batch
from tests.fakes.telegram import TOKEN, Answer, FakeTelegram, SentMessage
from tests.fakes.wait import eventually

GROUP, ANNA = -1001, 1001
OTHER, BORIS = -1002, 1002  # another team's group, and someone of the first
FAILED = "⚠️ That failed on the bridge's side; try again in a moment."
NOT_HERE = "This button does not belong here."


@dataclass
class Rig:
    store: Store
    parts: Parts
    telegram: FakeTelegram

    def relayed(
        self, smsc_id: int, message_id: int, key: str = str(GROUP), chat_id: int = GROUP
    ) -> SentMessage:
        """An SMS relayed to target `key` as `message_id` in `chat_id`, as the relay books it."""
        sms = IncomingSms(smsc_id, "79261234567", "79031234567", "Boiler 3", datetime.now(UTC))
        messages.save_incoming(self.store, [sms], [key])
        deliveries.mark_sent(
            self.store,
            key,
            [smsc_id],
            message_id,
            also=lambda store: oncall.file_shown(store, key, message_id, "Boiler 3"),
        )
        return SentMessage(chat_id, message_id, "Boiler 3", "Boiler 3", "HTML", None, 0.0)

    async def press(
        self, message: SentMessage, data: str, user_id: int = ANNA, name: str = "Anna"
    ) -> tuple[str, Update]:
        """Anna presses a button with `data` on `message`; returns the query and its update."""
        query = self.telegram.user_presses(message, user_id=user_id, name=name, data=data)
        update = Update.de_json(self.telegram.updates[-1], self.parts.application.bot)
        await self.parts.application.process_update(update)
        return query, update

    async def says(self, text: str, user_id: int, name: str) -> SentMessage:
        """Someone writes `text` in the group; returns the bot's answer."""
        before = len(self.telegram.messages(GROUP))
        self.telegram.user_sends(GROUP, text, user_id=user_id, name=name)
        update = Update.de_json(self.telegram.updates[-1], self.parts.application.bot)
        await self.parts.application.process_update(update)
        [answer] = self.telegram.messages(GROUP)[before:]
        return answer

    def answer(self, query: str) -> Answer:
        answer = self.telegram.answer_to(query)
        assert answer is not None, "the press was not answered"
        assert answer.after is not None and answer.after < 1.0
        return answer


@pytest.fixture(params=[{}], ids=["defaults"])
async def rig(
    tmp_path: Path, telegram: FakeTelegram, request: pytest.FixtureRequest
) -> AsyncIterator[Rig]:
    """The bridge's parts for one group, with the settings a test's parameter gives."""
    store = Store.open(tmp_path / "bridge.db")
    db = AsyncStore(store)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        telegram_bot_token=TOKEN,
        telegram_base_url=telegram.base_url,
        smsc_login="acme",
        smsc_password="pw",
        **{"telegram_chat_ids": str(GROUP), **request.param},
    )
    health = HealthMonitor(BridgeStatus(), HealthRules(30, 300))
    parts = build_parts(settings, db, health, Metrics())
    await parts.application.initialize()
    yield Rig(store, parts, telegram)
    await parts.application.shutdown()
    db.close()


async def test_a_press_that_fails_is_answered_in_a_pop_up_and_nothing_is_posted(
    rig: Rig, telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    message = rig.relayed(7, 50)
    rig.store.conn.execute("DROP TABLE takes")  # the database fails under the press
    query, _update = await rig.press(message, "t:7")
    answer = rig.answer(query)
    assert (answer.text, answer.alert) == (FAILED, True)
    assert telegram.messages(GROUP) == []  # no "That failed" reply to the relayed SMS
    [failure] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert failure.getMessage() == f"a press by user {ANNA} in chat {GROUP} failed (button 't:7')"
    assert failure.exc_info is not None and "no such table" in str(failure.exc_info[1])


async def test_a_failure_reaching_the_error_handler_from_a_press_is_a_pop_up_too(
    rig: Rig, telegram: FakeTelegram
) -> None:
    message = rig.relayed(7, 50)
    query, update = await rig.press(message, "t:7")  # taken: answered "It is yours"
    context = CallbackContext.from_error(update, RuntimeError("boom"), rig.parts.application)
    await error_handler(update, context)
    assert [a.text for a in telegram.answers if a.query_id == query][-1] == FAILED
    assert telegram.messages(GROUP) == []


async def test_presses_turned_away_are_logged_with_who_where_and_the_button(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.chat.dispatcher")  # a button no kind reads
    caplog.set_level(logging.INFO, logger="bot.features.oncall.presses")
    message = rig.relayed(7, 50)
    rig.relayed(8, 51)
    unreadable, _update = await rig.press(message, "garbage:x")
    assert rig.answer(unreadable).text == "This button no longer works."
    assert purge_batch(rig.store, datetime.now(UTC) + timedelta(days=1)) == 1  # SMS 7 goes
    gone, _update = await rig.press(message, "t:7")
    assert rig.answer(gone).text == "This SMS is no longer kept."
    turned_away = ("bot.chat.dispatcher", "bot.features.oncall.presses")
    lines = [r.getMessage() for r in caplog.records if r.name in turned_away]
    assert lines == [
        f"turned away a press by user {ANNA} in chat {GROUP}: button 'garbage:x' no longer works",
        f"turned away a press by user {ANNA} in chat {GROUP}: button 't:7', its SMS no longer kept",
    ]


async def test_oncall_lists_who_is_on_duty_by_name_without_notifying_them(rig: Rig) -> None:
    await rig.says("/oncall me", ANNA, "Anna <3")
    await rig.says("/oncall me", 1002, "Boris")
    listed = await rig.says("/oncall", 1003, "Vera")
    assert listed.plain == "On duty here: Anna <3, Boris"
    assert listed.text == "On duty here: Anna &lt;3, Boris"  # no tg://user mention


async def test_oncall_takes_the_russian_words_its_help_shows(rig: Rig) -> None:
    """The Russian /help shows `/oncall [я|выкл]`: both words work, whatever UI_LANGUAGE."""
    await rig.says("/oncall я", ANNA, "Anna")
    assert (await rig.says("/oncall", 1003, "Vera")).plain == "On duty here: Anna"
    assert (await rig.says("/oncall выкл", ANNA, "Anna")).plain == "You are off duty here."
    nobody = await rig.says("/oncall", 1003, "Vera")
    assert nobody.plain == "Nobody is on duty here. To go on duty: /oncall me"


@pytest.mark.parametrize(
    "rig", [{}, {"oncall_buttons": "false"}], ids=["buttons", "ONCALL_BUTTONS=false"], indirect=True
)
async def test_relayed_messages_carry_a_take_button_unless_oncall_buttons_is_false(
    rig: Rig, telegram: FakeTelegram, request: pytest.FixtureRequest
) -> None:
    buttons = not request.node.callspec.params["rig"]
    sms = IncomingSms(7, "79261234567", "79031234567", "Door 2 opened", datetime.now(UTC))
    messages.save_incoming(rig.store, [sms], [str(GROUP)])
    relaying = asyncio.create_task(rig.parts.relay.run())
    try:
        await eventually(lambda: telegram.messages(GROUP), what="the SMS relayed")
    finally:
        rig.parts.relay.stop.set()
        await asyncio.wait_for(relaying, 10)
    [message] = telegram.messages(GROUP)
    assert (message.markup is not None) is buttons
    running = [feature.name for feature in rig.parts.features]
    assert ("oncall" in running) is buttons  # and presses have nothing to reach


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "bot.chat.presses" and r.levelno == logging.WARNING
    ]


@pytest.mark.parametrize("rig", [{"telegram_chat_ids": f"{GROUP},{OTHER}"}], indirect=True)
async def test_a_forged_press_from_another_group_is_refused_and_reveals_no_taker(
    rig: Rig, telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    """Button data comes from the client: a member of OTHER names SMS 7, routed only to
    GROUP, on a message of OTHER's own, to take it (silencing GROUP's reminder) or to
    learn who holds it."""
    theirs = rig.relayed(7, 50)
    mine = rig.relayed(8, 60, key=str(OTHER), chat_id=OTHER)
    held, _update = await rig.press(theirs, "t:7", user_id=BORIS, name="Boris")
    assert rig.answer(held).text == "✋ It is yours."
    # On a message of OTHER that carries no SMS the answer is the one a purged SMS gets:
    # whether SMS 7 is stored at all is not told either.
    unknown = SentMessage(OTHER, 61, "a note", "a note", "HTML", None, 0.0)
    for message, data, told in [
        (mine, "t:7", NOT_HERE),
        (mine, "r:7", NOT_HERE),
        (mine, "td:6:7", NOT_HERE),
        (unknown, "t:7", "This SMS is no longer kept."),
        (unknown, "r:7", "This SMS is no longer kept."),
    ]:
        query, _update = await rig.press(message, data)
        answer = rig.answer(query)
        assert (answer.text, answer.alert) == (told, True), data
        assert refusals(caplog)[-1] == (
            f"refused a press by user {ANNA} in chat {OTHER} on message {message.message_id}: "
            f"button {data!r} does not belong there"
        )
    takes = oncall.takes_of(rig.store, [7, 8])
    assert {i: t.by.name for i, t in takes.items()} == {7: "Boris"}  # 8 is not taken either
    assert not any("Boris" in a.text for a in telegram.answers if a.text != "✋ It is yours.")


async def test_a_press_on_a_message_that_does_not_carry_its_sms_is_refused(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = rig.relayed(7, 50), rig.relayed(8, 51)
    query, _update = await rig.press(second, "t:7")  # SMS 7 is message 50's
    assert rig.answer(query).text == NOT_HERE
    assert oncall.takes_of(rig.store, [7, 8]) == {}
    assert refusals(caplog) == [
        f"refused a press by user {ANNA} in chat {GROUP} on message 51: "
        "button 't:7' does not belong there"
    ]
    query, _update = await rig.press(first, "t:7")
    assert rig.answer(query).text == "✋ It is yours."


@pytest.mark.parametrize("rig", [{"telegram_chat_ids": f"{GROUP}:5"}], indirect=True)
async def test_a_press_in_a_forum_topic_takes_its_sms(rig: Rig) -> None:
    message = rig.relayed(7, 50, key=f"{GROUP}:5")
    query, _update = await rig.press(message, "t:7")
    assert rig.answer(query).text == "✋ It is yours."
    query, _update = await rig.press(message, "r:7")
    assert rig.answer(query).text == "↩️ Released: anyone may take it now."


async def test_presses_in_a_group_that_became_a_supergroup_take_its_sms(rig: Rig) -> None:
    """Messages from before the move stay under the old chat ID; those after it come
    from the new one; both are the configured group's."""
    before = rig.relayed(7, 50)
    gateway = rig.parts.chats.configured(GROUP)
    assert gateway is not None
    gateway.chat_id = moved = -100999  # the group became a supergroup
    after = rig.relayed(8, 3, chat_id=moved)  # booked under the configured ID, as the relay does
    for message, data in [(before, "t:7"), (after, "t:8")]:
        query, _update = await rig.press(message, data)
        assert rig.answer(query).text == "✋ It is yours.", data
    query, _update = await rig.press(after, "t:7")  # SMS 7 is not that message's
    assert rig.answer(query).text == NOT_HERE


def preview(rig: Rig, message_id: int | None, chat: str = str(GROUP)) -> int:
    """Anna's preview of an SMS to send, shown as `message_id` (None: not booked yet);
    returns its ID."""
    draft = Draft("79261112233", "Call me", None, 1, chat, None, None, Person(ANNA, "Anna"))
    now = datetime.now(UTC)
    out = outgoing.create_preview(rig.store, draft, now, now + timedelta(minutes=10))
    if message_id is not None:
        outgoing.set_preview_message(rig.store, out.id, message_id)
    return out.id


def state_of(rig: Rig, outgoing_id: int) -> OutgoingState:
    out = outgoing.get(rig.store, outgoing_id)
    assert out is not None
    return out.state


REPLIES = {
    "telegram_chat_ids": f"{GROUP},{OTHER}",
    "sms_reply_user_ids": f"{ANNA},{BORIS}",
    "smsc_base_url": "http://127.0.0.1:9",  # nothing there: no send may ever leave a test
}


@pytest.mark.parametrize("rig", [REPLIES], indirect=True)
async def test_send_and_cancel_act_only_on_their_own_preview_message(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    """A preview's Send names it by ID: pressed anywhere but on that preview, in its chat,
    it does nothing and does not say whose it is."""
    sms = preview(rig, 70)
    elsewhere = [
        (SentMessage(OTHER, 70, "x", "x", "HTML", None, 0.0), ANNA),  # another chat
        (SentMessage(GROUP, 71, "x", "x", "HTML", None, 0.0), ANNA),  # another message
        (SentMessage(OTHER, 90, "x", "x", "HTML", None, 0.0), BORIS),  # not "only Anna may"
    ]
    for message, user in elsewhere:
        for verb in ("send", "cancel", "again"):
            query, _update = await rig.press(message, f"sms:{verb}:{sms}", user_id=user)
            answer = rig.answer(query)
            assert (answer.text, answer.alert) == (NOT_HERE, True), (message, verb)
            assert refusals(caplog)[-1] == (
                f"refused a press by user {user} in chat {message.chat_id} on message "
                f"{message.message_id}: button 'sms:{verb}:{sms}' does not belong there"
            )
    assert state_of(rig, sms) is OutgoingState.PREVIEW
    own = SentMessage(GROUP, 70, "x", "x", "HTML", None, 0.0)
    query, _update = await rig.press(own, f"sms:cancel:{sms}")
    assert rig.answer(query).text == "Cancelled."
    assert state_of(rig, sms) is OutgoingState.CANCELLED


@pytest.mark.parametrize("rig", [REPLIES], indirect=True)
async def test_a_preview_in_a_group_that_became_a_supergroup_is_pressed_there(rig: Rig) -> None:
    gateway = rig.parts.chats.configured(GROUP)
    assert gateway is not None
    gateway.chat_id = moved = -100999
    before = preview(rig, 70)  # shown before the move: its message stays in the old chat
    after = preview(rig, 3)  # shown in the supergroup, stored under the configured ID
    legacy = preview(rig, 4, chat=str(moved))  # an earlier release stored the new ID
    for chat_id, message_id, sms in [(GROUP, 70, before), (moved, 3, after), (moved, 4, legacy)]:
        message = SentMessage(chat_id, message_id, "x", "x", "HTML", None, 0.0)
        query, _update = await rig.press(message, f"sms:cancel:{sms}")
        assert rig.answer(query).text == "Cancelled.", sms


@pytest.mark.parametrize("rig", [{"telegram_chat_ids": f"{GROUP},{OTHER}"}], indirect=True)
async def test_a_press_before_the_send_is_booked_takes_the_sms_on_its_way_there(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram can show a message before the relay has booked its answer: a press then
    finds the SMS being sent to that chat, and only there."""
    sms = IncomingSms(7, "79261234567", "79031234567", "Boiler 3", datetime.now(UTC))
    messages.save_incoming(rig.store, [sms], [str(GROUP)])
    deliveries.mark_sending(rig.store, str(GROUP), [7])  # handed to Telegram, no answer booked yet
    elsewhere = SentMessage(OTHER, 60, "a note", "a note", "HTML", None, 0.0)
    query, _update = await rig.press(elsewhere, "t:7")
    assert rig.answer(query).text == "This SMS is no longer kept."
    assert "does not belong there" in refusals(caplog)[-1]
    shown = SentMessage(GROUP, 50, "Boiler 3", "Boiler 3", "HTML", None, 0.0)
    query, _update = await rig.press(shown, "t:7")
    assert rig.answer(query).text == "✋ It is yours."
    assert list(oncall.takes_of(rig.store, [7])) == [7]


@pytest.mark.parametrize("rig", [REPLIES], indirect=True)
async def test_a_preview_pressed_before_its_message_is_booked_is_pressed_in_its_chat(
    rig: Rig,
) -> None:
    sms = preview(rig, None)  # Telegram showed it; the bridge has not booked its ID yet
    query, _update = await rig.press(
        SentMessage(OTHER, 70, "x", "x", "HTML", None, 0), f"sms:cancel:{sms}"
    )
    assert rig.answer(query).text == NOT_HERE
    query, _update = await rig.press(
        SentMessage(GROUP, 70, "x", "x", "HTML", None, 0), f"sms:cancel:{sms}"
    )
    assert rig.answer(query).text == "Cancelled."
