"""The push endpoint: a call on the secret path is a hint to poll now, and nothing more.

First the endpoint alone, on this test's event loop; then the real `sms-bridge run` at
the default 30 s interval against the fake SMSC (enforcing its three-identical-requests
rule) and the fake Bot API. Speed is measured in the benchmark, not asserted here: the
deadlines below only tell a hinted poll from the timer's, 30 s away.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from bot.features.push.endpoint import MAX_BODY, PushEndpoint
from tests.conftest import GROUP
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess, free_port, sms_bridge_command
from tests.fakes.smsc import FakeSmsc, most_identical_in_a_minute
from tests.fakes.telegram import FakeTelegram

SECRET_PATH = "/smsc/Zq8-tY3_wK5.mN7~pL2xV"
SMSC_CALL = {"phone": "79261234567", "mes": "anything at all", "to": "79031234567"}


class Hints:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


@pytest.fixture
async def endpoint() -> AsyncIterator[tuple[str, Hints]]:
    hints = Hints()
    server = PushEndpoint("127.0.0.1", 0, SECRET_PATH, hints)
    await server.start()
    yield f"http://127.0.0.1:{server.port}", hints
    await server.stop()


async def test_a_get_or_post_on_the_secret_path_answers_200_empty_and_hints(
    endpoint: tuple[str, Hints],
) -> None:
    base, hints = endpoint
    async with httpx.AsyncClient(base_url=base) as client:
        posted = await client.post(SECRET_PATH, data=SMSC_CALL)
        got = await client.get(SECRET_PATH, params={"id": "1", "phone": "79261234567"})
        raw = await client.post(SECRET_PATH, content=b"\xff\xfe not even text")
    for answer in (posted, got, raw):
        assert answer.status_code == 200 and answer.content == b""
    assert hints.count == 3


@pytest.mark.parametrize(
    "path",
    ["/", "/smsc", SECRET_PATH + "/", SECRET_PATH[:-1], SECRET_PATH.upper(), "/healthz"],
)
async def test_any_other_path_is_404_and_wakes_nothing(
    endpoint: tuple[str, Hints], path: str
) -> None:
    base, hints = endpoint
    async with httpx.AsyncClient(base_url=base) as client:
        assert (await client.post(path, data=SMSC_CALL)).status_code == 404
        assert (await client.get(path)).status_code == 404
    assert hints.count == 0


async def test_other_methods_on_the_secret_path_wake_nothing(
    endpoint: tuple[str, Hints],
) -> None:
    base, hints = endpoint
    async with httpx.AsyncClient(base_url=base) as client:
        for method in ("PUT", "DELETE", "PATCH", "HEAD"):
            assert (await client.request(method, SECRET_PATH)).status_code == 405
    assert hints.count == 0


async def test_a_body_larger_than_a_few_kilobytes_is_refused_and_wakes_nothing(
    endpoint: tuple[str, Hints],
) -> None:
    base, hints = endpoint

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: read until too much
        for _ in range(64):
            yield b"x" * 1024

    async with httpx.AsyncClient(base_url=base) as client:
        declared = await client.post(SECRET_PATH, content=b"x" * (MAX_BODY + 1))
        streamed = await client.post(SECRET_PATH, content=chunks())
        fits = await client.post(SECRET_PATH, content=b"x" * MAX_BODY)
    assert declared.status_code == 413 and streamed.status_code == 413
    assert fits.status_code == 200 and hints.count == 1


async def test_a_busy_port_fails_the_start_with_an_os_error() -> None:
    first = PushEndpoint("127.0.0.1", 0, SECRET_PATH, Hints())
    await first.start()
    try:
        second = PushEndpoint("127.0.0.1", first.port, SECRET_PATH, Hints())
        with pytest.raises(OSError, match="address already in use"):
            await second.start()
        await second.stop()  # never listened: nothing to do, no error
    finally:
        await first.stop()


# -- the real bridge -------------------------------------------------------------------


class Ports:
    def __init__(self) -> None:
        self.push, self.health = free_port(), free_port()

    def hint(self, client: httpx.Client | None = None, path: str = SECRET_PATH) -> int:
        poster = client or httpx
        return poster.post(f"http://127.0.0.1:{self.push}{path}", data=SMSC_CALL).status_code

    def metric(self, name: str, **labels: str) -> float:
        text = httpx.get(f"http://127.0.0.1:{self.health}/metrics").text
        wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
        pattern = rf"^{name}{{{wanted}}} (\S+)$" if labels else rf"^{name} (\S+)$"
        found = re.search(pattern, text, re.MULTILINE)
        return float(found.group(1)) if found else 0.0


@pytest.fixture
def ports() -> Ports:
    return Ports()


@pytest.fixture
def pushing_bridge(
    smsc: FakeSmsc, ports: Ports, start_bridge: Callable[..., BridgeProcess]
) -> BridgeProcess:
    smsc.enforce_rate_rule = True  # a fourth identical request within a minute: code 9
    bridge = start_bridge(
        TELEGRAM_CHAT_IDS=str(GROUP),
        SMSC_POLL_INTERVAL="30",
        PUSH_PORT=str(ports.push),
        PUSH_PATH=SECRET_PATH,
        HEALTH_PORT=str(ports.health),
        LOG_LEVEL="INFO",
    )
    bridge.wait_for_log(FIRST_START_DONE)
    bridge.wait_for_log("connected to Telegram")
    bridge.wait_for_log(rf"push endpoint on http://127\.0\.0\.1:{ports.push}/… ")
    return bridge


def assert_rule_kept_and_path_unlogged(smsc: FakeSmsc, bridge: BridgeProcess) -> None:
    log = bridge.log()
    assert "SMSC error 9" not in log and "INFO" in log
    assert most_identical_in_a_minute(smsc.inbox_requests()) <= 3
    assert SECRET_PATH not in log


@pytest.mark.e2e
def test_a_hinted_sms_arrives_in_seconds_and_the_path_never_shows(
    smsc: FakeSmsc,
    telegram: FakeTelegram,
    ports: Ports,
    pushing_bridge: BridgeProcess,
    tmp_path: Path,
) -> None:
    smsc.add_sms("hinted: code 4321")
    assert ports.hint() == 200
    telegram.wait_for(  # the timer's next poll is 30 s away: only the hint can be this fast
        lambda: "hinted: code 4321" in telegram.sms_texts(GROUP), timeout=15, what="hinted SMS"
    )
    assert ports.metric("sms_bridge_polls_total", reason="hint") == 1
    assert ports.metric("sms_bridge_push_hints_total") == 1

    assert ports.hint(path="/smsc/a-guess-at-the-path") == 404
    assert ports.hint(path=SECRET_PATH + "x") == 404
    too_big = httpx.post(f"http://127.0.0.1:{ports.push}{SECRET_PATH}", content=b"x" * 65536)
    assert too_big.status_code == 413
    assert ports.metric("sms_bridge_push_hints_total") == 1  # none of those woke anything

    check = subprocess.run(
        [*sms_bridge_command(), "check"],
        cwd=tmp_path,
        env=pushing_bridge.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert f"✓ push endpoint: listening on http://127.0.0.1:{ports.push}/…" in check.stdout
    assert SECRET_PATH not in check.stdout + check.stderr
    code, _ = pushing_bridge.stop()
    assert code == 0
    assert_rule_kept_and_path_unlogged(smsc, pushing_bridge)


def flood(
    ports: Ports, calls: int, seconds: float, at_call: dict[int, Callable[[], object]]
) -> None:
    """`calls` hints spread evenly over `seconds` (a load, paced by the clock)."""
    started = time.monotonic()
    with httpx.Client() as client:
        for n in range(calls):
            time.sleep(max(0.0, started + n * seconds / calls - time.monotonic()))
            if n in at_call:
                at_call[n]()
            assert ports.hint(client) == 200


@pytest.mark.e2e
@pytest.mark.timeout(180)
def test_a_flood_of_hints_keeps_smscs_rule_and_the_timers_pace(
    smsc: FakeSmsc, telegram: FakeTelegram, ports: Ports, pushing_bridge: BridgeProcess
) -> None:
    # By the middle of the flood the hinted polls have used the room SMSC's rule leaves;
    # the SMS then comes with the timer's poll, no later than without any hints.
    flood(ports, 300, 5.0, {200: lambda: smsc.add_sms("sent during the flood")})
    telegram.wait_for(
        lambda: "sent during the flood" in telegram.sms_texts(GROUP), timeout=45, what="the SMS"
    )
    assert ports.metric("sms_bridge_push_hints_total") == 300
    hinted_polls = ports.metric("sms_bridge_polls_total", reason="hint") + ports.metric(
        "sms_bridge_polls_total", reason="follow-up"
    )
    assert 1 <= hinted_polls <= 10  # 300 calls, a few polls
    code, _ = pushing_bridge.stop()
    assert code == 0
    assert_rule_kept_and_path_unlogged(smsc, pushing_bridge)
