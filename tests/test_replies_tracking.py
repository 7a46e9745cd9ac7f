"""Settling sends whose answer was lost, in process, with a set clock: status.php decides,
and only a person's press sends again."""

from __future__ import annotations

import itertools
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from telegram import CallbackQuery, Chat, Message, User
from telegram.ext import ExtBot

from bot.core.database import AsyncStore
from bot.features.replies.compose import read_sms_data
from bot.features.replies.flow import Replies
from bot.features.replies.sending import NOT_MADE, UNKNOWN_CHECK_AFTER, send_once
from bot.features.replies.tracking import Tracking
from bot.relay.chats import Chats
from bot.routing.targets import ChatTarget
from bot.smsc.credentials import SmscCredentials
from bot.smsc.send_api import SendRefused, Sent, SmscOutbox
from bot.text.i18n import in_language
from state import Store, outgoing
from state.oncall import Person
from state.outgoing import Claim, Draft, Outgoing, OutgoingState
from state.retention import purge_replies_batch
from tests.fakes.smsc import LOGIN, PASSWORD, FakeSmsc
from tests.fakes.telegram import TOKEN, FakeTelegram, SentMessage
from tests.fakes.wait import eventually

GROUP, ANNA, BORIS = -1001, 1001, 1002
PHONE = "79261112233"
MOSCOW = ZoneInfo("Europe/Moscow")


@dataclass
class Rig:
    store: Store
    replies: Replies
    tracking: Tracking
    bot: ExtBot[None]
    telegram: FakeTelegram
    query_ids: itertools.count[int] = field(default_factory=itertools.count)

    async def preview(self, text: str) -> Outgoing:
        """A preview by Anna, shown in the group."""
        now = datetime.now(UTC)
        draft = Draft(PHONE, text, None, 1, str(GROUP), None, None, Person(ANNA, "Anna"))
        out = outgoing.create_preview(self.store, draft, now, now + timedelta(minutes=10))
        shown = await self.replies.chats.gateway(GROUP).send_text("preview")
        outgoing.set_preview_message(self.store, out.id, shown.message_id)
        return self.get(out.id)

    async def lost_answer(self, text: str, *, reached_smsc: bool) -> int:
        """A send in state `unknown`, its preview shown, as after a timeout or a crash."""
        out = await self.preview(text)
        now = datetime.now(UTC)
        outgoing.claim(self.store, out.id, now, now - timedelta(hours=1), 50)
        if reached_smsc:
            await self.replies.outbox.send(out.phone, out.text, None, out.send_id)
        outgoing.settle(self.store, out.id, OutgoingState.UNKNOWN, next_check_at=now)
        return out.id

    async def never_had_it(self, text: str) -> tuple[int, datetime]:
        """A lost send that status.php settled as never sent; when it was offered again."""
        lost = await self.lost_answer(text, reached_smsc=False)
        sent_at = self.get(lost).sent_at
        assert sent_at is not None
        for seconds in (30, 200):  # "not found" twice, far apart, late enough
            await self.tracking.check_due(sent_at + timedelta(seconds=seconds))
        assert self.state(lost) is OutgoingState.NOT_SENT
        return lost, sent_at + timedelta(seconds=200)

    def get(self, outgoing_id: int) -> Outgoing:
        found = outgoing.get(self.store, outgoing_id)
        assert found is not None
        return found

    def state(self, outgoing_id: int) -> OutgoingState:
        return self.get(outgoing_id).state

    def press(self, data: str, user: int = ANNA) -> CallbackQuery:
        """A press on the preview message of the SMS the data names, as a client sends it."""
        read = read_sms_data(data)
        out = outgoing.get(self.store, read[1]) if read else None
        assert out is not None and out.preview_message_id is not None
        shown = Message(out.preview_message_id, datetime.now(UTC), Chat(GROUP, "supergroup"))
        query = CallbackQuery(
            f"q{next(self.query_ids)}", User(user, "Anna", False), "chat", message=shown, data=data
        )
        query.set_bot(self.bot)
        return query

    def answer(self, query: CallbackQuery) -> str:
        answer = self.telegram.answer_to(query.id)
        assert answer is not None
        return answer.text

    def shown(self, outgoing_id: int) -> SentMessage:
        """The preview message as the group sees it now."""
        message_id = self.get(outgoing_id).preview_message_id
        [message] = [m for m in self.telegram.messages(GROUP) if m.message_id == message_id]
        return message


@pytest.fixture
async def rig(tmp_path: Path, telegram: FakeTelegram, smsc: FakeSmsc) -> AsyncIterator[Rig]:
    store = Store.open(tmp_path / "bridge.db")
    db = AsyncStore(store)
    bot: ExtBot[None] = ExtBot(TOKEN, base_url=telegram.base_url)
    await bot.initialize()
    chats = Chats([ChatTarget(GROUP)], bot, db, spacing=0.05)
    outbox = SmscOutbox(smsc.url, SmscCredentials(LOGIN, PASSWORD))
    replies = Replies(db, outbox, chats, MOSCOW, {ANNA}, None, 50)
    yield Rig(store, replies, Tracking(replies), bot, telegram)
    await outbox.aclose()
    await bot.shutdown()
    db.close()


def later(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


async def test_a_lost_answer_is_settled_by_status_never_by_sending_again(
    rig: Rig, smsc: FakeSmsc
) -> None:
    sent = await rig.lost_answer("it did go out", reached_smsc=True)
    await rig.tracking.check_due(later(5))
    assert rig.state(sent) in (OutgoingState.SENT, OutgoingState.DELIVERED)
    assert len(smsc.outbox.send_requests) == 1 and smsc.outbox.status_requests


async def test_not_found_twice_offers_a_person_send_again_and_only_then_it_goes(
    rig: Rig, smsc: FakeSmsc, telegram: FakeTelegram
) -> None:
    lost = await rig.lost_answer("it never arrived", reached_smsc=False)
    await rig.tracking.check_due(later(1))
    assert rig.state(lost) is OutgoingState.UNKNOWN  # once could be SMSC still taking it in
    await rig.tracking.check_due(later(200))
    assert rig.state(lost) is OutgoingState.NOT_SENT
    assert smsc.outbox.send_requests == []  # nobody pressed anything: nothing was sent
    [preview] = [m for m in telegram.messages(GROUP) if "SMSC never had it" in m.plain]
    assert preview.markup is not None
    data = preview.markup["inline_keyboard"][0][0]["callback_data"]
    assert read_sms_data(data) == ("again", lost)
    await rig.replies.on_press(rig.press(data))
    await eventually(lambda: len(smsc.outbox.sends) == 1)
    [again] = smsc.outbox.sends
    assert again.our_id != rig.get(lost).send_id and again.text == "it never arrived"  # new ID
    await rig.replies.on_press(rig.press(data))  # the button pressed twice: still one send
    assert len(smsc.outbox.send_requests) == 1


async def test_delivery_is_followed_until_a_final_status(rig: Rig, smsc: FakeSmsc) -> None:
    smsc.outbox.timeline = [(0, 0)]  # handed to the operator...
    sent = await rig.lost_answer("to a dead number", reached_smsc=True)
    await rig.tracking.check_due(later(0))
    assert rig.state(sent) is OutgoingState.SENT
    smsc.outbox.timeline = [(0, 20)]  # ...which then could not deliver it
    await rig.tracking.check_due(later(3600))
    assert rig.state(sent) is OutgoingState.UNDELIVERED
    found = outgoing.get(rig.store, sent)
    assert found is not None and found.reason == "not delivered: the operator could not deliver it"


async def test_an_accepted_send_that_status_does_not_find_is_never_offered_again(
    rig: Rig, smsc: FakeSmsc, telegram: FakeTelegram
) -> None:
    accepted = await rig.lost_answer("SMSC said yes", reached_smsc=False)
    outgoing.settle(rig.store, accepted, OutgoingState.SENT, smsc_id=9001, next_check_at=later(0))
    for seconds in (1, 120, 600):  # "not found", again and again: SMSC lagging
        await rig.tracking.check_due(later(seconds))
        assert rig.state(accepted) is OutgoingState.SENT
    assert not any("SMSC never had it" in m.plain for m in telegram.messages(GROUP))
    await rig.tracking.check_due(later(25 * 3600))
    assert rig.state(accepted) is OutgoingState.UNSETTLED
    assert smsc.outbox.send_requests == []


class BrokenOutbox(SmscOutbox):
    """An outbox whose send fails in a way nobody foresaw (a bug, say)."""

    async def send(self, phone: str, text: str, sender: str | None, our_id: str) -> Sent:
        raise RuntimeError("a bug between the request and its record")


async def claimed(rig: Rig, text: str) -> Outgoing:
    now = datetime.now(UTC)
    draft = Draft("79261112233", text, None, 1, str(GROUP), None, None, Person(ANNA, "Anna"))
    out = outgoing.create_preview(rig.store, draft, now, now + timedelta(minutes=10))
    assert outgoing.claim(rig.store, out.id, now, now - timedelta(hours=1), 50) is Claim.CLAIMED
    return out


async def test_an_unforeseen_failure_mid_send_leaves_it_unknown_to_be_asked_about(
    rig: Rig, smsc: FakeSmsc
) -> None:
    out = await claimed(rig, "a bug strikes")
    broken = BrokenOutbox(smsc.url, SmscCredentials(LOGIN, PASSWORD))
    assert await send_once(rig.replies.store, broken, out) is None
    await broken.aclose()
    found = outgoing.get(rig.store, out.id)
    assert found is not None and found.state is OutgoingState.UNKNOWN  # not stuck "sending"
    await rig.tracking.check_due(later(UNKNOWN_CHECK_AFTER + 1))
    assert smsc.outbox.status_requests and smsc.outbox.send_requests == []


async def test_no_connection_at_all_means_nothing_left_and_it_is_said(
    rig: Rig, smsc: FakeSmsc
) -> None:
    out = await claimed(rig, "nobody listens")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    nowhere = SmscOutbox(closed, SmscCredentials(LOGIN, PASSWORD))
    assert await send_once(rig.replies.store, nowhere, out) is None
    await nowhere.aclose()
    found = outgoing.get(rig.store, out.id)
    assert found is not None and found.state is OutgoingState.FAILED
    assert found.reason == NOT_MADE and outgoing.due_checks(rig.store, later(3600)) == []


async def test_a_preview_nobody_sent_in_ten_minutes_expires_and_loses_its_buttons(
    rig: Rig, smsc: FakeSmsc, telegram: FakeTelegram
) -> None:
    now = datetime.now(UTC)
    draft = Draft("79261112233", "too late", None, 1, str(GROUP), None, None, Person(ANNA, "A"))
    out = outgoing.create_preview(rig.store, draft, now, now + timedelta(minutes=10))
    shown = await rig.replies.chats.gateway(GROUP).send_text("preview")
    outgoing.set_preview_message(rig.store, out.id, shown.message_id)
    await rig.tracking.check_due(later(9 * 60))
    assert rig.state(out.id) is OutgoingState.PREVIEW
    await rig.tracking.check_due(later(10 * 60 + 1))
    assert rig.state(out.id) is OutgoingState.EXPIRED
    [edited] = [m for m in telegram.messages(GROUP) if m.message_id == shown.message_id]
    assert "Nobody pressed Send in time" in edited.plain and not edited.markup
    assert outgoing.claim(rig.store, out.id, later(0), now, 50) is Claim.TAKEN
    assert smsc.outbox.send_requests == []


@pytest.mark.parametrize(
    "failure",
    [("status", 502), ("error", 9), ("drop", None)],
    ids=["a proxy's 502", "SMSC's error 9", "a cut connection"],
)
async def test_a_failed_status_request_is_no_answer_and_not_found_needs_time(
    rig: Rig, smsc: FakeSmsc, telegram: FakeTelegram, failure: tuple[str, object]
) -> None:
    lost = await rig.lost_answer("maybe it went", reached_smsc=False)
    sent_at = rig.get(lost).sent_at
    assert sent_at is not None

    async def look(seconds: float) -> Outgoing:
        asked = len(smsc.outbox.status_requests)
        await rig.tracking.check_due(sent_at + timedelta(seconds=seconds))
        assert len(smsc.outbox.status_requests) == asked + 1  # it was due, and asked
        return rig.get(lost)

    smsc.outbox.fail_next_status(*failure)
    failed = await look(30)
    assert (failed.state, failed.checks, failed.not_found) == (OutgoingState.UNKNOWN, 0, 0)
    first = await look(50)  # one "not found": SMSC may be taking it in
    assert (first.state, first.not_found) == (OutgoingState.UNKNOWN, 1)
    too_soon = await look(70)  # a second, 20 s after the first
    assert (too_soon.state, too_soon.not_found) == (OutgoingState.UNKNOWN, 2)
    early = await look(140)  # 90 s after the first, but under 3 minutes after the send
    assert early.state is OutgoingState.UNKNOWN
    assert outgoing.due_checks(rig.store, sent_at + timedelta(seconds=180)) == [early]
    settled = await look(180)  # a minute apart and three minutes after: never had it
    assert settled.state is OutgoingState.NOT_SENT
    assert rig.shown(lost).markup is not None and "SMSC never had it" in rig.shown(lost).plain
    assert smsc.outbox.send_requests == []


async def test_send_again_expires_ten_minutes_after_it_was_offered(
    rig: Rig, smsc: FakeSmsc
) -> None:
    lost, offered = await rig.never_had_it("offered for ten minutes")
    offer = rig.shown(lost).markup
    assert offer is not None
    [again] = offer["inline_keyboard"][0]
    assert "Only Anna can send it again, until" in rig.shown(lost).plain
    await rig.tracking.check_due(offered + timedelta(minutes=9))
    assert rig.state(lost) is OutgoingState.NOT_SENT and rig.shown(lost).markup
    await rig.tracking.check_due(offered + timedelta(minutes=10, seconds=1))
    assert rig.state(lost) is OutgoingState.NOT_RESENT
    assert not rig.shown(lost).markup and "Nobody pressed Send again in time" in (
        rig.shown(lost).plain
    )
    query = rig.press(again["callback_data"])
    await rig.replies.on_press(query)
    assert rig.answer(query).startswith("Nothing sent")
    assert smsc.outbox.send_requests == []


async def test_a_send_again_press_after_its_time_sends_nothing_even_before_the_loop_looks(
    rig: Rig, smsc: FakeSmsc
) -> None:
    lost, _offered = await rig.never_had_it("too late to send again")
    outgoing.note_not_found(  # offered eleven minutes ago; the loop has not looked since
        rig.store, lost, later(0), offer_until=datetime.now(UTC) - timedelta(minutes=1)
    )
    query = rig.press(f"sms:again:{lost}")
    await rig.replies.on_press(query)
    assert rig.answer(query).startswith("Nothing sent")
    assert rig.state(lost) is OutgoingState.NOT_RESENT and not rig.shown(lost).markup
    assert smsc.outbox.send_requests == []


async def test_a_send_again_the_daily_limit_refuses_keeps_the_offer_and_says_when(
    rig: Rig, smsc: FakeSmsc
) -> None:
    lost, _offered = await rig.never_had_it("over the limit")
    await claimed(rig, "went out today")  # one part counted today
    rig.replies.daily_limit = 1
    data = f"sms:again:{lost}"
    refused = rig.press(data)
    await rig.replies.on_press(refused)
    answer = rig.answer(refused)
    assert answer.startswith("Not sent: 1 of today's 1 SMS parts are used")
    assert "It can go from " in answer and "00:00" in answer
    assert rig.state(lost) is OutgoingState.NOT_SENT  # not used up: the offer stays
    assert rig.shown(lost).markup is not None
    assert smsc.outbox.send_requests == []
    rig.replies.daily_limit = 2  # the limit raised (or the next day): the same button works
    await rig.replies.on_press(rig.press(data))
    await eventually(lambda: len(smsc.outbox.sends) == 1)
    assert rig.state(lost) is OutgoingState.RESENT


async def test_a_user_removed_from_sms_reply_user_ids_cannot_press_send_or_send_again(
    rig: Rig, smsc: FakeSmsc
) -> None:
    preview = await rig.preview("written while allowed")
    lost, _offered = await rig.never_had_it("lost while allowed")
    restarted = replace(rig.replies, user_ids={BORIS})  # SMS_REPLY_USER_IDS without Anna
    for data in (f"sms:send:{preview.id}", f"sms:again:{lost}"):
        query = rig.press(data)
        await restarted.on_press(query)
        assert rig.answer(query) == (
            "Nothing sent: you may no longer send SMS; the admin can allow you again."
        )
    assert rig.state(preview.id) is OutgoingState.PREVIEW
    assert rig.state(lost) is OutgoingState.NOT_SENT
    cancel = rig.press(f"sms:cancel:{preview.id}")  # cancelling sends nothing: allowed
    await restarted.on_press(cancel)
    assert rig.answer(cancel) == "Cancelled."
    assert smsc.outbox.send_requests == []


async def test_numbers_reach_the_replies_log_only_at_debug(
    rig: Rig, smsc: FakeSmsc, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    asked = Message(
        1, datetime.now(UTC), Chat(GROUP, "supergroup"), from_user=User(ANNA, "Anna", False)
    )
    await rig.replies.propose(asked, PHONE, "proposed", answers=None)
    (proposed,) = rig.store.conn.execute("SELECT max(id) FROM outgoing").fetchone()
    await rig.replies.on_press(rig.press(f"sms:send:{proposed}"))
    smsc.outbox.fail_next_send("error", 7)
    refused = await rig.preview("refused")
    await rig.replies.on_press(rig.press(f"sms:send:{refused.id}"))
    smsc.outbox.fail_next_send("drop")
    dropped = await rig.preview("answer lost")
    await rig.replies.on_press(rig.press(f"sms:send:{dropped.id}"))
    await rig.tracking.check_due(later(3600))
    said = [
        (r.levelno, r.getMessage())
        for r in caplog.records
        if r.name.startswith("bot.features.replies")
    ]
    for event in ("proposed by", "sent by", "refused by SMSC", "may have been sent"):
        assert any(event in line for _level, line in said), event
    assert any(
        r.name == "bot.features.replies.tracking" for r in caplog.records
    )  # a status settled
    assert [line for level, line in said if level >= logging.INFO and PHONE in line] == []
    assert any(PHONE in line for level, line in said if level == logging.DEBUG)


async def test_a_refusal_is_logged_in_english_with_its_code_and_shown_in_the_ui_language(
    rig: Rig, smsc: FakeSmsc, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.features.replies")
    smsc.outbox.fail_next_send("error", 42)  # a code SMSC never explained
    refused = await rig.preview("refused")
    with in_language("ru"):
        await rig.replies.on_press(rig.press(f"sms:send:{refused.id}"))
        said = str(SendRefused(42).said)
    assert "42" in said and said in rig.shown(refused.id).plain
    logged = [r.getMessage() for r in caplog.records if "refused by SMSC" in r.getMessage()]
    assert logged == [
        f"SMS {refused.id} refused by SMSC (error 42): SMSC refused the SMS (error 42)."
    ]


async def test_an_old_sms_to_the_same_number_never_settles_a_new_one_after_a_purge(
    rig: Rig, smsc: FakeSmsc
) -> None:
    old = await rig.lost_answer("the old one, which went out", reached_smsc=True)
    await rig.tracking.check_due(later(5))
    outgoing.settle(rig.store, old, OutgoingState.DELIVERED)
    assert purge_replies_batch(rig.store, later(60)) == 1  # every reply gone
    new = await rig.lost_answer("the new one, which never left", reached_smsc=False)
    assert new == old  # SQLite gives the row ID again...
    [went] = smsc.outbox.sends
    assert rig.get(new).send_id != went.our_id  # ...but SMSC gets a new one
    await rig.tracking.check_due(later(30))
    assert smsc.outbox.status_requests[-1][:2] == (PHONE, rig.get(new).send_id)
    assert rig.state(new) is OutgoingState.UNKNOWN  # "not found", not the old one's status
