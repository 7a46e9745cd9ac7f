"""Calls end to end, in process: the real store, python-telegram-bot against the fake Bot
API, SMSC's send.php and status.php faked on 127.0.0.1, and a set clock (`now` is given
to each pass, so ten minutes pass in no time).

A chain of two where the first does not answer; a take between two calls; a take while a
call request is in flight; a restart mid-chain (a call whose answer never came); the
daily cap, told once; a lost answer settled by status.php (-3: shown as never went out,
and nobody is called again for that step).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from telegram.ext import ExtBot

from bot.core.database import AsyncStore
from bot.features.oncall.call_plan import Policy
from bot.features.oncall.calling import Calling
from bot.relay.chats import Chats
from bot.routing.targets import ChatTarget
from bot.smsc.credentials import SmscCredentials
from bot.smsc.send_api import Sent, SmscOutbox
from bot.text.i18n import in_language
from state import IncomingSms, Store, calls, deliveries, messages, oncall
from state.calls import CallState
from state.oncall import Person
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess
from tests.fakes.smsc import LOGIN, PASSWORD, FakeSmsc
from tests.fakes.smsc_send import CALL_ANSWERED, CALL_NOT_ANSWERED
from tests.fakes.telegram import TOKEN, FakeTelegram
from tests.fakes.wait import eventually, wait_until

pytestmark = pytest.mark.e2e

GROUP = -1001
MOSCOW = ZoneInfo("Europe/Moscow")
T0 = datetime(2026, 12, 4, 0, 30, tzinfo=UTC)  # 03:30 in Moscow
CALL, NEXT = timedelta(minutes=10), timedelta(minutes=5)


@dataclass(frozen=True)
class Member:
    key: str
    name: str
    telegram_id: int
    phone: str


ANNA = Member("anna", "Anna", 111, "+79261234567")
BORIS = Member("boris", "Boris", 222, "+79037654321")


@dataclass
class Rig:
    store: Store
    db: AsyncStore
    chats: Chats
    smsc: FakeSmsc
    order: list[Member]
    limit: int = 20
    next_id: int = 1

    def calling(self) -> Calling:
        """A fresh `Calling`, as a start of the bridge makes it."""

        async def call_order(chat: str, now: datetime) -> Sequence[Member]:
            return list(self.order)

        outbox = SmscOutbox(self.smsc.url, SmscCredentials(LOGIN, PASSWORD))
        policies = {str(GROUP): Policy(CALL, NEXT, rounds=1)}
        return Calling(self.db, self.chats, outbox, policies, call_order, MOSCOW, self.limit)

    def relayed(self, text: str, message_id: int) -> int:
        """An SMS relayed into the group as `message_id` at T0, its chain queued."""
        smsc_id = self.next_id
        self.next_id += 1
        sms = IncomingSms(smsc_id, "900", "79031234567", text, T0)
        messages.save_incoming(self.store, [sms], [str(GROUP)])
        deliveries.mark_sent(
            self.store,
            str(GROUP),
            [smsc_id],
            message_id,
            also=lambda store: calls.queue_chain(
                store, str(GROUP), [smsc_id], message_id, T0, T0 + CALL
            ),
        )
        return smsc_id


@pytest.fixture
async def rig(tmp_path: Path, telegram: FakeTelegram, smsc: FakeSmsc) -> AsyncIterator[Rig]:
    store = Store.open(tmp_path / "bridge.db")
    db = AsyncStore(store)
    bot: ExtBot[None] = ExtBot(TOKEN, base_url=telegram.base_url)
    await bot.initialize()
    chats = Chats([ChatTarget(GROUP)], bot, db, spacing=0.05)
    smsc.outbox.call_timelines[ANNA.phone[1:]] = CALL_NOT_ANSWERED
    smsc.outbox.call_timelines[BORIS.phone[1:]] = CALL_ANSWERED
    with in_language("en"):
        yield Rig(store, db, chats, smsc, [ANNA, BORIS])
    await bot.shutdown()
    db.close()


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def lines(telegram: FakeTelegram) -> list[tuple[str, int | None]]:
    return [(m.plain, m.reply_to) for m in telegram.messages(GROUP)]


async def settled(calling: Calling, when: datetime) -> None:
    """Ask status.php, from `when` on, until each placed call has a final answer (the
    fake's calls end within a fraction of a second; the set clock moves a check on)."""
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        await calling.check_due(when)
        if not await calling.store.call(calls.due_checks, when + timedelta(hours=1)):
            return
        assert asyncio.get_running_loop().time() < deadline, "calls never settled"
        await asyncio.sleep(0.1)
        when += timedelta(seconds=20)


async def test_a_chain_of_two_where_the_first_does_not_answer(
    rig: Rig, telegram: FakeTelegram, smsc: FakeSmsc
) -> None:
    sms = rig.relayed("Sberbank: code 482193 to log in", 50)
    calling = rig.calling()
    await calling.call_due(at(9))
    assert smsc.outbox.call_requests == []  # not before `call`
    await calling.call_due(at(10))
    [first] = smsc.outbox.calls
    assert first.phone == "79261234567" and "482193" not in first.text
    assert first.text.startswith("SMS from 900, not taken for 10 min")
    await settled(calling, at(11))
    await calling.call_due(at(14))
    assert len(smsc.outbox.calls) == 1  # Anna has her `next` five minutes
    await calling.call_due(at(15) + timedelta(seconds=1))
    assert [c.phone for c in smsc.outbox.calls] == ["79261234567", "79037654321"]
    await settled(calling, at(16))
    await calling.call_due(at(60))
    assert len(smsc.outbox.calls) == 2  # one round: nobody is called twice
    assert lines(telegram) == [
        ("📞 Calling Anna…", 50),
        (
            "Anna did not answer (SMSC status 20: not delivered: the operator could not "
            "deliver it), calling Boris…",
            50,
        ),
        ("✅ Boris answered the call", 50),
    ]
    states = [c.state for c in calls.calls_of(rig.store, str(GROUP), sms)]
    assert states == [CallState.NOT_ANSWERED, CallState.ANSWERED]
    await calling.outbox.aclose()


async def test_a_take_between_two_calls_stops_the_chain(
    rig: Rig, telegram: FakeTelegram, smsc: FakeSmsc
) -> None:
    sms = rig.relayed("Door 7 open", 60)
    calling = rig.calling()
    await calling.call_due(at(10))
    oncall.take(rig.store, [sms], Person(5, "Vera"), at(12))
    await calling.call_due(at(20))
    await calling.call_due(at(40))
    assert len(smsc.outbox.calls) == 1
    assert [text for text, _ in lines(telegram)] == ["📞 Calling Anna…"]
    await calling.outbox.aclose()


async def test_a_take_while_the_call_request_is_in_flight_makes_no_further_call(
    rig: Rig, smsc: FakeSmsc
) -> None:
    sms = rig.relayed("Door 7 open", 61)
    calling = rig.calling()
    smsc.outbox.fail_next_send("hold")  # SMSC takes the call and holds its answer
    placing = asyncio.ensure_future(calling.call_due(at(10)))
    await eventually(lambda: len(smsc.outbox.calls) == 1)
    oncall.take(rig.store, [sms], Person(5, "Vera"), at(10))
    smsc.outbox.released.set()
    await placing
    await calling.call_due(at(30))
    assert len(smsc.outbox.call_requests) == 1
    await calling.outbox.aclose()


async def test_a_restart_mid_chain_continues_without_calling_anyone_twice(
    rig: Rig, telegram: FakeTelegram, smsc: FakeSmsc
) -> None:
    sms = rig.relayed("Boiler 3: pressure LOW", 70)
    before = rig.calling()
    smsc.outbox.fail_next_send("hold")  # the bridge dies while Anna's call is asked
    placing = asyncio.ensure_future(before.call_due(at(10)))
    await eventually(lambda: len(smsc.outbox.calls) == 1)
    placing.cancel()
    smsc.outbox.released.set()
    await before.outbox.aclose()
    after = rig.calling()  # the restart: what was mid-request is unknown, never redone
    assert await rig.db.call(calls.recover_interrupted, at(11)) != []
    await after.call_due(at(11))
    assert len(smsc.outbox.calls) == 1
    await settled(after, at(12))  # status.php: Anna's call went out, and rang out
    await after.call_due(at(16))
    assert [c.phone for c in smsc.outbox.calls] == ["79261234567", "79037654321"]
    assert [c.step for c in calls.calls_of(rig.store, str(GROUP), sms)] == [0, 1]
    await after.outbox.aclose()


async def test_the_daily_cap_stops_calls_and_says_so_once(
    rig: Rig, telegram: FakeTelegram, smsc: FakeSmsc
) -> None:
    rig.limit = 1
    rig.relayed("Door 7 open", 80)
    rig.relayed("Door 8 open", 81)
    rig.relayed("Door 9 open", 82)
    calling = rig.calling()
    await calling.call_due(at(10))
    assert len(smsc.outbox.calls) == 1
    capped = [text for text, _ in lines(telegram) if text.startswith("📵 Calls stopped")]
    assert capped == [
        "📵 Calls stopped for today: the bridge placed its 1 calls (CALL_DAILY_LIMIT). "
        "Take the SMS here."
    ]
    await calling.call_due(at(30))
    assert len(smsc.outbox.calls) == 1
    with in_language("en"):
        assert "Calls today: 1 of 1" in (await calling.status_lines(at(30)))[0]
    await calling.outbox.aclose()


async def test_a_lost_answer_is_settled_by_status_and_never_called_again(
    rig: Rig, telegram: FakeTelegram, smsc: FakeSmsc
) -> None:
    sms = rig.relayed("Door 7 open", 90)
    calling = rig.calling()
    smsc.outbox.fail_next_send("status", 502)  # a proxy's page: SMSC may have placed it
    await calling.call_due(at(10))
    assert len(smsc.outbox.call_requests) == 1 and smsc.outbox.calls == []
    [unsettled] = await rig.db.call(calls.unsettled)
    smsc.outbox.fail_next_status("status", 502)  # status.php gives no answer: still shown
    await calling.check_due(at(11))
    shown = await calling.status_lines(at(11))
    assert any("its answer was lost" in line for line in shown)
    await calling.check_due(at(12))  # -3: SMSC never had it
    [call, *_] = calls.calls_of(rig.store, str(GROUP), sms)
    assert call.id == unsettled.id and call.state is CallState.NEVER_WENT_OUT
    assert (
        "The call to Anna never went out (SMSC has no such call). The bridge does not call "
        "again on its own.",
        90,
    ) in lines(telegram)
    assert len(smsc.outbox.call_requests) == 1  # nothing asked again for that step
    assert len(await calling.status_lines(at(12))) == 1  # nothing unsettled now
    await calling.outbox.aclose()


# --- the real `sms-bridge run`, with a team file ------------------------------------------

TEAM = f"""
[people.anna]
name = "Anna"
telegram_id = {ANNA.telegram_id}
phone = "+7 926 123-45-67"

[people.boris]
name = "Boris"
telegram_id = {BORIS.telegram_id}
phone = "+7 903 765-43-21"

[chats."{GROUP}"]
call = "10m"
next = "5m"
rounds = 2
"""


def database(tmp_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(tmp_path / "data" / "bridge.db", isolation_level=None)


def rows(tmp_path: Path, sql: str) -> list[tuple[object, ...]]:
    with closing(database(tmp_path)) as db:
        return db.execute(sql).fetchall()


def bring_forward(tmp_path: Path) -> None:
    """The chain's next step falls due now, as far as the bridge knows (no ten-minute wait)."""
    with closing(database(tmp_path)) as db:
        db.execute("UPDATE call_chains SET due_at = '2000-01-01 00:00:00' WHERE due_at IS NOT NULL")


def test_the_bridge_calls_when_nobody_takes_an_sms_and_a_take_stops_it(
    tmp_path: Path, start_bridge: Callable[..., BridgeProcess], smsc: FakeSmsc,
    telegram: FakeTelegram,
) -> None:  # fmt: skip
    (tmp_path / "team.toml").write_text(TEAM, "utf-8")
    bridge = start_bridge(TEAM_FILE=str(tmp_path / "team.toml"))
    bridge.wait_for_log(FIRST_START_DONE)
    smsc.outbox.call_timelines["79261234567"] = [(0.0, 20)]  # Anna does not answer
    with closing(database(tmp_path)) as db:  # both on duty here (/oncall me), Anna first
        for since, person in enumerate((ANNA, BORIS)):
            db.execute(
                "INSERT INTO on_duty (chat, user_id, user_name, since) VALUES (?, ?, ?, ?)",
                (str(GROUP), person.telegram_id, person.name, f"2026-12-01 00:00:0{since}"),
            )
    smsc.add_sms("Sberbank: code 482193 to log in")
    telegram.wait_for(lambda: telegram.messages(GROUP), what="the SMS relayed")
    [sms_message] = telegram.messages(GROUP)
    wait_until(lambda: rows(tmp_path, "SELECT * FROM call_chains"), what="the chain queued")
    bring_forward(tmp_path)
    wait_until(lambda: len(smsc.outbox.calls) == 1, what="Anna called")
    assert smsc.outbox.calls[0].phone == "79261234567"
    assert "482193" not in smsc.outbox.calls[0].text
    telegram.wait_for(
        lambda: ("📞 Calling Anna…", sms_message.message_id) in lines(telegram),
        what="the chat told",
    )
    bring_forward(tmp_path)
    wait_until(lambda: len(smsc.outbox.calls) == 2, what="Boris called")
    assert smsc.outbox.calls[1].phone == "79037654321"
    telegram.wait_for(
        lambda: any(text.endswith("calling Boris…") for text, _ in lines(telegram)),
        what="the chat told of Boris",
    )
    bridge.wait_for_log("answering chat commands")
    telegram.user_presses(sms_message, user_id=BORIS.telegram_id, name="Boris")
    wait_until(lambda: database(tmp_path).execute("SELECT 1 FROM takes").fetchall(), what="taken")
    bring_forward(tmp_path)  # Anna's second round would be next: the take stopped it

    taken = [("taken",)]
    wait_until(
        lambda: rows(tmp_path, "SELECT ended FROM call_chains") == taken, what="chain stopped"
    )
    assert len(smsc.outbox.calls) == 2


def test_a_bridge_killed_mid_call_never_calls_that_step_again(
    tmp_path: Path, start_bridge: Callable[..., BridgeProcess], smsc: FakeSmsc,
    telegram: FakeTelegram,
) -> None:  # fmt: skip
    (tmp_path / "team.toml").write_text(TEAM.replace("rounds = 2", "rounds = 1"), "utf-8")
    bridge = start_bridge(TEAM_FILE=str(tmp_path / "team.toml"))
    bridge.wait_for_log(FIRST_START_DONE)
    with closing(database(tmp_path)) as db:
        for since, person in enumerate((ANNA, BORIS)):
            db.execute(
                "INSERT INTO on_duty (chat, user_id, user_name, since) VALUES (?, ?, ?, ?)",
                (str(GROUP), person.telegram_id, person.name, f"2026-12-01 00:00:0{since}"),
            )
    smsc.add_sms("Boiler 3: pressure LOW")
    wait_until(lambda: rows(tmp_path, "SELECT * FROM call_chains"), what="the chain queued")
    smsc.outbox.fail_next_send("hold")  # SMSC places Anna's call; its answer never comes
    bring_forward(tmp_path)
    wait_until(lambda: len(smsc.outbox.calls) == 1, what="Anna called")
    bridge.kill()  # SIGKILL between the request and its answer
    smsc.outbox.released.set()
    assert rows(tmp_path, "SELECT state FROM calls") == [("calling",)]
    bridge.start()
    wait_until(
        lambda: rows(tmp_path, "SELECT state FROM calls") == [("unknown",)],
        what="the interrupted call unknown, for status.php to settle",
    )
    bring_forward(tmp_path)
    wait_until(lambda: len(smsc.outbox.calls) == 2, what="Boris called")
    assert [c.phone for c in smsc.outbox.calls] == ["79261234567", "79037654321"]
    assert len(smsc.outbox.call_requests) == 2  # Anna's step was never asked again


async def test_when_the_last_call_rings_out_the_chat_is_told_nobody_else_is_called(
    rig: Rig, telegram: FakeTelegram, smsc: FakeSmsc
) -> None:
    rig.order = [ANNA]
    rig.relayed("Door 7 open", 95)
    calling = rig.calling()
    await calling.call_due(at(10))
    await settled(calling, at(11))
    await calling.call_due(at(60))
    assert len(smsc.outbox.calls) == 1
    assert lines(telegram)[-1] == (
        "Anna did not answer (SMSC status 20: not delivered: the operator could not deliver "
        "it): nobody else is called for this SMS.",
        95,
    )
    await calling.outbox.aclose()


class BrokenOutbox(SmscOutbox):
    """An outbox that fails in an unforeseen way once the request may have left."""

    async def call(self, phone: str, text: str, our_id: str, **options: str) -> Sent:
        await super().call(phone, text, our_id, **options)
        raise RuntimeError("a bug after the request")


async def test_an_unforeseen_failure_mid_call_leaves_it_unknown_never_called_again(
    rig: Rig, smsc: FakeSmsc
) -> None:
    sms = rig.relayed("Door 7 open", 96)
    calling = rig.calling()
    await calling.outbox.aclose()
    calling.outbox = BrokenOutbox(smsc.url, SmscCredentials(LOGIN, PASSWORD))
    await calling.call_due(at(10))
    [call] = calls.calls_of(rig.store, str(GROUP), sms)
    assert call.state is CallState.UNKNOWN and len(smsc.outbox.call_requests) == 1
    assert any("its answer was lost" in line for line in await calling.status_lines(at(10)))
    await calling.call_due(at(14))
    assert len(smsc.outbox.call_requests) == 1
    await calling.outbox.aclose()
