"""The relay in process: real python-telegram-bot against the fake Bot API, a real SQLite file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from telegram.ext import ExtBot

from bot.core.database import AsyncStore
from bot.core.metrics import Metrics
from bot.core.telegram_errors import Verdict
from bot.features.oncall.buttons import TAKE_RESERVE
from bot.features.oncall.delivery import TakeButtons
from bot.features.oncall.edits import EditQueue
from bot.features.reminders.queue import ReminderQueue
from bot.relay.chats import Chats
from bot.relay.gateway import WriteFailed
from bot.relay.hooks import DeliveryHook
from bot.relay.relay import Relay, RelayOptions
from bot.routing.targets import ChatTarget
from bot.text.formatting import TEXT_LIMIT, visible_length
from bot.text.sms_view import Look, render_sms
from state import IncomingSms, Placement, Store, StoredSms, deliveries, messages, oncall
from state.oncall import Person
from tests.fakes.telegram import (
    TOKEN,
    FakeTelegram,
    SentMessage,
    TgFault,
    relayed_text,
    utf16_length,
)
from tests.fakes.wait import eventually

GROUP, PRIVATE, MOVED, OTHER_GROUP = -1001, 4040, -100777, -1002
MOSCOW = ZoneInfo("Europe/Moscow")
SPACING = 0.2  # seconds between writes into one chat (1 s in production)


class Told:
    """Records what the relay tells about chats that refuse (the alerts' side)."""

    def __init__(self) -> None:
        self.refused: list[tuple[str, str, str]] = []
        self.delivering: list[str] = []

    def chat_refused(self, key: str, name: str, reason: str) -> None:
        self.refused.append((key, name, reason))

    def chat_delivers(self, key: str) -> None:
        self.delivering.append(key)


@dataclass
class Rig:
    store: Store
    chats: Chats
    relay: Relay
    telegram: FakeTelegram
    told: Told
    edits: EditQueue | None = None
    next_id: int = 1

    def queue(self, *texts: str, chats: tuple[int, ...] = (GROUP, PRIVATE)) -> list[int]:
        """Store SMS and queue them for `chats`, as the poller does; wake the relay."""
        batch = []
        for text in texts:
            batch.append(IncomingSms(self.next_id, "79261234567", "79031234567", text, _now()))
            self.next_id += 1
        messages.save_incoming(self.store, batch, [str(chat) for chat in chats])
        self.relay.wake()
        return [sms.smsc_id for sms in batch]

    def statuses(self, chat: int) -> list[tuple[str, int]]:
        return self.store.conn.execute(
            "SELECT status, uncertain FROM deliveries WHERE chat = ? ORDER BY message_id",
            (str(chat),),
        ).fetchall()


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
async def rig(tmp_path: Path, telegram: FakeTelegram) -> AsyncIterator[Rig]:
    """Two chats, a group and a private one, with ONCALL_BUTTONS=false."""
    async for made in _rig(tmp_path, telegram, [GROUP, PRIVATE], buttons=False):
        yield made


@pytest.fixture
async def team(tmp_path: Path, telegram: FakeTelegram) -> AsyncIterator[Rig]:
    """Two groups with take buttons and ESCALATE_AFTER, as an on-call team has them."""
    async for made in _rig(tmp_path, telegram, [GROUP, OTHER_GROUP], buttons=True):
        yield made


async def _rig(
    tmp_path: Path, telegram: FakeTelegram, chat_ids: list[int], *, buttons: bool
) -> AsyncIterator[Rig]:
    store = Store.open(tmp_path / "bridge.db")
    db = AsyncStore(store)
    bot: ExtBot[None] = ExtBot(TOKEN, base_url=telegram.base_url)
    await bot.initialize()
    chats = Chats([ChatTarget(chat) for chat in chat_ids], bot, db, spacing=SPACING)
    told, metrics = Told(), Metrics()
    edits = EditQueue(db, chats, MOSCOW, metrics) if buttons else None
    hooks: tuple[DeliveryHook, ...] = ()
    if edits is not None:  # ONCALL_BUTTONS and ESCALATE_AFTER, as wiring hooks them on
        hooks = (TakeButtons(db, MOSCOW, edits), ReminderQueue(600.0))
    options = RelayOptions(MOSCOW, digest_threshold=5, hooks=hooks)
    relay = Relay(db, chats, options, metrics=metrics, events=told)
    task = asyncio.create_task(relay.run())
    # The test's own connection, used from the test's thread only: a connection shared
    # with the relay's store thread would see two threads' transactions interleave.
    own = Store.open(tmp_path / "bridge.db")
    yield Rig(own, chats, relay, telegram, told, edits)
    relay.stop.set()
    await asyncio.wait_for(task, 10)
    await bot.shutdown()
    own.close()
    db.close()


async def test_queued_sms_reach_every_chat_in_order_and_are_booked_sent(
    rig: Rig, telegram: FakeTelegram
) -> None:
    rig.queue("first", "second", "third")
    await eventually(lambda: telegram.sms_texts(PRIVATE) == ["first", "second", "third"])
    await eventually(lambda: telegram.sms_texts(GROUP) == ["first", "second", "third"])
    await eventually(lambda: rig.statuses(GROUP) == [("sent", 0)] * 3)
    assert all(m.markup is None for m in telegram.messages(GROUP))  # ONCALL_BUTTONS=false
    # Paced: unpaced, three writes arrive within milliseconds. The spacing itself is held
    # on a driven clock (tests/test_chat_pace.py); here only that the relay's chats use it.
    # Arrival at the fake is a write's start plus its way there, which a busy machine
    # stretches for one write and not the next: gap by gap it once missed 0.75 of a
    # spacing in CI. Three writes paced take at least two spacings from first start to
    # last start, so their arrivals span at least one unless the first is 0.2 s late.
    arrived = [m.at for m in telegram.messages(GROUP)]
    assert arrived[-1] - arrived[0] >= SPACING


async def test_a_silent_delivery_is_sent_without_a_notification_sound(
    rig: Rig, telegram: FakeTelegram
) -> None:
    quiet = Placement(((str(GROUP), True), (str(PRIVATE), False)))
    messages.save_incoming(
        rig.store, [IncomingSms(1, "900", "79031234567", "low", _now())], lambda _: quiet
    )
    rig.relay.wake()
    await eventually(lambda: telegram.sms_texts(GROUP) == telegram.sms_texts(PRIVATE) == ["low"])
    assert [m.silent for m in telegram.messages(GROUP)] == [True]
    assert [m.silent for m in telegram.messages(PRIVATE)] == [False]


async def test_a_429_holds_back_every_kind_of_write_into_that_chat(
    rig: Rig, telegram: FakeTelegram
) -> None:
    telegram.fail_next(TgFault("retry_after", 1), chat_id=GROUP)
    rig.queue("held back", chats=(GROUP,))
    await eventually(lambda: telegram.banned_until.get(GROUP), what="the 429")
    answer = await rig.chats.gateway(GROUP).send_text("an answer to a command", retry=True)
    await eventually(lambda: telegram.sms_texts(GROUP) == ["held back"])
    assert answer.message_id in [m.message_id for m in telegram.messages(GROUP)]
    assert telegram.violations == []
    await eventually(lambda: rig.statuses(GROUP) == [("sent", 0)])


async def test_a_chat_that_refuses_fails_alone(rig: Rig, telegram: FakeTelegram) -> None:
    telegram.fail_next(TgFault("forbidden"), chat_id=GROUP)
    rig.queue("one", "two")
    await eventually(lambda: telegram.sms_texts(PRIVATE) == ["one", "two"])
    await eventually(lambda: rig.statuses(GROUP) == [("failed", 0), ("failed", 0)])
    assert telegram.messages(GROUP) == []
    [(key, name, reason)] = rig.told.refused
    assert (key, name) == (str(GROUP), str(GROUP)) and "Forbidden" in reason


async def test_a_migrated_group_is_followed_and_remembered(
    rig: Rig, telegram: FakeTelegram
) -> None:
    telegram.fail_next(TgFault("migrate", MOVED), chat_id=GROUP)
    rig.queue("after the move", chats=(GROUP,))
    await eventually(lambda: telegram.sms_texts(MOVED) == ["after the move"])
    assert deliveries.chat_id_for(rig.store, str(GROUP)) == MOVED
    assert rig.chats.configured(MOVED) is rig.chats.configured(GROUP) is not None
    await eventually(lambda: rig.statuses(GROUP) == [("sent", 0)])


async def test_an_answer_lost_after_posting_is_sent_again_and_counted_uncertain(
    rig: Rig, telegram: FakeTelegram
) -> None:
    telegram.fail_next(TgFault("lost_answer"), chat_id=PRIVATE)
    rig.queue("maybe twice", chats=(PRIVATE,))
    await eventually(lambda: telegram.sms_texts(PRIVATE) == ["maybe twice", "maybe twice"])
    await eventually(lambda: rig.statuses(PRIVATE) == [("sent", 1)])


async def test_a_5xx_is_retried_and_not_counted_uncertain(rig: Rig, telegram: FakeTelegram) -> None:
    telegram.fail_next(TgFault("status", 502), chat_id=PRIVATE)
    rig.queue("after a 502", chats=(PRIVATE,))
    await eventually(lambda: telegram.sms_texts(PRIVATE) == ["after a 502"])
    await eventually(lambda: rig.statuses(PRIVATE) == [("sent", 0)])


async def test_a_backlog_goes_out_as_digests_and_live_sms_alone(
    rig: Rig, telegram: FakeTelegram
) -> None:
    texts = [f"alarm {n}" for n in range(12)]
    rig.queue(*texts, chats=(PRIVATE,))
    await eventually(lambda: telegram.sms_texts(PRIVATE) == texts)
    assert len(telegram.messages(PRIVATE)) < len(texts)
    assert telegram.messages(PRIVATE)[0].plain.startswith("📦 Backlog: ")
    await eventually(lambda: rig.statuses(PRIVATE) == [("sent", 0)] * len(texts))
    rig.queue("live", chats=(PRIVATE,))
    await eventually(lambda: telegram.sms_texts(PRIVATE)[-1:] == ["live"])
    assert telegram.messages(PRIVATE)[-1].plain.startswith("📩 +7 926 123-45-67: live")


async def test_edits_yield_to_relayed_sms(rig: Rig, telegram: FakeTelegram) -> None:
    gateway = rig.chats.gateway(GROUP)
    shown = await gateway.send_text("a message someone will take")
    sends = [gateway.send_text(f"SMS {n}") for n in range(6)]
    edits = [gateway.edit_text(shown.message_id, f"taken, state {n}") for n in range(6)]
    await asyncio.gather(*edits, *sends)  # edits asked first, yet SMS go first
    writes = [
        r.method
        for r in telegram.requests
        if r.method in ("sendMessage", "editMessageText") and int(r.params["chat_id"]) == GROUP
    ][1:]
    # From when the SMS were waiting (the first edit found the chat idle) to the last SMS:
    first_sms, last_sms = (
        writes.index("sendMessage"),
        len(writes) - writes[::-1].index("sendMessage"),
    )
    while_sms_waited = writes[first_sms:last_sms]
    assert while_sms_waited.count("editMessageText") <= len(while_sms_waited) // 3
    assert writes.count("editMessageText") == 6 and telegram.violations == []


ANNA = Person(1001, "Anna")


def button_data(message: SentMessage) -> str:
    assert message.markup is not None
    return str(message.markup["inline_keyboard"][0][0]["callback_data"])


def reminders_due(rig: Rig) -> list[tuple[str, int]]:
    return rig.store.conn.execute("SELECT chat, message_id FROM reminders_due").fetchall()


async def test_an_sms_taken_before_it_reaches_a_chat_arrives_there_shown_taken(
    team: Rig, telegram: FakeTelegram
) -> None:
    sms = IncomingSms(team.next_id, "79261234567", "79031234567", "Boiler 3: pressure LOW", _now())
    messages.save_incoming(team.store, [sms], [str(GROUP), str(OTHER_GROUP)])
    oncall.take(team.store, [sms.smsc_id], ANNA, _now())  # taken, say, from the first chat
    team.relay.wake()
    await eventually(lambda: all(telegram.messages(chat) for chat in (GROUP, OTHER_GROUP)))
    for chat in (GROUP, OTHER_GROUP):
        [message] = telegram.messages(chat)
        assert message.plain.startswith("📩 +7 926 123-45-67: Boiler 3: pressure LOW")
        assert "\n\n✋ Taken by Anna at " in message.plain
        assert button_data(message) == f"r:{sms.smsc_id}"  # release, not take
    await eventually(lambda: team.statuses(OTHER_GROUP) == [("sent", 0)])
    assert reminders_due(team) == []  # nobody is reminded of what is taken


async def test_a_digest_of_sms_taken_already_arrives_shown_taken(
    team: Rig, telegram: FakeTelegram
) -> None:
    ids = team.queue(*(f"pump {n} stopped" for n in range(7)), chats=(GROUP,))
    oncall.take(team.store, ids, ANNA, _now())  # before the relay looks: no await between
    await eventually(lambda: team.statuses(GROUP) == [("sent", 0)] * 7, what="the backlog")
    digest = telegram.messages(GROUP)[0]
    assert digest.plain.startswith("📦 Backlog: ") and "✋ Taken by Anna at " in digest.plain
    assert button_data(digest).startswith(f"rd:{ids[0]}:")
    assert reminders_due(team) == []


async def test_a_take_while_the_message_is_on_its_way_is_shown_once_it_arrived(
    team: Rig, telegram: FakeTelegram
) -> None:
    telegram.fail_next(TgFault("delay", 2), chat_id=OTHER_GROUP)  # posted, answered late
    [smsc_id] = team.queue("Door 2 opened", chats=(OTHER_GROUP,))
    await eventually(lambda: telegram.messages(OTHER_GROUP), what="the message posted")
    [message] = telegram.messages(OTHER_GROUP)
    assert button_data(message) == f"t:{smsc_id}"
    oncall.take(team.store, [smsc_id], ANNA, _now())  # a press from the other chat, say
    await eventually(lambda: "✋ Taken by Anna at " in message.plain, within=10)
    assert button_data(message) == f"r:{smsc_id}"
    assert team.statuses(OTHER_GROUP) == [("sent", 0)] and reminders_due(team) == []


# Telegram allows 64 characters for a first name and 64 for a last name; an emoji weighs two.
LONGEST_NAME = ("Анна-Мария 🌸" * 6)[:64] + " " + ("Константинопольская-Римская" * 3)[:64]


def near_full_text(sender: str = "79261234567") -> str:
    """An SMS text whose relayed message is as long as a message with a button may be."""
    probe = StoredSms(1, sender, "79031234567", "", _now(), None, _now())
    overhead = visible_length(render_sms(probe, Look(MOSCOW, _now()))[0])
    words = "Boiler three: pressure LOW, call the duty engineer. " * 100
    text = words[: TEXT_LIMIT - TAKE_RESERVE - overhead - 1] + "."
    assert visible_length(render_sms(probe._replace(text=text), Look(MOSCOW, _now()))[0]) == (
        TEXT_LIMIT - TAKE_RESERVE
    )
    return text


def sent_in_html(message: SentMessage) -> bool:
    return message.parse_mode == "HTML"


async def test_a_take_by_the_longest_name_arrives_on_a_near_full_message(
    team: Rig, telegram: FakeTelegram
) -> None:
    text = near_full_text()
    [smsc_id] = team.queue(text, chats=(GROUP,))
    oncall.take(team.store, [smsc_id], Person(5, LONGEST_NAME), _now() - timedelta(days=1))
    await eventually(lambda: team.statuses(GROUP) == [("sent", 0)])
    [message] = telegram.messages(GROUP)
    assert sent_in_html(message) and text in message.plain
    assert "✋ Taken by Анна-Мария 🌸" in message.plain and button_data(message) == f"r:{smsc_id}"
    assert utf16_length(message.plain) <= TEXT_LIMIT and team.told.refused == []


async def test_a_take_by_the_longest_name_is_edited_into_a_near_full_message(
    team: Rig, telegram: FakeTelegram
) -> None:
    text = near_full_text()
    [smsc_id] = team.queue(text, chats=(GROUP,))
    await eventually(lambda: team.statuses(GROUP) == [("sent", 0)])
    [message] = telegram.messages(GROUP)
    oncall.take(team.store, [smsc_id], Person(5, LONGEST_NAME), _now() - timedelta(days=1))
    assert team.edits is not None
    team.edits.refresh(oncall.messages_showing(team.store, [smsc_id]))  # as a press does
    await eventually(lambda: "✋ Taken by Анна-Мария 🌸" in message.plain, what="the edit")
    assert text in message.plain and button_data(message) == f"r:{smsc_id}"
    assert telegram.refused == []


async def test_a_digest_taken_by_many_long_names_arrives_naming_the_first_takers(
    team: Rig, telegram: FakeTelegram
) -> None:
    # Seven SMS of 500 characters: a digest as full as one with a button may be.
    texts = [f"Pump {n}: " + "pressure falling, check the valves. " * 14 for n in range(7)]
    ids = team.queue(*texts, chats=(GROUP,))
    for number, smsc_id in enumerate(ids):  # before the relay looks: no await between
        oncall.take(team.store, [smsc_id], Person(number, f"{LONGEST_NAME} {number}"), _now())
    await eventually(lambda: team.statuses(GROUP) == [("sent", 0)] * 7, what="the backlog")
    assert team.told.refused == [] and telegram.refused == []
    digest = telegram.messages(GROUP)[0]
    assert digest.plain.startswith("📦 Backlog: ") and sent_in_html(digest)
    taken = digest.plain.rsplit("\n\n", 1)[1]
    assert taken.startswith("✋ ") and taken.endswith(" more"), taken
    assert utf16_length(taken) <= TAKE_RESERVE - 2
    assert [t for t in texts if t in "".join(telegram.texts(GROUP))] == texts


async def test_a_message_refused_as_too_long_goes_as_plain_text_and_the_chat_goes_on(
    rig: Rig, telegram: FakeTelegram
) -> None:
    telegram.fail_next(TgFault("bad_request", "message is too long"), chat_id=GROUP)
    rig.queue("Boiler 3: <pressure> LOW & falling", "the next one", chats=(GROUP,))
    await eventually(lambda: rig.statuses(GROUP) == [("sent", 0), ("sent", 0)])
    first, second = telegram.messages(GROUP)
    assert not sent_in_html(first) and "Boiler 3: <pressure> LOW & falling" in first.plain
    assert sent_in_html(second) and telegram.sms_texts(GROUP) == ["the next one"]
    assert rig.told.refused == []  # no "the chat refuses" alert
    assert rig.chats.gateway(GROUP).last_error is None  # nor a "retrying after" in /status


async def test_entities_telegram_will_not_parse_fall_back_to_plain_text_showing_the_sms_exactly(
    team: Rig, telegram: FakeTelegram
) -> None:
    text = 'Code 4821 <b>not bold</b> & "quoted" &amp; <i>\n  second line ✓ 🌸'
    refusal = 'can\'t parse entities: Unsupported start tag "foo" at byte offset 12'
    telegram.fail_next(TgFault("bad_request", refusal), chat_id=GROUP)
    [smsc_id] = team.queue(text, chats=(GROUP,))
    await eventually(lambda: team.statuses(GROUP) == [("sent", 0)])
    [message] = telegram.messages(GROUP)
    assert not sent_in_html(message) and text in message.text  # as typed, not as HTML
    assert button_data(message) == f"t:{smsc_id}" and team.told.refused == []
    oncall.take(team.store, [smsc_id], ANNA, _now())  # the take's edit builds on the plain form
    assert team.edits is not None
    team.edits.refresh(oncall.messages_showing(team.store, [smsc_id]))
    await eventually(lambda: "✋ Taken by Anna at " in message.plain, what="the edit")
    assert text in message.plain


async def test_a_refused_second_part_follows_the_first_as_plain_text(
    rig: Rig, telegram: FakeTelegram
) -> None:
    text = "word " * 1500  # two messages
    telegram.fail_next(
        TgFault("delay", 0), TgFault("bad_request", "message is too long"), chat_id=GROUP
    )
    rig.queue(text, chats=(GROUP,))
    await eventually(lambda: rig.statuses(GROUP) == [("sent", 0)])
    first, *rest = telegram.messages(GROUP)
    assert sent_in_html(first) and rest and not any(sent_in_html(m) for m in rest)
    lead = "📩 +7 926 123-45-67 (2/2): "  # the second part's head, now as plain text
    second = "".join(m.plain for m in rest)
    assert second.startswith(lead)
    body, footer = second.removeprefix(lead).rsplit("\n\n", 1)
    # Each character once, in order: the first part is not repeated, nothing is left out.
    assert relayed_text(first.text) + body == text and footer.endswith(" MSK")


async def test_a_message_refused_in_every_form_fails_alone_and_the_queue_goes_on(
    rig: Rig, telegram: FakeTelegram
) -> None:
    refused = TgFault("bad_request", "something Telegram adds one day")
    telegram.fail_next(refused, refused, chat_id=GROUP)
    rig.queue("refused twice", "the next one", chats=(GROUP,))
    await eventually(lambda: rig.statuses(GROUP) == [("failed", 0), ("sent", 0)])
    assert telegram.sms_texts(GROUP) == ["the next one"] and rig.told.refused == []


async def test_an_edit_of_a_message_gone_costs_nothing_but_that_edit(
    rig: Rig, telegram: FakeTelegram
) -> None:
    gateway = rig.chats.gateway(GROUP)
    with pytest.raises(WriteFailed) as refused:
        await gateway.edit_text(999_999, "taken")  # "message to edit not found"
    assert refused.value.failure.verdict is Verdict.MESSAGE_REFUSED
    assert gateway.last_error is None
    rig.queue("after the edit", chats=(GROUP,))
    await eventually(lambda: rig.statuses(GROUP) == [("sent", 0)])
    assert rig.told.refused == []


async def test_an_edit_to_what_a_message_shows_already_is_a_success_that_changes_nothing(
    rig: Rig, telegram: FakeTelegram
) -> None:
    gateway = rig.chats.gateway(GROUP)
    shown = await gateway.send_text("taken by Anna")
    await gateway.edit_text(shown.message_id, "taken by Anna")  # Telegram: NOT_MODIFIED
    assert telegram.edits == [] and gateway.last_error is None


async def test_retry_failed_sends_again_what_telegram_refused_as_too_long(
    team: Rig, telegram: FakeTelegram
) -> None:
    text = near_full_text()
    sms = IncomingSms(team.next_id, "79261234567", "79031234567", text, _now())
    # As an earlier release left it: the message with the long name refused, the chat failed.
    messages.save_incoming(team.store, [sms], [str(GROUP)])
    deliveries.mark_failed(team.store, str(GROUP), [sms.smsc_id], "BadRequest: Message is too long")
    oncall.take(team.store, [sms.smsc_id], Person(5, LONGEST_NAME), _now() - timedelta(days=1))
    assert deliveries.requeue_failed(team.store, str(GROUP)) == 1  # `sms-bridge retry-failed`
    team.relay.wake()
    await eventually(lambda: team.statuses(GROUP) == [("sent", 0)])
    [message] = telegram.messages(GROUP)
    assert text in message.plain and "✋ Taken by Анна-Мария 🌸" in message.plain
    assert telegram.refused == [] and team.told.refused == []
