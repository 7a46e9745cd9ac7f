"""The team file (TEAM_FILE): read and checked at start; each kind of bad file is one line
naming the file, the table and the field, and stops the program (exit 2)."""

from __future__ import annotations

import os
from datetime import date, time, timedelta
from pathlib import Path

import pytest

from bot.app.settings import ConfigError, load_settings
from bot.features.oncall.team import (
    DEFAULT_NEXT,
    CalendarSource,
    Escalation,
    Member,
    Rotation,
    TeamFileError,
    load_team,
)
from tests.fakes.bridge import SETTING_NAMES
from tests.test_config import REQUIRED, run_cli

TARGETS = ["-1001", "-1002:5"]

GOOD = """
[people.anna]
name = "Anna"
telegram_id = 111111111
phone = "+7 926 123-45-67"

[people.boris]
name = "Boris Petrov"
telegram_id = 222222222
phone = "8 (903) 765-43-21"

[chats."-1001"]
remind = "5m"
call = "10m"
next = "3m"
rounds = 2
read_code = true

[chats."-1001".schedule]
rotation = ["anna", "boris"]
handover = "09:00"
shift = "1w"
start = "2026-12-07"

[chats."-1002:5"]

[chats."-1002:5".schedule]
calendar = "duty.ics"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "team.toml"
    path.write_text(text, "utf-8")
    return path


def test_a_good_file_is_read_whole(tmp_path: Path) -> None:
    team = load_team(write(tmp_path, GOOD), "RU", TARGETS)
    assert team.people == {
        "anna": Member("anna", "Anna", 111111111, "+79261234567"),
        "boris": Member("boris", "Boris Petrov", 222222222, "+79037654321"),
    }
    assert team.escalations == {
        "-1001": Escalation(
            timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=3), 2, True
        ),
        "-1002:5": Escalation(None, None, DEFAULT_NEXT, 1, False),
    }
    assert team.schedules == {
        "-1001": Rotation(("anna", "boris"), time(9), timedelta(weeks=1), date(2026, 12, 7)),
        "-1002:5": CalendarSource(str(tmp_path / "duty.ics")),
    }
    assert team.member_by_telegram_id(222222222) == team.people["boris"]
    assert team.member_by_telegram_id(5) is None
    assert team.member_named("boris petrov") == team.member_named("BORIS") == team.people["boris"]


def test_a_rotation_on_weekdays_and_a_calendar_url(tmp_path: Path) -> None:
    text = GOOD.replace('shift = "1w"', 'days = ["Mon", "thu"]').replace(
        '"duty.ics"', '"https://calendar.example/duty.ics"'
    )
    team = load_team(write(tmp_path, text), "RU", TARGETS)
    rotation = team.schedules["-1001"]
    assert isinstance(rotation, Rotation) and rotation.days == (0, 3) and rotation.shift is None
    assert team.schedules["-1002:5"] == CalendarSource("https://calendar.example/duty.ics")


BAD = [
    ('[people.anna]\nname = "Anna', "not valid TOML: "),
    ("", "no [people.KEY] table in it"),
    ("[teams]\n", "teams: unknown key (write [people.…] and [chats.…])"),
    (
        GOOD.replace('name = "Anna"', 'name = "Anna"\nemail = "a@b"'),
        "people.anna: email: unknown key (a person takes name, telegram_id, phone)",
    ),
    (GOOD.replace("telegram_id = 111111111\n", ""), "people.anna: telegram_id: missing"),
    (
        GOOD.replace('"+7 926 123-45-67"', '"call me"'),
        "people.anna: phone: 'call me' is not a phone number (in RU)",
    ),
    (
        GOOD.replace("telegram_id = 222222222", "telegram_id = 111111111"),
        "people.boris: telegram_id: the same as people.anna's",
    ),
    (
        GOOD.replace('[chats."-1002:5"]', '[chats."-1003"]'),
        'chats."-1003": not a chat of TELEGRAM_CHAT_IDS or the routes (write it as they do)',
    ),
    (
        GOOD.replace('call = "10m"', 'call = "ten minutes"'),
        "chats.\"-1001\": call: 'ten minutes' is not a duration from 1 minute to 30 days, "
        "such as 10m, 12h, 1d or 1w",
    ),
    (GOOD.replace("rounds = 2", "rounds = 0"), 'chats."-1001": rounds: must be a whole number'),
    (
        GOOD.replace("rounds = 2", "rounds = 2\nsms = true"),
        'chats."-1001": sms: unknown key (a chat takes remind, call, next, rounds, read_code, '
        "schedule)",
    ),
    (
        GOOD.replace('["anna", "boris"]', '["anna", "vera"]'),
        "chats.\"-1001\".schedule: rotation: 'vera' is not among the people",
    ),
    (
        GOOD.replace('shift = "1w"', 'shift = "1w"\ncalendar = "duty.ics"'),
        'chats."-1001".schedule: rotation and calendar: give one of them, not both',
    ),
    (
        GOOD.replace('shift = "1w"', 'shift = "1w"\ndays = ["mon"]'),
        'chats."-1001".schedule: shift: give shift or days, not both',
    ),
    (
        GOOD.replace('handover = "09:00"', 'handover = "9am"'),
        "chats.\"-1001\".schedule: handover: '9am' is not a time such as 09:00",
    ),
    (
        GOOD.replace('start = "2026-12-07"', 'start = "07.12.2026"'),
        "chats.\"-1001\".schedule: start: '07.12.2026' is not a date such as 2026-12-07",
    ),
    (
        GOOD.replace('days = ["mon"]', "").replace('shift = "1w"', 'days = ["monday", "fun"]'),
        "chats.\"-1001\".schedule: days: 'fun' is not a weekday (mon … sun)",
    ),
    (
        GOOD.replace('calendar = "duty.ics"', 'calendar = "ftp://x/duty.ics"'),
        "chats.\"-1002:5\".schedule: calendar: 'ftp://x/duty.ics': an https:// URL or a file",
    ),
    (
        GOOD.replace('calendar = "duty.ics"', 'cal = "duty.ics"'),
        'chats."-1002:5".schedule: neither rotation nor calendar given',
    ),
]


@pytest.mark.parametrize(("text", "problem"), BAD)
def test_each_kind_of_bad_file_is_one_line_naming_the_table_and_field(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(TeamFileError) as caught:
        load_team(path, "RU", TARGETS)
    message = str(caught.value)
    assert message.startswith(f"TEAM_FILE {path}: {problem}"), message
    assert "\n" not in message


def test_a_file_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(TeamFileError, match="cannot read it: No such file or directory"):
        load_team(tmp_path / "missing.toml", "RU", TARGETS)
    (tmp_path / "team.toml").write_bytes(b"\xff\xfe")
    with pytest.raises(TeamFileError, match="not UTF-8 text"):
        load_team(tmp_path / "team.toml", "RU", TARGETS)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key in [k for k in os.environ if k.upper() in SETTING_NAMES]:
        monkeypatch.delenv(key)
    for key, value in REQUIRED.items():
        monkeypatch.setenv(key, value)
    return monkeypatch


def test_the_settings_read_it_and_refuse_a_clear_text_calendar(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert load_settings(env_file=None).team is None
    env.setenv("TEAM_FILE", str(write(tmp_path, GOOD)))
    team = load_settings(env_file=None).team
    assert team is not None and set(team.schedules) == {"-1001", "-1002:5"}
    write(tmp_path, GOOD.replace('"duty.ics"', '"http://calendar.example/duty.ics"'))
    with pytest.raises(ConfigError) as caught:
        load_settings(env_file=None)
    assert str(caught.value).startswith(
        f'TEAM_FILE {tmp_path / "team.toml"}: chats."-1002:5".schedule: calendar: http:// '
        "would show who is on duty to every network on the way: use https://"
    )
    write(tmp_path, GOOD.replace('"duty.ics"', '"http://127.0.0.1:8080/duty.ics"'))
    assert load_settings(env_file=None).team is not None  # a test server on this machine


def test_cli_bad_team_file_exit_2_with_one_line(tmp_path: Path) -> None:
    write(tmp_path, GOOD.replace('"+7 926 123-45-67"', '"12"'))
    result = run_cli(tmp_path, "check", **{**REQUIRED, "TEAM_FILE": "team.toml"})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr == (
        "sms-bridge: TEAM_FILE team.toml: people.anna: phone: '12' is not a phone number (in RU)\n"
    )
    result = run_cli(tmp_path, "run", **{**REQUIRED, "TEAM_FILE": "missing.toml"})
    assert result.returncode == 2 and result.stderr == (
        "sms-bridge: TEAM_FILE missing.toml: cannot read it: No such file or directory\n"
    )
