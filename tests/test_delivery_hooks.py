"""Delivery hooks: what a feature adds to relaying, and when the relay asks it.

The relay runs for real (python-telegram-bot against the fake Bot API, a SQLite file) with
a hook that records each call; the store's side is checked on its own connection.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ExtBot

from bot.core.database import AsyncStore
from bot.core.metrics import Metrics
from bot.features.oncall.delivery import TakeButtons
from bot.features.oncall.edits import EditQueue
from bot.features.reminders.queue import ReminderQueue
from bot.features.silences.feature import Muting
from bot.relay.chats import Chats
from bot.relay.hooks import DeliveryHook, Outgoing, Sent
from bot.relay.relay import Relay, RelayOptions
from bot.routing.targets import ChatTarget
from bot.text.formatting import TEXT_LIMIT
from state import IncomingSms, Store, deliveries, messages, oncall
from tests.fakes.telegram import TOKEN, FakeTelegram, utf16_length
from tests.fakes.wait import eventually
from tests.test_relay import MOSCOW, SPACING, Told, near_full_text
from tests.test_wiring import build

GROUP, PRIVATE = -1001, 4040
ROOM = 1000  # what the recording hook keeps free in every part
NOTE = "\n\n<i>noted</i>"  # what it adds to a message's first part


@dataclass
class Recorder(DeliveryHook):
    """A feature as the relay sees it: keeps room, adds a line and a button, keeps a row
    (in `meta`) with each message booked sent, and notes every call."""

    calls: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)
    inside: list[tuple[bool, str]] = field(default_factory=list)  # what booked() saw
    sent: list[Sent] = field(default_factory=list)
    refuse_bookings: int = 0  # bookings to fail (after writing its row)
    fail_after: bool = False  # fail every delivered()

    def reserve(self, target: ChatTarget) -> int:
        self.calls.append(("reserve", ()))
        return ROOM

    async def leaving(self, message: Outgoing) -> Outgoing:
        self.calls.append(("leaving", message.ids))
        button = InlineKeyboardButton("Ack", callback_data=f"ack:{message.ids[0]}")
        first = message.texts[0] + NOTE
        markup = InlineKeyboardMarkup([[button]])
        return replace(message, texts=(first, *message.texts[1:]), markup=markup)

    def booked(self, store: Store, sent: Sent) -> None:
        self.calls.append(("booked", sent.ids))
        (status,) = store.conn.execute(
            "SELECT status FROM deliveries WHERE chat = ? AND message_id = ?",
            (sent.target.key, sent.ids[0]),
        ).fetchone()
        self.inside.append((store.conn.in_transaction, status))
        store.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)",
            (f"hook:{sent.target.key}:{sent.message_id}", sent.base_html),
        )
        if self.refuse_bookings:
            self.refuse_bookings -= 1
            raise sqlite3.IntegrityError("refused, after the hook wrote its row")

    async def delivered(self, sent: Sent) -> None:
        self.calls.append(("delivered", sent.ids))
        self.sent.append(sent)
        if self.fail_after:
            raise RuntimeError("a bug in a feature's catch-up")


@dataclass
class Rig:
    store: Store  # the test's own connection
    relay: Relay
    next_id: int = 1

    def queue(self, *texts: str, chat: int = GROUP) -> None:
        batch = []
        for text in texts:
            batch.append(IncomingSms(self.next_id, "79261234567", "79031234567", text, _now()))
            self.next_id += 1
        messages.save_incoming(self.store, batch, [str(chat)])
        self.relay.wake()

    def statuses(self, chat: int = GROUP) -> list[tuple[str, int]]:
        return self.store.conn.execute(
            "SELECT status, uncertain FROM deliveries WHERE chat = ? ORDER BY message_id",
            (str(chat),),
        ).fetchall()

    def rows(self, table: str) -> list[tuple[object, ...]]:
        return self.store.conn.execute(f"SELECT * FROM {table}").fetchall()

    def kept_by_hook(self) -> list[str]:
        query = "SELECT key FROM meta WHERE key LIKE 'hook:%' ORDER BY key"
        return [key for (key,) in self.store.conn.execute(query)]


def _now() -> datetime:
    return datetime.now(UTC)


Hooks = Callable[[AsyncStore, Chats], tuple[DeliveryHook, ...]]


async def _rig(tmp_path: Path, telegram: FakeTelegram, make_hooks: Hooks) -> AsyncIterator[Rig]:
    store = Store.open(tmp_path / "bridge.db")
    db = AsyncStore(store)
    bot: ExtBot[None] = ExtBot(TOKEN, base_url=telegram.base_url)
    await bot.initialize()
    chats = Chats([ChatTarget(GROUP), ChatTarget(PRIVATE)], bot, db, spacing=SPACING)
    options = RelayOptions(MOSCOW, hooks=make_hooks(db, chats))
    relay = Relay(db, chats, options, metrics=Metrics(), events=Told())
    task = asyncio.create_task(relay.run())
    own = Store.open(tmp_path / "bridge.db")
    yield Rig(own, relay)
    relay.stop.set()
    await asyncio.wait_for(task, 10)
    await bot.shutdown()
    own.close()
    db.close()


@pytest.fixture
def hook() -> Recorder:
    return Recorder()


@pytest.fixture
async def rig(tmp_path: Path, telegram: FakeTelegram, hook: Recorder) -> AsyncIterator[Rig]:
    async for made in _rig(tmp_path, telegram, lambda db, chats: (hook,)):
        yield made


@pytest.fixture
async def team(tmp_path: Path, telegram: FakeTelegram) -> AsyncIterator[Rig]:
    """The real hooks: take buttons and the reminder queue, as ESCALATE_AFTER wires them."""

    def hooks(db: AsyncStore, chats: Chats) -> tuple[DeliveryHook, ...]:
        edits = EditQueue(db, chats, MOSCOW, Metrics())
        return TakeButtons(db, MOSCOW, edits), ReminderQueue(600.0)

    async for made in _rig(tmp_path, telegram, hooks):
        yield made


async def test_a_hook_keeps_its_room_dresses_the_message_and_is_told_once_it_is_booked(
    rig: Rig, hook: Recorder, telegram: FakeTelegram
) -> None:
    rig.queue("Boiler 3: pressure LOW. " * 300)  # 7,200 characters: several parts
    await eventually(lambda: rig.statuses() == [("sent", 0)] and hook.sent, what="the booking")
    first, *rest = telegram.messages(GROUP)
    assert rest and all(utf16_length(m.plain) <= TEXT_LIMIT - ROOM for m in rest)
    assert first.plain.endswith("\n\nnoted")
    assert utf16_length(first.plain) <= TEXT_LIMIT - ROOM + utf16_length("\n\nnoted")
    assert first.markup == {"inline_keyboard": [[{"text": "Ack", "callback_data": "ack:1"}]]}
    assert all(m.markup is None for m in rest)  # the markup goes on the first part only
    assert hook.calls == [("reserve", ()), ("leaving", (1,)), ("booked", (1,)), ("delivered", (1,))]
    assert hook.inside == [(True, "sent")]  # in the transaction, after the delivery's update
    [sent] = hook.sent
    assert sent.message_id == first.message_id and sent.target == ChatTarget(GROUP)
    assert sent.sent_html.endswith(NOTE) and sent.base_html == sent.sent_html.removesuffix(NOTE)
    assert rig.kept_by_hook() == [f"hook:{GROUP}:{first.message_id}"]


async def test_a_booking_a_hook_fails_is_undone_whole_and_sent_again_as_uncertain(
    rig: Rig, hook: Recorder, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.relay.relay.UNEXPECTED_PAUSE", 0.1)
    hook.refuse_bookings = 1
    rig.queue("Door 2 opened")
    await eventually(lambda: rig.statuses() == [("sent", 1)], what="the second booking")
    shown_twice, booked = telegram.messages(GROUP)  # a duplicate, counted uncertain
    # The row the hook wrote with the refused booking went with it: one row, the second's.
    assert rig.kept_by_hook() == [f"hook:{GROUP}:{booked.message_id}"]
    assert [name for name, _ in hook.calls].count("booked") == 2
    assert [s.message_id for s in hook.sent] == [booked.message_id] != [shown_twice.message_id]


async def test_a_hook_failing_after_delivery_neither_sends_again_nor_holds_up_the_queue(
    rig: Rig, hook: Recorder, telegram: FakeTelegram
) -> None:
    hook.fail_after = True
    rig.queue("first")
    await eventually(lambda: rig.statuses() == [("sent", 0)] and hook.sent)
    rig.queue("second")  # well before UNEXPECTED_PAUSE would have passed
    await eventually(lambda: rig.statuses() == [("sent", 0)] * 2, within=5)
    assert len(telegram.messages(GROUP)) == 2


async def test_a_private_chat_gets_no_take_button_no_room_and_no_reminder(
    team: Rig, telegram: FakeTelegram
) -> None:
    text = near_full_text() + " and rising" * 10  # fits a message, not one with a button
    team.queue(text, chat=PRIVATE)
    team.queue(text, chat=GROUP)
    await eventually(lambda: team.statuses(PRIVATE) == team.statuses(GROUP) == [("sent", 0)])
    [private] = telegram.messages(PRIVATE)
    group, rest = telegram.messages(GROUP)  # room kept for "taken by": a second part
    assert private.markup is None and group.markup is not None and rest.markup is None
    assert [row[:2] for row in team.rows("shown")] == [(str(GROUP), group.message_id)]
    assert [row[:2] for row in team.rows("reminders_due")] == [(str(GROUP), 2)]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "bridge.db")
    messages.save_incoming(
        opened, [IncomingSms(1, "79261234567", "79031234567", "x", _now())], ["-1001"]
    )
    deliveries.mark_sending(opened, "-1001", [1])
    yield opened
    opened.close()


def test_marking_sent_writes_the_deliveries_and_no_on_call_table(store: Store) -> None:
    written: set[str] = set()
    writes = (sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE)

    def note(action: int, table: str | None, *_: str | None) -> int:
        """SQLite asks this as it prepares each statement: which tables it writes."""
        if action in writes and table is not None:
            written.add(table)
        return sqlite3.SQLITE_OK

    store.conn.set_authorizer(note)
    deliveries.mark_sent(store, "-1001", [1], 77)
    store.conn.set_authorizer(None)
    assert written == {"deliveries"}


def test_what_is_booked_with_a_delivery_commits_with_it_or_not_at_all(store: Store) -> None:
    def refused(store: Store) -> None:
        oncall.file_shown(store, "-1001", 77, "x")
        raise sqlite3.IntegrityError("the second write refused")

    with pytest.raises(sqlite3.IntegrityError):
        deliveries.mark_sent(store, "-1001", [1], 77, also=refused)
    assert store.conn.execute("SELECT status FROM deliveries").fetchall() == [("sending",)]
    assert store.conn.execute("SELECT * FROM shown").fetchall() == []
    deliveries.mark_sent(
        store, "-1001", [1], 78, also=lambda s: oncall.file_shown(s, "-1001", 78, "x")
    )
    assert store.conn.execute("SELECT chat, telegram_message_id FROM shown").fetchall() == [
        ("-1001", 78)
    ]


def test_a_relayed_messages_on_call_rows_are_never_written_outside_its_booking(
    store: Store,
) -> None:
    with pytest.raises(RuntimeError):
        oncall.file_shown(store, "-1001", 77, "x")
    with pytest.raises(RuntimeError):
        oncall.queue_reminders(store, "-1001", [1], _now())
    assert store.conn.execute("SELECT count(*) FROM shown").fetchone() == (0,)
    assert store.conn.execute("SELECT count(*) FROM reminders_due").fetchone() == (0,)


@pytest.mark.parametrize(
    ("values", "hooks"),
    [
        ({}, [Muting, TakeButtons]),  # a silence mutes before the buttons see it
        ({"escalate_after": "600"}, [Muting, TakeButtons, ReminderQueue]),
        ({"oncall_buttons": "false"}, []),
    ],
    ids=["buttons", "buttons and reminders", "ONCALL_BUTTONS=false"],
)
def test_the_settings_choose_the_hooks_every_relay_gets(
    tmp_path: Path, values: dict[str, str], hooks: list[type]
) -> None:
    thread = AsyncStore(Store.open(tmp_path / "bridge.db"))
    try:
        parts = build(thread, **values)
        for relay in parts.relay.relays:
            assert [type(hook) for hook in relay.options.hooks] == hooks
    finally:
        thread.close()
