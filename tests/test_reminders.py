"""Escalation in process: real store, real python-telegram-bot, the fake Bot API, a set clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from telegram.ext import ExtBot

from bot.chats import Chats
from bot.config import ChatTarget
from bot.database import AsyncStore
from bot.oncall.reminders import Reminders
from state import IncomingSms, Store, oncall
from state.oncall import Person
from tests.fakes.telegram import TOKEN, FakeTelegram

GROUP = -1001
MOSCOW = ZoneInfo("Europe/Moscow")
AFTER = 600.0


@dataclass
class Rig:
    store: Store
    reminders: Reminders
    next_id: int = 1

    def relayed(self, text: str, message_id: int) -> int:
        """An SMS relayed into the group as `message_id`, with a reminder queued."""
        smsc_id = self.next_id
        self.next_id += 1
        sms = IncomingSms(smsc_id, "79261234567", "79031234567", text, datetime.now(UTC))
        self.store.save_incoming([sms], [str(GROUP)])
        self.store.mark_sent(str(GROUP), [smsc_id], message_id, remind_after=AFTER)
        return smsc_id


@pytest.fixture
async def rig(tmp_path: Path, telegram: FakeTelegram) -> AsyncIterator[Rig]:
    store = Store.open(tmp_path / "bridge.db")
    db = AsyncStore(store)
    bot: ExtBot[None] = ExtBot(TOKEN, base_url=telegram.base_url)
    await bot.initialize()
    chats = Chats([ChatTarget(GROUP)], bot, db, spacing=0.05)
    yield Rig(store, Reminders(db, chats, MOSCOW, AFTER))
    await bot.shutdown()
    db.close()


def later(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


async def test_nothing_is_due_before_escalate_after(rig: Rig, telegram: FakeTelegram) -> None:
    rig.relayed("Boiler 3: pressure LOW", 50)
    await rig.reminders.remind_due(later(AFTER - 30))
    assert telegram.messages(GROUP) == []


async def test_one_reminder_replies_to_its_sms_and_mentions_who_is_on_duty(
    rig: Rig, telegram: FakeTelegram
) -> None:
    rig.relayed("Boiler 3: pressure LOW", 50)
    oncall.set_on_duty(rig.store, str(GROUP), Person(42, "Anna <3"), True, datetime.now(UTC))
    await rig.reminders.remind_due(later(AFTER + 1))
    [reminder] = telegram.messages(GROUP)
    assert reminder.plain.startswith("⏰ Nobody took this SMS within 10 minutes.")
    assert reminder.reply_to == 50
    assert '<a href="tg://user?id=42">Anna &lt;3</a>' in reminder.text
    await rig.reminders.remind_due(later(AFTER + 60))  # each SMS is reminded once
    assert len(telegram.messages(GROUP)) == 1


async def test_several_due_at_once_make_one_reminder_that_lists_them(
    rig: Rig, telegram: FakeTelegram
) -> None:
    for n in range(5):
        rig.relayed(f"pump {n} stopped", 50 + n)
    taken = rig.relayed("already handled", 60)
    oncall.take(rig.store, [taken], Person(7, "Boris"), datetime.now(UTC))
    await rig.reminders.remind_due(later(AFTER + 1))
    [reminder] = telegram.messages(GROUP)
    assert reminder.plain.startswith("⏰ 5 SMS nobody took within 10 minutes:")
    assert all(f"pump {n} stopped" in reminder.plain for n in range(5))
    assert "already handled" not in reminder.plain and reminder.reply_to == 50
    assert "Nobody is on duty here: /oncall me puts you on duty." in reminder.plain
