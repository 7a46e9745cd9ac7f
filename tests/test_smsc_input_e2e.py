"""SMSC's errors, garbage replies and bad records: kept or skipped with a log line, never a stop."""

from __future__ import annotations

import re

import pytest

from tests.bridge_checks import StartBridge, assert_not_logged_above_debug, relayed, wait_relayed
from tests.conftest import GROUP
from tests.fakes.bridge import FIRST_START_DONE
from tests.fakes.smsc import FakeSmsc, Fault
from tests.fakes.telegram import FakeTelegram

pytestmark = pytest.mark.e2e


def test_smsc_errors_and_garbage_do_not_stop_the_bridge(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    bridge.wait_for_log(FIRST_START_DONE)
    faults = {
        "empty reply": Fault("body", b""),
        "reply is not JSON (37 bytes)": Fault("body", b"<html><h1>502 Bad Gateway</h1></html>"),
        "HTTP 503": Fault("status", 503),
        "reply is not JSON (16 bytes)": Fault("body", b'[{"id": 1, "mess'),
        "request failed": Fault("drop"),
        "SMSC error 1": Fault.error(1, "bad parameters"),
    }
    for n, (logged, fault) in enumerate(faults.items()):
        smsc.inject(fault)
        smsc.add_sms(f"survived fault {n}")
        bridge.wait_for_log(re.escape(logged))
        if logged != "SMSC error 1":  # code 1 pauses a minute: checked in the unit tests
            wait_relayed(telegram, f"survived fault {n}", (GROUP,))
    bridge.wait_for_log(r"SMSC error 1: bad parameters .*next try in 60 s")
    assert_not_logged_above_debug(bridge, "Bad Gateway")  # what SMSC answered: DEBUG only


def test_bad_records_are_kept_and_logged(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    bridge.wait_for_log(FIRST_START_DONE)
    smsc.add_sms("bad date but kept", raw={"received": "31.02.2026 25:61:00"})
    smsc.add_sms("no phone at all", raw={"phone": None})
    smsc.add_sms("id is broken", raw={"id": "broken"})
    smsc.add_sms("after the broken one")
    wait_relayed(telegram, "after the broken one", (GROUP,))
    assert relayed(telegram, GROUP) == [
        "bad date but kept",
        "no phone at all",
        "after the broken one",
    ]
    log = bridge.log()
    assert "bad received date" in log and "phone missing" in log and "without a valid id" in log
    assert bridge.running
