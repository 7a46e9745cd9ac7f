"""Settling sends whose answer was lost, in process, with a set clock: status.php decides,
and only a person's press sends again."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from telegram import CallbackQuery, Chat, Message, User
from telegram.ext import ExtBot

from bot.chats import Chats
from bot.config import ChatTarget
from bot.database import AsyncStore
from bot.replies.compose import read_sms_data
from bot.replies.flow import Replies
from bot.replies.sending import NOT_MADE, UNKNOWN_CHECK_AFTER, send_once
from bot.replies.tracking import Tracking
from bot.smsc.outbox import Sent, SmscOutbox
from state import Store, outgoing
from state.oncall import Person
from state.outgoing import Claim, Draft, Outgoing, OutgoingState
from tests.fakes.smsc import LOGIN, PASSWORD, FakeSmsc
from tests.fakes.telegram import TOKEN, FakeTelegram
from tests.fakes.wait import eventually

GROUP, ANNA = -1001, 1001
MOSCOW = ZoneInfo("Europe/Moscow")


@dataclass
class Rig:
    store: Store
    replies: Replies
    tracking: Tracking
    bot: ExtBot[None]
    telegram: FakeTelegram

    async def lost_answer(self, text: str, *, reached_smsc: bool) -> int:
        """A send in state `unknown`, its preview shown, as after a timeout or a crash."""
        now = datetime.now(UTC)
        draft = Draft("79261112233", text, None, 1, str(GROUP), None, None, Person(ANNA, "Anna"))
        out = outgoing.create_preview(self.store, draft, now, now + timedelta(minutes=10))
        shown = await self.replies.chats.gateway(GROUP).send_text("preview")
        outgoing.set_preview_message(self.store, out.id, shown.message_id)
        outgoing.claim(self.store, out.id, now, now - timedelta(hours=1), 50)
        if reached_smsc:
            await self.replies.outbox.send(out.phone, out.text, None, out.id)
        outgoing.settle(self.store, out.id, OutgoingState.UNKNOWN, next_check_at=now)
        return out.id

    def state(self, outgoing_id: int) -> OutgoingState:
        found = outgoing.get(self.store, outgoing_id)
        assert found is not None
        return found.state

    def press(self, data: str, user: int = ANNA) -> CallbackQuery:
        """A press on the preview message of the SMS the data names, as a client sends it."""
        read = read_sms_data(data)
        out = outgoing.get(self.store, read[1]) if read else None
        assert out is not None and out.preview_message_id is not None
        shown = Message(out.preview_message_id, datetime.now(UTC), Chat(GROUP, "supergroup"))
        query = CallbackQuery("q", User(user, "Anna", False), "chat", message=shown, data=data)
        query.set_bot(self.bot)
        return query


@pytest.fixture
async def rig(tmp_path: Path, telegram: FakeTelegram, smsc: FakeSmsc) -> AsyncIterator[Rig]:
    store = Store.open(tmp_path / "bridge.db")
    db = AsyncStore(store)
    bot: ExtBot[None] = ExtBot(TOKEN, base_url=telegram.base_url)
    await bot.initialize()
    chats = Chats([ChatTarget(GROUP)], bot, db, spacing=0.05)
    outbox = SmscOutbox(smsc.url, {"login": LOGIN, "psw": PASSWORD})
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
    await rig.tracking.check_due(later(120))
    assert rig.state(lost) is OutgoingState.NOT_SENT
    assert smsc.outbox.send_requests == []  # nobody pressed anything: nothing was sent
    [preview] = [m for m in telegram.messages(GROUP) if "SMSC never had it" in m.plain]
    assert preview.markup is not None
    data = preview.markup["inline_keyboard"][0][0]["callback_data"]
    assert read_sms_data(data) == ("again", lost)
    await rig.replies.on_press(rig.press(data))
    await eventually(lambda: len(smsc.outbox.sends) == 1)
    [again] = smsc.outbox.sends
    assert again.our_id != lost and again.text == "it never arrived"  # a new ID
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

    async def send(self, phone: str, text: str, sender: str | None, our_id: int) -> Sent:
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
    broken = BrokenOutbox(smsc.url, {"login": LOGIN, "psw": PASSWORD})
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
    nowhere = SmscOutbox(closed, {"login": LOGIN, "psw": PASSWORD})
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
