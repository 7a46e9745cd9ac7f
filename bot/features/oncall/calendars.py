"""Calendars of on-call schedules, kept fresh: a file or an https:// URL read every
TEAM_CALENDAR_REFRESH.

Each chat whose schedule is a calendar has a `CalendarFeed`. It reads the file (in a
worker thread) or fetches the URL with httpx (no redirect to a clear-text address is
followed: none is followed at all), parses it (`schedules.read_calendar`) and keeps the
result. A read that fails keeps the last good calendar: the schedule goes on as it was.
The failure is logged once per outage (and its end once), and shown in /status until a
read succeeds. Titles that name nobody of the team are logged once per calendar text and
shown in /status too.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from bot.features.oncall.schedules import CalendarShifts, read_calendar
from bot.features.oncall.team import CalendarSource, Team
from bot.text.formatting import escape
from bot.text.i18n import _

log = logging.getLogger(__name__)

FETCH_TIMEOUT = 20.0  # seconds for one calendar request
MAX_CALENDAR = 5_000_000  # bytes: a duty calendar is a few kilobytes


class CalendarFeed:
    """One chat's calendar: the last good read, and whether the latest read failed."""

    def __init__(
        self,
        chat: str,
        source: CalendarSource,
        team: Team,
        zone: ZoneInfo,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.chat = chat
        self.source = source
        self.team = team
        self.zone = zone
        self._client = client
        self.shifts: CalendarShifts | None = None
        self.failing: str | None = None  # why the latest read failed; None: it worked
        self.failing_since: datetime | None = None
        self._reported_unknown: frozenset[str] = frozenset()

    @property
    def where(self) -> str:
        """How the log and /status name it: the file, or the URL's host (a URL may carry a
        token)."""
        if self.source.is_url:
            return httpx.URL(self.source.location).host
        return self.source.location

    async def _read(self) -> bytes:
        if not self.source.is_url:
            return await asyncio.to_thread(Path(self.source.location).read_bytes)
        assert self._client is not None
        answer = await self._client.get(self.source.location)
        answer.raise_for_status()
        if len(answer.content) > MAX_CALENDAR:
            raise ValueError(f"over {MAX_CALENDAR} bytes")
        return answer.content

    async def refresh(self) -> bool:
        """Read the calendar again; True when it was read. A failure keeps the last good."""
        try:
            data = await self._read()
            shifts = await asyncio.to_thread(read_calendar, data, self.team, self.zone)
        except Exception as error:
            why = _reason(error)
            if self.failing is None:
                log.warning(
                    "the duty calendar of chat %s (%s) could not be read: %s; %s",
                    self.chat,
                    self.where,
                    why,
                    "the last good one stays" if self.shifts else "no schedule until it can",
                )
                self.failing_since = datetime.now(UTC)
            self.failing = why
            return False
        if self.failing is not None:
            log.info("the duty calendar of chat %s (%s) is read again", self.chat, self.where)
        self.failing = self.failing_since = None
        self.shifts = shifts
        if shifts.unknown and shifts.unknown != self._reported_unknown:
            log.warning(
                "the duty calendar of chat %s names nobody of the team file in: %s",
                self.chat,
                ", ".join(sorted(shifts.unknown)),
            )
        self._reported_unknown = shifts.unknown
        return True

    def status_lines(self) -> list[str]:
        """/status lines: a read failing, titles naming nobody."""
        lines = []
        if self.failing is not None:
            lines.append(failing_line(self.chat, self.failing, self.shifts is not None))
        if self.shifts is not None and self.shifts.unknown:
            lines.append(unknown_line(self.chat, sorted(self.shifts.unknown)))
        return lines


def failing_line(chat: str, why: str, kept: bool) -> str:
    """/status: a calendar that cannot be read now."""
    text = _("⚠️ The duty calendar of chat {chat} cannot be read ({why}): {kept}")
    what = _("the last good one is used") if kept else _("no schedule until it can")
    return escape(text.format(chat=chat, why=why, kept=what))


def unknown_line(chat: str, names: list[str]) -> str:
    """/status: a calendar whose titles name people the team file does not have."""
    text = _("⚠️ The duty calendar of chat {chat} names people not in the team file: {names}")
    return escape(text.format(chat=chat, names=", ".join(names)))


def _reason(error: Exception) -> str:
    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code}"
    if isinstance(error, httpx.HTTPError):
        return type(error).__name__
    if isinstance(error, OSError):
        return error.strerror or type(error).__name__
    return str(error) or type(error).__name__
