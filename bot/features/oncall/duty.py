"""Who is on duty in a chat, in which order to call people, and the handover lines.

Duty comes from two places: the `/oncall me` overrides kept in the store
(`state.oncall.on_duty`), and, with TEAM_FILE, the chat's schedule
(`bot.features.oncall.schedules`). In a chat with a schedule, `/oncall me` and
`/oncall off` hold until the next handover: an override said before the current shift
began no longer counts (`state.duty`). Only members of the team file can be called:
someone who typed `/oncall me` but is not in it is on duty in the chat (reminders
mention them) and never in a call order.

`Handovers` is the feature's task that says, once, at each handover, who is on duty now
and until when, in each chat with a schedule; `CalendarRefresh` reads the calendars again
every TEAM_CALENDAR_REFRESH. Both run on an injected clock (`WallClock`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import httpx

from bot.core.database import AsyncStore
from bot.features.oncall.calendars import CalendarFeed
from bot.features.oncall.schedules import Plan, Shift
from bot.features.oncall.team import CalendarSource, Member, Rotation, Team
from bot.relay.chats import Chats
from bot.text.clock import clock
from bot.text.formatting import escape, short_name
from bot.text.i18n import N_, _
from state import duty, oncall
from state.oncall import Person

log = logging.getLogger(__name__)

RECHECK = 60.0  # seconds: the handover task looks at least this often (a clock that jumped)
ANNOUNCE_WITHIN = timedelta(hours=1)  # a handover missed for longer is not announced late
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


class WallClock(Protocol):
    """The time of day and a sleep: the bridge runs on `SYSTEM_WALL_CLOCK`, tests on theirs."""

    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemWallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


SYSTEM_WALL_CLOCK: WallClock = SystemWallClock()


@dataclass(frozen=True)
class DutyNow:
    """Who is on duty in a chat with a schedule at an instant, until when, who is next."""

    names: list[str]  # overrides first, then the schedule's people not off
    until: datetime | None  # the current shifts' end; None: nobody scheduled, or no end
    next_names: list[str]
    next_from: datetime | None = None  # when the next shift begins


def chat_of(key: str) -> str:
    """The chat ID of a target key (`-100123:5` -> `-100123`): overrides are per chat."""
    return key.split(":", 1)[0]


class DutyRoster:
    """Built by the on-call feature from the team file (or None) and the store."""

    def __init__(
        self,
        team: Team | None,
        store: AsyncStore,
        zone: ZoneInfo | None = None,  # the display zone; UTC unless given
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.team = team
        self.store = store
        self.zone = zone or ZoneInfo("UTC")
        self.feeds: dict[str, CalendarFeed] = {}
        if team is not None:
            for key, schedule in team.schedules.items():
                if isinstance(schedule, CalendarSource):
                    self.feeds[key] = CalendarFeed(key, schedule, team, self.zone, client)

    def plan(self, key: str) -> Plan | None:
        """The schedule of a target key, ready to answer; None: it has none."""
        schedule = self.team.schedules.get(key) if self.team is not None else None
        if schedule is None:
            return None
        if isinstance(schedule, Rotation):
            return Plan(schedule, None, self.zone)
        return Plan(None, self.feeds[key].shifts, self.zone)

    def schedule_key(self, chat: str) -> str | None:
        """The target key whose schedule `/oncall` in `chat` (a chat ID) shows: the chat's
        own, else the first of its topics'."""
        if self.team is None:
            return None
        if chat in self.team.schedules:
            return chat
        return next((key for key in self.team.schedules if chat_of(key) == chat), None)

    def _name(self, key: str) -> str:
        assert self.team is not None
        return self.team.people[key].name

    async def _overrides(
        self, key: str, plan: Plan, now: datetime
    ) -> tuple[list[Person], set[int]]:
        since = plan.last_change(now)
        return await self.store.call(duty.overrides_since, chat_of(key), since)

    async def _scheduled(
        self, key: str, plan: Plan, now: datetime
    ) -> tuple[list[Person], list[Member]]:
        """The override people, then the schedule's members on duty who are not off."""
        assert self.team is not None
        on, off = await self._overrides(key, plan, now)
        members = [self.team.people[s.person] for s in plan.on_duty(now)]
        return on, [m for m in dict.fromkeys(members) if m.telegram_id not in off]

    async def duty_now(self, key: str, now: datetime) -> DutyNow | None:
        """Who is on duty under `key`'s schedule now; None: it has no schedule."""
        plan = self.plan(key)
        if plan is None:
            return None
        on, members = await self._scheduled(key, plan, now)
        names = [p.name for p in on]
        names += [m.name for m in members if m.telegram_id not in {p.user_id for p in on}]
        shifts = plan.on_duty(now)
        coming = plan.next_after(now)
        ends = [s.end for s in shifts if s.end is not None]
        next_names = list(dict.fromkeys(self._name(s.person) for s in coming))
        next_from = min((s.start for s in coming), default=None)
        return DutyNow(names, min(ends) if ends else None, next_names, next_from)

    async def call_order(self, chat: str, now: datetime) -> list[Member]:
        """Who to call for an SMS relayed to `chat` (a target key), first to last: the
        people on duty now (the /oncall me overrides first, then the schedule's person),
        then the others of the rotation in the order their shifts come; each once; only
        members of the team file (a /oncall me user who is not in it cannot be called)."""
        if self.team is None:
            return []
        team = self.team
        plan = self.plan(chat)
        if plan is None:
            overrides = await self.store.call(oncall.on_duty, chat_of(chat))
            found = (team.member_by_telegram_id(person.user_id) for person in overrides)
            return list(dict.fromkeys(m for m in found if m is not None))
        on, members = await self._scheduled(chat, plan, now)
        order = [team.member_by_telegram_id(p.user_id) for p in on]
        order += members
        order += [team.people[s.person] for s in _upcoming(plan, now)]
        return list(dict.fromkeys(m for m in order if m is not None))

    def handover_line(self, plan: Plan, at: datetime) -> str | None:
        """The line said at a handover: who is on duty from `at`, and until when."""
        shifts = plan.on_duty(at)
        if not shifts:
            return None
        names = list(dict.fromkeys(self._name(s.person) for s in shifts))
        ends = [s.end for s in shifts if s.end is not None]
        return handover_text(names, min(ends) if ends else None, self.zone)


def handover_text(names: list[str], until: datetime | None, zone: ZoneInfo) -> str:
    """`🔔 On duty now: Anna, until Mon 09:00`: the line said at a handover."""
    who = ", ".join(short_name(name) for name in names)
    if until is None:
        return escape(_("🔔 On duty now: {names}").format(names=who))
    text = _("🔔 On duty now: {names}, until {until}")
    return escape(text.format(names=who, until=weekday_moment(until, zone)))


def _upcoming(plan: Plan, now: datetime, people: int = 20) -> list[Shift]:
    """The shifts after the current ones, in the order they come (a rotation's others)."""
    found: list[Shift] = []
    at = now
    for _turn in range(people):
        coming = plan.next_after(at)
        if not coming:
            break
        found += coming
        at = coming[0].start
    return found


def weekday_moment(moment: datetime, zone: ZoneInfo) -> str:
    """`Mon 09:00` (`пн 09:00`): a moment within the next days, as a handover line says it."""
    local = moment.astimezone(zone)
    return f"{_(WEEKDAYS[local.weekday()])} {clock(moment, zone)}"


class Handovers:
    """Says, once per handover and chat, who is on duty now (`state.duty` books it)."""

    def __init__(self, roster: DutyRoster, chats: Chats, clock: WallClock) -> None:
        self.roster = roster
        self.chats = chats
        self.clock = clock

    async def run(self) -> None:
        while True:
            try:
                wait = await self.tell_due()
            except Exception as error:  # the disk, a bug: the next handover must still come
                log.error("telling chats of handovers failed", exc_info=error)
                wait = RECHECK
            await self.clock.sleep(wait)

    async def tell_due(self) -> float:
        """Tell every chat its latest handover (if recent and untold); the seconds until
        the next one (at most RECHECK)."""
        now = self.clock.now()
        wait = RECHECK
        team = self.roster.team
        for key in team.schedules if team is not None else ():
            plan = self.roster.plan(key)
            if plan is None:
                continue
            recent = plan.handovers(now - ANNOUNCE_WITHIN, now)
            if recent:
                await self._tell(key, plan, recent[-1], now)
            coming = plan.next_after(now)
            if coming:
                wait = min(wait, max(0.0, (coming[0].start - now).total_seconds()))
        return wait

    async def _tell(self, key: str, plan: Plan, at: datetime, now: datetime) -> None:
        line = self.roster.handover_line(plan, at)
        if line is None:
            return
        if not await self.roster.store.call(duty.claim_handover, key, at, now):
            log.debug("the handover in chat %s at %s was told already", key, at.isoformat())
            return
        target = self.chats.target(key)
        try:
            if target is not None:
                gateway = self.chats.for_target(target)
                await gateway.send_text(line, topic_id=target.topic_id, retry=True)
        except Exception as error:
            log.warning("could not tell chat %s of the handover at %s: %r", key, at, error)
            return
        log.info("handover in chat %s at %s told", key, at.isoformat())


class CalendarRefresh:
    """Reads every calendar again every `every` seconds (TEAM_CALENDAR_REFRESH)."""

    def __init__(self, feeds: Sequence[CalendarFeed], every: float, clock: WallClock) -> None:
        self.feeds = feeds
        self.every = every
        self.clock = clock
        self.read_once = asyncio.Event()  # every feed was tried once (tests wait on it)

    async def run(self) -> None:
        while True:
            for feed in self.feeds:
                with contextlib.suppress(Exception):
                    await feed.refresh()
            self.read_once.set()
            await self.clock.sleep(self.every)
