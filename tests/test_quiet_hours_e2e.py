"""Quiet hours end to end: the real `sms-bridge run` with a route's `quiet`, against the fakes.

The windows are written around the moment the test runs (in the display zone, Moscow),
so one is open and the other closed whatever the hour: no clock is faked in the bridge.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import GROUP, OTHER_GROUP
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram

pytestmark = pytest.mark.e2e

StartBridge = Callable[..., BridgeProcess]
NIGHT_SHIFT = -1007  # a chat named only in the routes


def window(start: timedelta, end: timedelta) -> str:
    now = datetime.now(UTC).astimezone(ZoneInfo("Europe/Moscow"))
    return f"{(now + start):%H:%M}-{(now + end):%H:%M}"


def test_a_routes_sms_go_without_a_sound_in_its_quiet_hours_only(
    smsc: FakeSmsc, telegram: FakeTelegram, tmp_path: Path, start_bridge: StartBridge
) -> None:
    now_quiet = window(timedelta(hours=-2), timedelta(hours=2))
    later_quiet = window(timedelta(hours=3), timedelta(hours=5))
    (tmp_path / "routes.toml").write_text(
        f"""
[[route]]
name = "pumps"
text = "pump"
chats = ["{GROUP}", "{NIGHT_SHIFT}"]
quiet = "{now_quiet}"
continue = true

[[route]]
name = "pumps at night"
text = "pump"
chats = ["{NIGHT_SHIFT}"]
quiet = "{later_quiet}"

[[route]]
name = "doors"
text = "door"
chats = ["{OTHER_GROUP}"]
quiet = "{later_quiet}"
""",
        "utf-8",
    )
    bridge = start_bridge(ROUTES_FILE="routes.toml")
    bridge.wait_for_log(FIRST_START_DONE)
    smsc.add_sms("pump 3 stopped")
    smsc.add_sms("door 7 opened")
    telegram.wait_for(
        lambda: all(telegram.sms_texts(c) for c in (GROUP, NIGHT_SHIFT, OTHER_GROUP)),
        30,
        "every SMS relayed",
    )
    assert [m.silent for m in telegram.messages(GROUP)] == [True]  # in its quiet hours
    assert [m.silent for m in telegram.messages(OTHER_GROUP)] == [False]  # not yet
    # Named by two routes, the night shift's chat is quiet only when both are: not now.
    assert [m.silent for m in telegram.messages(NIGHT_SHIFT)] == [False]
