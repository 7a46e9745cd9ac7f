"""The team file (TEAM_FILE): the people on call, and per chat how to reach them.

A TOML file, read and checked once, at start, like the routes file: `[people.KEY]` tables
(a name, a Telegram user ID, a phone number read in PHONE_REGION and kept as E.164) and
`[chats."TARGET"]` tables keyed by a target as TELEGRAM_CHAT_IDS writes it (`-100123` or
`-100123:5`): the chat's escalation (`remind`, `call`, `next`, `rounds`, `read_code`) and,
optionally, its schedule (`[chats."TARGET".schedule]`): a rotation of people, or an
iCalendar source whose events' titles name people (`bot.features.oncall.schedules`).

Anything the bridge could not use is an error (`TeamFileError`, one line naming the file,
the table and the field; the program stops with exit 2): a file that cannot be read, bad
TOML, an unknown key, an unknown person, a chat that is not a relay target, a bad
duration or phone number, a schedule with both a rotation and a calendar. Pure: no I/O
beyond reading the file (a calendar file is read by the schedules, not here).
"""

from __future__ import annotations

import contextlib
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

from bot.text.durations import read_length
from state.phones import e164_digits, parse_phone

PERSON_KEYS = ("name", "telegram_id", "phone")
CHAT_KEYS = ("remind", "call", "next", "rounds", "read_code", "schedule")
ROTATION_KEYS = ("rotation", "handover", "days", "shift", "start")
CALENDAR_KEYS = ("calendar",)
DEFAULT_NEXT = timedelta(minutes=5)
MIN_DURATION = timedelta(minutes=1)
MAX_DURATION = timedelta(days=30)
MAX_ROUNDS = 10
MAX_NAME = 64
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_KEY = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$", re.ASCII)


class TeamFileError(ValueError):
    """TEAM_FILE cannot be used; the message is one line naming the file, table and field."""


@dataclass(frozen=True)
class Member:
    """A person of the team file."""

    key: str
    name: str
    telegram_id: int
    phone: str  # E.164, "+79261234567"


@dataclass(frozen=True)
class Escalation:
    """A chat's policy: remind after, call after, the next person after, rounds at most."""

    remind: timedelta | None  # None: ESCALATE_AFTER
    call: timedelta | None  # None: no calls in that chat
    next: timedelta
    rounds: int
    read_code: bool


@dataclass(frozen=True)
class Rotation:
    """People taking turns: the first from `start` at `handover` (display zone), each for
    `shift`, or, with `days`, until the next of those weekdays' handover."""

    people: tuple[str, ...]  # keys of the team file, in order
    handover: time  # display zone
    shift: timedelta | None  # None when `days` are given
    start: date
    days: tuple[int, ...] = ()  # weekdays of the handovers (Monday 0); empty: every `shift`


@dataclass(frozen=True)
class CalendarSource:
    """An iCalendar whose events' titles name who is on duty: a file or an https:// URL."""

    location: str  # an absolute file path, or the URL as written

    @property
    def is_url(self) -> bool:
        return "://" in self.location


Schedule = Rotation | CalendarSource


@dataclass(frozen=True)
class Team:
    """The team file, checked: its people by key, each chat's escalation and schedule."""

    path: Path
    people: dict[str, Member]
    escalations: dict[str, Escalation]  # by target key
    schedules: dict[str, Schedule]  # by target key; only chats that have one

    def member_by_telegram_id(self, user_id: int) -> Member | None:
        return next((m for m in self.people.values() if m.telegram_id == user_id), None)

    def member_named(self, text: str) -> Member | None:
        """The person a calendar title names: a key or a name, in any case."""
        wanted = text.strip().casefold()
        for member in self.people.values():
            if wanted in (member.key.casefold(), member.name.casefold()):
                return member
        return None


def _duration(head: str, field: str, value: Any) -> timedelta:
    length = read_length(value) if isinstance(value, str) else None
    if length is not None and MIN_DURATION <= length <= MAX_DURATION:
        return length
    raise TeamFileError(
        f"{head}: {field}: {value!r} is not a duration from 1 minute to 30 days, "
        "such as 10m, 12h, 1d or 1w"
    )


def _unknown(head: str, table: dict[str, Any], allowed: tuple[str, ...], what: str) -> None:
    for key in table:
        if key not in allowed:
            raise TeamFileError(f"{head}: {key}: unknown key ({what} takes {', '.join(allowed)})")


def _member(where: str, key: str, table: Any, region: str) -> Member:
    head = f"{where}: people.{key}"
    if not _KEY.match(key):
        raise TeamFileError(f"{head}: a key is 1 to 32 letters, digits, _ or -")
    if not isinstance(table, dict):
        raise TeamFileError(f"{head}: not a table; write [people.{key}] with name and phone")
    _unknown(head, table, PERSON_KEYS, "a person")
    for field in PERSON_KEYS:
        if field not in table:
            raise TeamFileError(f"{head}: {field}: missing")
    name = table["name"]
    if not isinstance(name, str) or not name.strip() or "\n" in name or len(name) > MAX_NAME:
        raise TeamFileError(f"{head}: name: must be one line of 1 to {MAX_NAME} characters")
    user_id = table["telegram_id"]
    if isinstance(user_id, bool) or not isinstance(user_id, int) or user_id <= 0:
        raise TeamFileError(f"{head}: telegram_id: must be a Telegram user ID (a number)")
    phone = table["phone"]
    number = parse_phone(phone, region, typed=True) if isinstance(phone, str) else None
    if number is None:
        raise TeamFileError(f"{head}: phone: {phone!r} is not a phone number (in {region})")

    return Member(key, name.strip(), user_id, "+" + e164_digits(number))


def _escalation(head: str, table: dict[str, Any]) -> Escalation:
    remind = table.get("remind")
    call = table.get("call")
    rounds = table.get("rounds", 1)
    if isinstance(rounds, bool) or not isinstance(rounds, int) or not 1 <= rounds <= MAX_ROUNDS:
        raise TeamFileError(f"{head}: rounds: must be a whole number from 1 to {MAX_ROUNDS}")
    read_code = table.get("read_code", False)
    if not isinstance(read_code, bool):
        raise TeamFileError(f"{head}: read_code: must be true or false")
    return Escalation(
        remind=None if remind is None else _duration(head, "remind", remind),
        call=None if call is None else _duration(head, "call", call),
        next=_duration(head, "next", table["next"]) if "next" in table else DEFAULT_NEXT,
        rounds=rounds,
        read_code=read_code,
    )


def _clock(head: str, value: Any) -> time:
    found = _CLOCK.match(value) if isinstance(value, str) else None
    if found is None:
        raise TeamFileError(f"{head}: handover: {value!r} is not a time such as 09:00")
    return time(int(found[1]), int(found[2]))


def _rotation(head: str, table: dict[str, Any], people: dict[str, Member]) -> Rotation:
    keys = table["rotation"]
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
        raise TeamFileError(f'{head}: rotation: a list of people keys, such as ["anna"]')
    for key in keys:
        if key not in people:
            raise TeamFileError(f"{head}: rotation: {key!r} is not among the people")
    for field in ("handover", "start"):
        if field not in table:
            raise TeamFileError(f"{head}: {field}: missing")
    start = table["start"]
    if isinstance(start, str):
        with contextlib.suppress(ValueError):
            start = date.fromisoformat(start)
    if not isinstance(start, date) or hasattr(start, "hour"):
        raise TeamFileError(f"{head}: start: {start!r} is not a date such as 2026-12-07")
    days: tuple[int, ...] = ()
    if "days" in table:
        written = table["days"]
        if not isinstance(written, list) or not written:
            raise TeamFileError(f'{head}: days: a list of weekdays, such as ["mon", "thu"]')
        for day in written:
            if not isinstance(day, str) or day.strip().lower()[:3] not in WEEKDAYS:
                raise TeamFileError(f"{head}: days: {day!r} is not a weekday (mon … sun)")
        days = tuple(sorted({WEEKDAYS.index(str(d).strip().lower()[:3]) for d in written}))
        if "shift" in table:
            raise TeamFileError(f"{head}: shift: give shift or days, not both")
        shift = None
    elif "shift" in table:
        shift = _duration(head, "shift", table["shift"])
    else:
        raise TeamFileError(f"{head}: shift: missing (or give days)")
    return Rotation(tuple(keys), _clock(head, table["handover"]), shift, start, days)


def _schedule(where: str, head: str, table: Any, people: dict[str, Member]) -> Schedule:
    head = f"{head}.schedule"
    if not isinstance(table, dict):
        raise TeamFileError(f"{head}: not a table; write a rotation or a calendar in it")
    if "rotation" in table and "calendar" in table:
        raise TeamFileError(f"{head}: rotation and calendar: give one of them, not both")
    if "calendar" in table:
        _unknown(head, table, CALENDAR_KEYS, "a calendar schedule")
        location = table["calendar"]
        if not isinstance(location, str) or not location.strip():
            raise TeamFileError(f"{head}: calendar: a file name or an https:// URL")
        location = location.strip()
        if "://" in location:
            if not location.lower().startswith(("https://", "http://")):
                raise TeamFileError(f"{head}: calendar: {location!r}: an https:// URL or a file")
            return CalendarSource(location)
        return CalendarSource(str(Path(where).parent / location))
    if "rotation" in table:
        _unknown(head, table, ROTATION_KEYS, "a rotation")
        return _rotation(head, table, people)
    raise TeamFileError(f"{head}: neither rotation nor calendar given")


def load_team(path: Path, region: str, targets: Iterable[str]) -> Team:
    """The team of a TEAM_FILE, checked, phones read in `region`; chats must be among
    `targets` (target keys); or TeamFileError."""
    where = f"TEAM_FILE {path}"
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as error:
        raise TeamFileError(f"{where}: cannot read it: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise TeamFileError(f"{where}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise TeamFileError(f"{where}: not valid TOML: {error}") from None
    for key in data:
        if key not in ("people", "chats"):
            raise TeamFileError(f"{where}: {key}: unknown key (write [people.…] and [chats.…])")
    people_tables = data.get("people", {})
    if not isinstance(people_tables, dict) or not people_tables:
        raise TeamFileError(f"{where}: no [people.KEY] table in it")
    people = {key: _member(where, key, t, region) for key, t in people_tables.items()}
    seen: dict[int, str] = {}
    for member in people.values():
        if member.telegram_id in seen:
            raise TeamFileError(
                f"{where}: people.{member.key}: telegram_id: the same as people."
                f"{seen[member.telegram_id]}'s"
            )
        seen[member.telegram_id] = member.key
    chat_tables = data.get("chats", {})
    if not isinstance(chat_tables, dict):
        raise TeamFileError(f'{where}: chats: write [chats."-100123"] tables')
    known = set(targets)
    escalations: dict[str, Escalation] = {}
    schedules: dict[str, Schedule] = {}
    for chat, table in chat_tables.items():
        head = f'{where}: chats."{chat}"'
        if chat not in known:
            raise TeamFileError(
                f"{head}: not a chat of TELEGRAM_CHAT_IDS or the routes (write it as they do)"
            )
        if not isinstance(table, dict):
            raise TeamFileError(f"{head}: not a table")
        _unknown(head, table, CHAT_KEYS, "a chat")
        escalations[chat] = _escalation(head, table)
        if "schedule" in table:
            schedules[chat] = _schedule(str(path), head, table["schedule"], people)
    return Team(path, people, escalations, schedules)
