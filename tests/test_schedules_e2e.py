"""On-call schedules end to end: the real `sms-bridge run` with a TEAM_FILE, against the
fake Telegram and SMSC, and a calendar served over http:// by a local server (production
takes only https://; http:// is allowed to this machine, as for SMSC_BASE_URL).

A rotation whose handover is this minute and a calendar event that began this minute:
each chat gets its handover line once; a restart does not say it again; /oncall answers
who is on duty, until when and who is next.

The bridge runs in its own process on the real clock, so the handovers are placed at
the minute it starts; the watcher's timing on a driven clock is tests/test_duty.py's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import GROUP, OTHER_GROUP
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess
from tests.fakes.telegram import FakeTelegram, is_relayed_sms
from tests.test_duty import CalendarServer

pytestmark = pytest.mark.e2e

StartBridge = Callable[..., BridgeProcess]
WEEKDAY = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def team_file(now: datetime, calendar_url: str) -> str:
    return f"""
[people.anna]
name = "Anna"
telegram_id = 111
phone = "+7 926 123-45-67"

[people.boris]
name = "Boris"
telegram_id = 222
phone = "+7 926 765-43-21"

[chats."{GROUP}"]
[chats."{GROUP}".schedule]
rotation = ["anna", "boris"]
handover = "{now:%H:%M}"
shift = "1d"
start = "{now:%Y-%m-%d}"

[chats."{OTHER_GROUP}"]
[chats."{OTHER_GROUP}".schedule]
calendar = "{calendar_url}"
"""


def calendar(start: datetime) -> bytes:
    end = start + timedelta(hours=2)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//duty//EN\r\n"
        "BEGIN:VEVENT\r\nUID:boris@test\r\nSUMMARY:boris\r\n"
        f"DTSTART:{start:%Y%m%dT%H%M00Z}\r\nDTEND:{end:%Y%m%dT%H%M00Z}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


@pytest.fixture
def calendar_server() -> Iterator[CalendarServer]:
    server = CalendarServer()
    yield server
    server.http.shutdown()
    server.http.server_close()


def lines(telegram: FakeTelegram, chat: int) -> list[str]:
    return [m.plain for m in telegram.messages(chat) if m.plain.startswith("🔔")]


def ask(telegram: FakeTelegram, chat: int, text: str, user: int = 1) -> str:
    def answers() -> list[str]:
        found = [m.plain for m in telegram.messages(chat) if not is_relayed_sms(m.plain)]
        return [a for a in found if not a.startswith("🔔")]

    before = len(answers())
    telegram.user_sends(chat, text, user_id=user)
    telegram.wait_for(lambda: len(answers()) > before, 20, f"answer to {text}")
    return answers()[-1]


def test_a_handover_line_is_said_once_and_not_again_after_a_restart(
    tmp_path: Path,
    start_bridge: StartBridge,
    telegram: FakeTelegram,
    calendar_server: CalendarServer,
) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    calendar_server.body = calendar(now)
    (tmp_path / "team.toml").write_text(team_file(now, calendar_server.url), "utf-8")
    settings = {"TEAM_FILE": "team.toml", "DISPLAY_TIMEZONE": "UTC"}
    bridge = start_bridge(**settings)
    bridge.wait_for_log(FIRST_START_DONE)
    until = f"{WEEKDAY[(now + timedelta(days=1)).weekday()]} {now:%H:%M}"
    telegram.wait_for(lambda: lines(telegram, GROUP), 20, "the rotation's handover line")
    telegram.wait_for(lambda: lines(telegram, OTHER_GROUP), 20, "the calendar's handover line")
    assert lines(telegram, GROUP) == [f"🔔 On duty now: Anna, until {until}"]
    end = now + timedelta(hours=2)
    assert lines(telegram, OTHER_GROUP) == [
        f"🔔 On duty now: Boris, until {WEEKDAY[end.weekday()]} {end:%H:%M}"
    ]
    assert ask(telegram, GROUP, "/oncall").splitlines()[:2] == [
        "On duty here: Anna",
        f"Until {until}, then Boris.",
    ]
    assert ask(telegram, OTHER_GROUP, "/oncall").startswith("On duty here: Boris")
    assert ask(telegram, GROUP, "/oncall off", user=111).startswith("You are off duty here.")
    assert ask(telegram, GROUP, "/oncall").startswith("Nobody is on duty here now.")

    bridge.stop()
    again = start_bridge("again", **settings)
    again.wait_for_log(rf"the handover in chat {GROUP} at .* was told already")
    again.wait_for_log(rf"the handover in chat {OTHER_GROUP} at .* was told already")
    assert len(lines(telegram, GROUP)) == 1 and len(lines(telegram, OTHER_GROUP)) == 1
    # Anna's /oncall off holds until the next handover, restart or not
    assert ask(telegram, GROUP, "/oncall").startswith("Nobody is on duty here now.")
    assert calendar_server.hits >= 2  # read by each start
