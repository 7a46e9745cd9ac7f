"""Credentials go only to SMSC: no client follows a redirect, and each says where it pointed.

SMSC's place is taken by a server that answers every request with a redirect to a
collector on plain http://; whatever the redirect's kind, the collector hears nothing
(following a 307 or 308 would post the login and password to it again, in clear text).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.smsc import SmscClient, SmscCredentials, SmscRedirected
from bot.smsc.errors import REDIRECT_POLICY, redirect_target
from bot.smsc.send_api import SendUnknown, SmscNoAnswer, SmscOutbox
from tests.fakes.redirect import Collector, Redirector
from tests.fakes.smsc import LOGIN, PASSWORD
from tests.fakes.wait import eventually
from tests.test_poller import make_harness

AUTH = SmscCredentials(LOGIN, PASSWORD)
REDIRECTS = [301, 302, 303, 307, 308]
UTC_ZONE = ZoneInfo("UTC")


@pytest.fixture
def collector() -> Iterator[Collector]:
    fake = Collector().start()
    yield fake
    fake.stop()


@pytest.fixture(params=REDIRECTS)
def redirector(request: pytest.FixtureRequest, collector: Collector) -> Iterator[Redirector]:
    fake = Redirector(collector.url, status=request.param).start()
    yield fake
    fake.stop()


async def test_the_inbox_follows_no_redirect_and_says_where_it_pointed(
    redirector: Redirector, collector: Collector, tmp_path: Path
) -> None:
    client = SmscClient(redirector.url, AUTH, UTC_ZONE)
    try:
        with pytest.raises(SmscRedirected) as caught:
            await client.fetch_inbox(hours=1, count=1)
    finally:
        await client.aclose()
    assert collector.collected() == [] and redirector.requests == 1
    error = caught.value
    assert error.policy is REDIRECT_POLICY and error.target == collector.url
    assert str(error).startswith(
        f"SMSC answered with a redirect to {collector.url} (HTTP {redirector.status}); not followed"
    )
    assert "set SMSC_BASE_URL" in str(error) and PASSWORD not in str(error)


async def test_sending_follows_no_redirect_and_a_redirect_is_no_answer(
    redirector: Redirector, collector: Collector
) -> None:
    outbox = SmscOutbox(redirector.url, AUTH)
    try:
        with pytest.raises(SendUnknown, match=f"redirect to {collector.url}"):
            await outbox.send("79261234567", "hello", None, 1)
        for ask in (
            outbox.balance(),
            outbox.status("79261234567", 1),
            outbox.quote("79261234567", "hello", None),
        ):
            with pytest.raises(SmscNoAnswer, match="not followed"):
                await ask
    finally:
        await outbox.aclose()
    assert collector.collected() == [] and redirector.requests == 4


async def test_the_poller_logs_why_it_did_not_follow_and_counts_it(
    tmp_path: Path, collector: Collector, caplog: pytest.LogCaptureFixture
) -> None:
    redirector = Redirector(collector.url, status=302).start()
    client = SmscClient(redirector.url, AUTH, UTC_ZONE)
    harness = make_harness(tmp_path / "bridge.db", client)
    running = asyncio.create_task(harness.poller.poll_until_success())
    try:
        await eventually(
            lambda: any("redirect" in r.getMessage() for r in caplog.records), what="the log"
        )
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await client.aclose()
        harness.db.close()
        redirector.stop()
    [record] = [r for r in caplog.records if "redirect" in r.getMessage()]
    assert record.levelno == logging.ERROR
    assert record.getMessage().startswith(
        f"SMSC answered with a redirect to {collector.url} (HTTP 302); not followed"
    )
    assert record.getMessage().endswith("; next try in 60 s")
    counted = harness.poller._metrics.registry.get_sample_value(
        "sms_bridge_poll_errors_total", {"code": "redirect"}
    )
    assert counted == 1 and collector.collected() == []
    assert harness.status.last_error is not None  # what /status shows:
    assert "does not follow" in str(harness.status.last_error.said)


@pytest.mark.parametrize(
    ("location", "shown"),
    [
        ("http://evil.example/collect?psw=x", "http://evil.example"),
        ("https://user:pw@smsc.kz:8443/sys/get.php", "https://smsc.kz:8443"),
        ("/elsewhere", "https://smsc.ru"),
        (None, "an address it did not give"),
        ("http://[bad", "an address that is no URL"),
        ("http://evil.example\x1b/", "http://evil.example?"),
    ],
)
def test_a_redirect_target_is_shown_as_its_origin_only(location: str | None, shown: str) -> None:
    assert redirect_target("https://smsc.ru/sys/get.php", location) == shown
