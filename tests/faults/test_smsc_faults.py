"""SMSC misbehaving: the bridge keeps going, loses nothing, and keeps SMSC's rules."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.conftest import GROUP, OPERATOR
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess
from tests.fakes.smsc import FakeSmsc, Fault, most_identical_in_a_minute
from tests.fakes.telegram import FakeTelegram
from tests.fakes.wait import wait_until


@pytest.mark.timeout(300)  # the default interval is 30 s, and code 9 pauses a minute
def test_faults_at_the_default_interval_keep_smscs_rules(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: Callable[..., BridgeProcess]
) -> None:
    smsc.enforce_rate_rule = True  # a fourth identical request within a minute gets code 9
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP), SMSC_POLL_INTERVAL="30")
    bridge.wait_for_log(FIRST_START_DONE)
    smsc.inject(Fault.error(9, "duplicate request, wait a minute"))
    smsc.add_sms("waited out code 9")
    bridge.wait_for_log(r"SMSC error 9: duplicate request, wait a minute .*next try in 60 s", 45)
    refused_at = smsc.inbox_requests()[-1].at
    telegram.wait_for(
        lambda: "waited out code 9" in telegram.sms_texts(GROUP), timeout=90, what="after 9"
    )
    after = [r.at for r in smsc.inbox_requests() if r.at > refused_at]
    assert after[0] - refused_at >= 60  # a minute's pause after code 9

    smsc.inject(Fault("status", 502))
    smsc.add_sms("after a bad gateway")
    bridge.wait_for_log(r"SMSC unavailable: HTTP 502", 45)
    telegram.wait_for(
        lambda: "after a bad gateway" in telegram.sms_texts(GROUP), timeout=90, what="later"
    )
    requests = smsc.inbox_requests()
    assert most_identical_in_a_minute(requests) <= 3
    assert bridge.running


def test_timeouts_empty_and_truncated_replies_lose_nothing(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: Callable[..., BridgeProcess]
) -> None:
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    bridge.wait_for_log(FIRST_START_DONE)
    smsc.inject(Fault("delay", 21))  # longer than the bridge's 20 s SMSC timeout
    texts = [f"queued behind a timeout {n}" for n in range(3)]
    for text in texts:
        smsc.add_sms(text)
    bridge.wait_for_log(r"SMSC unavailable: timed out", timeout=40)
    smsc.inject(Fault("body", b""), Fault("body", b'[{"id": 5, "received": "01.1'))
    smsc.add_sms("missing fields", raw={"phone": None, "to_phone": None, "sent": "garbage"})
    smsc.add_sms("bad date", raw={"received": "yesterday-ish"})
    texts += ["missing fields", "bad date"]
    telegram.wait_for(lambda: telegram.sms_texts(GROUP) == texts, timeout=60, what="all five")
    assert bridge.running


def test_wrong_credentials_at_the_first_start_reach_the_chats(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: Callable[..., BridgeProcess]
) -> None:
    smsc.sticky_fault = Fault.error(2, "authorise error")  # before Telegram is connected
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    telegram.wait_for(
        lambda: any("refused the credentials" in t for t in telegram.texts(GROUP)), what="alert"
    )
    assert len(smsc.inbox_requests()) == 1
    code, _ = bridge.stop()
    assert code == 0


def test_auth_error_asks_rarely_and_alerts_once(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: Callable[..., BridgeProcess]
) -> None:
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    bridge.wait_for_log(FIRST_START_DONE)
    bridge.wait_for_log("connected to Telegram")
    smsc.sticky_fault = Fault.error(2, "authorise error")
    bridge.wait_for_log(r"SMSC error 2: authorise error .*next try in 600 s")
    refused = len(smsc.inbox_requests())
    telegram.wait_for(
        lambda: any("refused the credentials" in t for t in telegram.texts(GROUP)), what="alert"
    )
    # At a 1 s interval an ordinary failure is retried within seconds; code 2 waits 600 s
    # (tests/test_poller.py checks the figure), so 5 refusals in 30 minutes never happen.
    deadline = time.monotonic() + 8
    wait_until(lambda: time.monotonic() > deadline or len(smsc.inbox_requests()) > refused)
    assert len(smsc.inbox_requests()) == refused
    assert sum("refused the credentials" in t for t in telegram.texts(GROUP)) == 1


PROXY_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>"
    b"<hr><center>nginx</center></body></html>"
)
RAW = ("html", "Bad Gateway", "nginx", "JSON", "reply is", "Error")


def test_an_html_error_page_from_smsc_never_reaches_a_chat(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: Callable[..., BridgeProcess]
) -> None:
    """A proxy's page in front of SMSC: the chats read what it means, the log what it said
    (at DEBUG only: what SMSC answers instead of its JSON may quote an SMS)."""
    bridge = start_bridge(
        TELEGRAM_CHAT_IDS=str(GROUP), ALERT_AFTER="10", UI_LANGUAGE="ru", LOG_LEVEL="DEBUG"
    )
    bridge.wait_for_log(FIRST_START_DONE)
    bridge.wait_for_log("connected to Telegram")
    smsc.sticky_fault = Fault("body", PROXY_PAGE)  # HTTP 200, then a 502 page
    bridge.wait_for_log(rf"reply is not JSON \({len(PROXY_PAGE)} bytes\)")
    telegram.wait_for(
        lambda: any(t.startswith("⚠️") for t in telegram.texts(GROUP)), timeout=40, what="alert"
    )
    smsc.sticky_fault = Fault("status", 502)
    bridge.wait_for_log(r"SMSC unavailable: HTTP 502;")
    telegram.user_sends(GROUP, "/status", user_id=OPERATOR)
    telegram.wait_for(
        lambda: any("HTTP 502" in t for t in telegram.texts(GROUP)), what="/status reply"
    )
    [alert] = [t for t in telegram.texts(GROUP) if t.startswith("⚠️")]
    [status] = [t for t in telegram.texts(GROUP) if "HTTP 502" in t]
    assert "SMSC вернул страницу вместо ответа API" in alert and "журнале сервиса" in alert
    assert "SMSC вернул страницу вместо ответа API (HTTP 502)" in status
    for message in telegram.messages(GROUP):
        assert not any(raw in message.text for raw in RAW), message.text
    page = [line for line in bridge.log().splitlines() if "<html>" in line]
    assert page and all(" DEBUG " in line for line in page), page
