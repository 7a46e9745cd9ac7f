"""Escalation in process: real store, real python-telegram-bot, the fake Bot API, a set clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from telegram.ext import ExtBot

from bot.core.database import AsyncStore
from bot.features.reminders.reminders import Reminders
from bot.relay.chats import Chats
from bot.routing.targets import ChatTarget
from state import IncomingSms, Store, deliveries, messages, oncall
from state.oncall import Person
from tests.fakes.telegram import TOKEN, FakeTelegram, utf16_length

GROUP, OTHER_GROUP = -1001, -1002
MOSCOW = ZoneInfo("Europe/Moscow")
AFTER = 600.0


@dataclass
class Rig:
    store: Store
    reminders: Reminders
    next_id: int = 1

    def relayed(self, text: str, message_id: int, chats: tuple[int, ...] = (GROUP,)) -> int:
        """An SMS relayed into `chats` as `message_id`, with a reminder queued."""
        smsc_id = self.next_id
        self.next_id += 1
        sms = IncomingSms(smsc_id, "79261234567", "79031234567", text, datetime.now(UTC))
        messages.save_incoming(self.store, [sms], [str(chat) for chat in chats])
        due = datetime.now(UTC) + timedelta(seconds=AFTER)
        for key in map(str, chats):  # as the relay books it with ESCALATE_AFTER on
            deliveries.mark_sent(
                self.store,
                key,
                [smsc_id],
                message_id,
                also=lambda store, key=key: oncall.queue_reminders(store, key, [smsc_id], due),
            )
        return smsc_id


@pytest.fixture(params=[False], ids=["codes shown"])
async def rig(
    tmp_path: Path, telegram: FakeTelegram, request: pytest.FixtureRequest
) -> AsyncIterator[Rig]:
    store = Store.open(tmp_path / "bridge.db")
    db = AsyncStore(store)
    bot: ExtBot[None] = ExtBot(TOKEN, base_url=telegram.base_url)
    await bot.initialize()
    chats = Chats([ChatTarget(GROUP), ChatTarget(OTHER_GROUP)], bot, db, spacing=0.05)
    yield Rig(store, Reminders(db, chats, MOSCOW, AFTER, hide_codes=request.param))
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
    assert reminder.plain.startswith("⏰ ⏳ 10 min old · Nobody took this SMS within 10 minutes.")
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
    assert reminder.plain.startswith("⏰ ⏳ 10 min old · 5 SMS nobody took within 10 minutes:")
    assert all(f"pump {n} stopped" in reminder.plain for n in range(5))
    assert "already handled" not in reminder.plain and reminder.reply_to == 50
    assert "Nobody is on duty here. To go on duty: /oncall me" in reminder.plain


async def test_after_an_outage_one_reminder_per_chat_lists_the_oldest_and_counts_the_rest(
    rig: Rig, telegram: FakeTelegram
) -> None:
    long = "Boiler room: pressure dropped below the limit, check the pump and the valves " * 2
    ids = [rig.relayed(f"#{n} {long}", 100 + n, (GROUP, OTHER_GROUP)) for n in range(60)]
    oncall.set_on_duty(rig.store, str(GROUP), Person(42, "Anna"), True, datetime.now(UTC))
    await rig.reminders.remind_due(later(AFTER + 1))
    for chat in (GROUP, OTHER_GROUP):
        [reminder] = telegram.messages(chat)  # one, and Telegram took it: it fits
        assert utf16_length(reminder.plain) <= 4096 and reminder.reply_to == 100
        lines = reminder.plain.splitlines()
        assert lines[0] == "⏰ ⏳ 10 min old · 60 SMS nobody took within 10 minutes:"
        listed = [line for line in lines if line.startswith("• ")]
        assert 20 < len(listed) < 60 and "#0 Boiler room" in listed[0]  # the oldest first
        assert all(f"#{n} Boiler" in line for n, line in enumerate(listed))
        assert lines[len(listed) + 1] == f"…and {60 - len(listed)} more, see /open"
    assert telegram.messages(GROUP)[0].plain.endswith("On duty: Anna")
    assert rig.store.conn.execute("SELECT count(*) FROM reminders_due").fetchone() == (0,)
    await rig.reminders.remind_due(later(AFTER + 60))  # every one of them was reminded
    assert len(telegram.messages(GROUP)) == 1 and len(ids) == 60


@pytest.mark.parametrize("rig", [False, True], ids=["codes shown", "HIDE_CODES"], indirect=True)
async def test_a_code_in_a_reminder_list_is_tap_to_copy_and_hidden_with_hide_codes(
    rig: Rig, telegram: FakeTelegram, request: pytest.FixtureRequest
) -> None:
    hidden = request.node.callspec.params["rig"]
    rig.relayed("Your code 482913 for the door", 50)
    rig.relayed("Ваш код подтверждения: 7731, никому не сообщайте его, даже оператору банка", 51)
    await rig.reminders.remind_due(later(AFTER + 1))
    [reminder] = telegram.messages(GROUP)
    for code in ("482913", "7731"):
        spoiler = f"<tg-spoiler><code>{code}</code></tg-spoiler>"
        assert (spoiler in reminder.text) is hidden
        assert f"<code>{code}</code>" in reminder.text
        assert reminder.text.count(code) == 1
