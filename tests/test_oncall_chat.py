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
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import Update
from telegram.ext import CallbackContext

from bot.commands.guard import error_handler
from bot.config import Settings
from bot.database import AsyncStore
from bot.health import HealthMonitor, HealthRules
from bot.metrics import Metrics
from bot.status import BridgeStatus
from bot.wiring import Parts, build_parts
from state import IncomingSms, Store
from tests.fakes.telegram import TOKEN, Answer, FakeTelegram, SentMessage
from tests.fakes.wait import eventually

GROUP, ANNA = -1001, 1001
FAILED = "⚠️ That failed on the bridge's side; try again in a moment."


@dataclass
class Rig:
    store: Store
    parts: Parts
    telegram: FakeTelegram

    def relayed(self, smsc_id: int, message_id: int) -> SentMessage:
        """An SMS relayed into the group as `message_id`, as the relay books it."""
        sms = IncomingSms(smsc_id, "79261234567", "79031234567", "Boiler 3", datetime.now(UTC))
        self.store.save_incoming([sms], [str(GROUP)])
        self.store.mark_sent(str(GROUP), [smsc_id], message_id, shown_html="Boiler 3")
        return SentMessage(GROUP, message_id, "Boiler 3", "Boiler 3", "HTML", None, 0.0)

    async def press(self, message: SentMessage, data: str) -> tuple[str, Update]:
        """Anna presses a button with `data` on `message`; returns the query and its update."""
        query = self.telegram.user_presses(message, user_id=ANNA, name="Anna", data=data)
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
        telegram_chat_ids=str(GROUP),
        smsc_login="acme",
        smsc_password="pw",
        **request.param,
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
    caplog.set_level(logging.INFO, logger="bot.oncall.presses")
    message = rig.relayed(7, 50)
    unreadable, _update = await rig.press(message, "garbage:x")
    assert rig.answer(unreadable).text == "This button no longer works."
    gone, _update = await rig.press(message, "t:999")
    assert rig.answer(gone).text == "This SMS is no longer kept."
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.oncall.presses"]
    assert lines == [
        f"turned away a press by user {ANNA} in chat {GROUP}: button 'garbage:x' no longer works",
        f"turned away a press by user {ANNA} in chat {GROUP}: button 't:999', "
        "its SMS no longer kept",
    ]


async def test_oncall_lists_who_is_on_duty_by_name_without_notifying_them(rig: Rig) -> None:
    await rig.says("/oncall me", ANNA, "Anna <3")
    await rig.says("/oncall me", 1002, "Boris")
    listed = await rig.says("/oncall", 1003, "Vera")
    assert listed.plain == "On duty here: Anna <3, Boris"
    assert listed.text == "On duty here: Anna &lt;3, Boris"  # no tg://user mention


@pytest.mark.parametrize(
    "rig", [{}, {"oncall_buttons": "false"}], ids=["buttons", "ONCALL_BUTTONS=false"], indirect=True
)
async def test_relayed_messages_carry_a_take_button_unless_oncall_buttons_is_false(
    rig: Rig, telegram: FakeTelegram, request: pytest.FixtureRequest
) -> None:
    buttons = not request.node.callspec.params["rig"]
    sms = IncomingSms(7, "79261234567", "79031234567", "Door 2 opened", datetime.now(UTC))
    rig.store.save_incoming([sms], [str(GROUP)])
    relaying = asyncio.create_task(rig.parts.relay.run())
    try:
        await eventually(lambda: telegram.messages(GROUP), what="the SMS relayed")
    finally:
        rig.parts.relay.stop.set()
        await asyncio.wait_for(relaying, 10)
    [message] = telegram.messages(GROUP)
    assert (message.markup is not None) is buttons
    assert (rig.parts.oncall is not None) is buttons  # and presses have nothing to reach
