"""On duty by a schedule, in process: real store, real python-telegram-bot, the fake Bot
API, a driven clock. The handover line is said once, and a restart does not say it again;
/oncall me and off hold until the next handover; the call order follows the rotation; a
calendar URL (a local server) is fetched, and a failed fetch keeps the last good one."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from telegram.ext import ExtBot

from bot.core.database import AsyncStore
from bot.features.oncall.calendars import CalendarFeed
from bot.features.oncall.duty import DutyRoster, Handovers
from bot.features.oncall.team import CalendarSource, Member, Rotation, Team
from bot.relay.chats import Chats
from bot.routing.targets import ChatTarget
from state import Store, duty
from state.oncall import Person
from tests.fakes.clock import FakeClock
from tests.fakes.telegram import TOKEN, FakeTelegram
from tests.fakes.wait import eventually
from tests.test_schedules import ICS

GROUP = -1001
MOSCOW = ZoneInfo("Europe/Moscow")
ANNA = Member("anna", "Anna", 11, "+79261234567")
BORIS = Member("boris", "Boris", 22, "+79261234568")
VERA = Member("vera", "Vera", 33, "+79261234569")
# Daily shifts from Monday 7 December 2026, 09:00 Moscow: Anna, Boris, Vera, Anna...
DAILY = Rotation(("anna", "boris", "vera"), time(9), timedelta(days=1), date(2026, 12, 7))
START = datetime(2026, 12, 7, 8, 0, tzinfo=MOSCOW).astimezone(UTC)  # an hour before


def team(schedule: Rotation | CalendarSource = DAILY) -> Team:
    people = {m.key: m for m in (ANNA, BORIS, VERA)}
    return Team(Path("team.toml"), people, {}, {str(GROUP): schedule})


class WallClock:
    """A wall clock moved by a FakeClock: START plus the seconds it was advanced."""

    def __init__(self, fake: FakeClock) -> None:
        self.fake = fake
        self.base = fake.now()

    def now(self) -> datetime:
        return START + timedelta(seconds=self.fake.now() - self.base)

    async def sleep(self, seconds: float) -> None:
        await self.fake.sleep(seconds)


@dataclass
class Rig:
    store: Store
    db: AsyncStore
    chats: Chats


@pytest.fixture
async def rig(tmp_path: Path, telegram: FakeTelegram) -> AsyncIterator[Rig]:
    store = Store.open(tmp_path / "bridge.db")
    db = AsyncStore(store)
    bot: ExtBot[None] = ExtBot(TOKEN, base_url=telegram.base_url)
    await bot.initialize()
    yield Rig(store, db, Chats([ChatTarget(GROUP)], bot, db, spacing=0.05))
    await bot.shutdown()
    db.close()


async def pass_time(fake: FakeClock, seconds: float, step: float = 1800) -> None:
    """Move the clock on in steps, each once the watcher sleeps again (it reads the store
    and writes to Telegram between its sleeps: real I/O the fake clock cannot see)."""
    while seconds > 0:
        await eventually(lambda: fake.next_wake is not None, what="the watcher asleep")
        await fake.advance(min(step, seconds))
        seconds -= step
    await eventually(lambda: fake.next_wake is not None, what="the watcher asleep")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MOSCOW).astimezone(UTC)


async def test_each_handover_is_said_once_and_a_restart_does_not_repeat_it(
    rig: Rig, telegram: FakeTelegram
) -> None:
    fake = FakeClock()
    clock = WallClock(fake)
    roster = DutyRoster(team(), rig.db, MOSCOW)
    task = asyncio.create_task(Handovers(roster, rig.chats, clock).run())
    await pass_time(fake, 30 * 60)  # 08:30: before the first shift
    assert telegram.messages(GROUP) == []
    await pass_time(fake, 30 * 60 + 1)  # 09:00: Anna's shift begins
    await eventually(lambda: telegram.messages(GROUP), what="the handover line")
    [line] = telegram.messages(GROUP)
    assert line.plain == "🔔 On duty now: Anna, until Tue 09:00"
    task.cancel()
    await eventually(lambda: task.done(), what="the first watcher stopped")
    # a restart within the hour a late line would still be said in: booked, not said again
    again = asyncio.create_task(Handovers(roster, rig.chats, clock).run())
    await pass_time(fake, 60)
    assert len(telegram.messages(GROUP)) == 1
    assert rig.store.conn.execute("SELECT count(*) FROM duty_handovers").fetchone()[0] == 1
    await pass_time(fake, 3 * 3600)  # looked again and again: nothing more to say
    assert len(telegram.messages(GROUP)) == 1
    await pass_time(fake, 21 * 3600)  # Tuesday 09:00: Boris
    await eventually(lambda: len(telegram.messages(GROUP)) == 2, what="the second line")
    assert telegram.messages(GROUP)[-1].plain == "🔔 On duty now: Boris, until Wed 09:00"
    again.cancel()


async def test_overrides_hold_until_the_next_handover(rig: Rig) -> None:
    roster = DutyRoster(team(), rig.db, MOSCOW)
    key = str(GROUP)
    monday = at("2026-12-07 12:00")
    now_on = await roster.duty_now(key, monday)
    assert now_on is not None and now_on.names == ["Anna"]
    assert now_on.until == at("2026-12-08 09:00") and now_on.next_names == ["Boris"]
    assert [m.key for m in await roster.call_order(key, monday)] == ["anna", "boris", "vera"]
    duty.set_override(rig.store, key, Person(33, "Vera"), True, monday)
    duty.set_override(rig.store, key, Person(11, "Anna"), False, monday)
    duty.set_override(rig.store, key, Person(99, "Guest"), True, monday)  # not in the team
    now_on = await roster.duty_now(key, monday + timedelta(hours=1))
    assert now_on is not None and now_on.names == ["Vera", "Guest"]
    order = await roster.call_order(key, monday + timedelta(hours=1))
    assert [m.key for m in order] == ["vera", "boris", "anna"]  # Anna is off, then her turn
    tuesday = at("2026-12-08 09:00")  # the handover: the overrides lapse
    now_on = await roster.duty_now(key, tuesday)
    assert now_on is not None and now_on.names == ["Boris"]
    assert [m.key for m in await roster.call_order(key, tuesday)] == ["boris", "vera", "anna"]


async def test_a_chat_without_a_schedule_calls_its_oncall_me_members(rig: Rig) -> None:
    from state import oncall

    roster = DutyRoster(Team(Path("t.toml"), {"anna": ANNA, "boris": BORIS}, {}, {}), rig.db)
    now = at("2026-12-07 12:00")
    oncall.set_on_duty(rig.store, "-1002", Person(22, "Boris"), True, now)
    oncall.set_on_duty(rig.store, "-1002", Person(99, "Guest"), True, now)
    oncall.set_on_duty(rig.store, "-1002", Person(11, "Anna"), True, now + timedelta(1))
    assert [m.key for m in await roster.call_order("-1002", now)] == ["boris", "anna"]
    assert await DutyRoster(None, rig.db).call_order("-1002", now) == []


class CalendarServer:
    """A local http:// server of one calendar (tests only: production takes https://)."""

    def __init__(self) -> None:
        self.body = ICS.encode()
        self.status = 200
        self.hits = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits += 1
                self.send_response(server.status)
                self.send_header("Content-Type", "text/calendar")
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/duty.ics"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()


@pytest.fixture
def calendar_server() -> Iterator[CalendarServer]:
    server = CalendarServer()
    yield server
    server.http.shutdown()
    server.http.server_close()


async def test_a_calendar_url_is_fetched_and_a_failed_fetch_keeps_the_last_good_one(
    rig: Rig, calendar_server: CalendarServer, caplog: pytest.LogCaptureFixture
) -> None:
    source = CalendarSource(calendar_server.url)
    async with httpx.AsyncClient() as client:
        roster = DutyRoster(team(source), rig.db, MOSCOW, client)
        feed: CalendarFeed = roster.feeds[str(GROUP)]
        assert await roster.duty_now(str(GROUP), at("2026-12-01 12:00")) is not None
        assert await feed.refresh()
        now_on = await roster.duty_now(str(GROUP), at("2026-12-01 12:00"))
        assert now_on is not None and now_on.names == ["Anna"]
        assert feed.status_lines() == [
            "⚠️ The duty calendar of chat -1001 names people not in the team file: Grisha"
        ]
        calendar_server.status = 503
        assert not await feed.refresh()
        assert not await feed.refresh()  # still down: logged once
        now_on = await roster.duty_now(str(GROUP), at("2026-12-08 12:00"))
        assert now_on is not None and now_on.names == ["Boris"]  # the last good calendar
        assert feed.status_lines()[0] == (
            "⚠️ The duty calendar of chat -1001 cannot be read (HTTP 503): the last good one is used"
        )
        outage = [r for r in caplog.records if "could not be read" in r.getMessage()]
        assert len(outage) == 1 and calendar_server.url not in outage[0].getMessage()
        calendar_server.status = 200
        assert await feed.refresh() and feed.failing is None
        assert calendar_server.hits == 4
