"""The demo's simulated SMSC speaks what the real client sends and reads, and its night plays
in order from the bridge's first poll: `bot.smsc`'s own client against it, a clock passed in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.demo.script import HISTORY, NIGHT, answer_replies, fill_history, play
from bot.demo.simulated_smsc import LOGIN, PASSWORD, SimulatedSmsc
from bot.smsc import SmscClient, SmscCredentials
from bot.smsc.errors import SmscApiError
from bot.smsc.send_api import SmscOutbox

MOSCOW = ZoneInfo("Europe/Moscow")
START = datetime(2026, 11, 28, 0, 30, tzinfo=UTC)
AUTH = SmscCredentials(LOGIN, PASSWORD)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def simulated(clock: Clock) -> AsyncIterator[tuple[SimulatedSmsc, str]]:
    smsc = SimulatedSmsc(MOSCOW, now=clock)
    url = await smsc.start()
    yield smsc, url
    await smsc.stop()


async def test_the_inbox_answers_the_real_client_by_cursor_and_window(
    simulated: tuple[SimulatedSmsc, str], clock: Clock
) -> None:
    smsc, url = simulated
    fill_history(smsc, "en")
    inbox = SmscClient(url, AUTH, MOSCOW)
    try:
        everything = await inbox.fetch_after(None, hours=24)
        assert [sms.received_at for sms in everything.records] == [
            START - ago for ago, _ in HISTORY
        ]
        assert everything.problems == [] and everything.more is False
        assert everything.records[0].recipient == "79001234567"
        recent = await inbox.fetch_after(None, hours=3)
        assert [sms.text for sms in recent.records] == [HISTORY[-1][1].en]
        assert smsc.polled.is_set()
        clock.now += timedelta(minutes=1)
        late = smsc.receive("79035557788", "late", late_by=timedelta(hours=3))
        after = await inbox.fetch_after(everything.next_cursor, hours=168)
        assert [(sms.smsc_id, sms.received_at) for sms in after.records] == [
            (late.smsc_id, clock.now - timedelta(hours=3))
        ]
        assert smsc.inbox_polls == 3
    finally:
        await inbox.aclose()


async def test_a_wrong_password_gets_smscs_error_2(simulated: tuple[SimulatedSmsc, str]) -> None:
    _smsc, url = simulated
    inbox = SmscClient(url, SmscCredentials(LOGIN, "guess"), MOSCOW)
    try:
        with pytest.raises(SmscApiError) as refused:
            await inbox.fetch_after(None, hours=1)
    finally:
        await inbox.aclose()
    assert refused.value.code == 2


async def test_a_reply_is_priced_sent_to_the_outbox_and_delivered_seconds_later(
    simulated: tuple[SimulatedSmsc, str], clock: Clock
) -> None:
    smsc, url = simulated
    outbox = SmscOutbox(url, AUTH)
    try:
        quote = await outbox.quote("79267654321", "On our way", None)
        assert (quote.cost, quote.parts, smsc.outbox) == ("3.50", 1, [])
        assert await outbox.balance() == "500.00"
        sent = await outbox.send("79267654321", "Едем, будем через 20 минут", None, "b1-7")
        assert (sent.parts, sent.cost, sent.balance) == (1, "3.50", "496.50")
        assert [(sms.phone, sms.our_id, sms.smsc_id) for sms in smsc.outbox] == [
            ("79267654321", "b1-7", sent.smsc_id)
        ]
        handed_over = await outbox.status("79267654321", "b1-7")
        assert (handed_over.final, handed_over.delivered) == (False, False)
        clock.now += timedelta(seconds=5)
        delivered = await outbox.status("79267654321", "b1-7")
        assert (delivered.final, delivered.delivered) == (True, True)
        assert (await outbox.status("79267654321", "never")).never_sent
    finally:
        await outbox.aclose()


async def test_the_night_plays_in_order_from_the_first_poll(
    simulated: tuple[SimulatedSmsc, str], clock: Clock
) -> None:
    smsc, url = simulated
    said: list[str] = []
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        assert smsc.polled.is_set(), "nothing plays before the bridge's first poll"
        clock.now += timedelta(seconds=seconds)

    inbox = SmscClient(url, AUTH, MOSCOW)
    try:
        await inbox.fetch_after(None, hours=24)  # the first start's poll
        await play(smsc, "ru", said.append, speed=4, sleep=sleep)
    finally:
        await inbox.aclose()
    assert sum(slept) == NIGHT[-1].at / 4
    arrived = smsc.inbox
    assert [sms.message for sms in arrived] == [sms.ru for scene in NIGHT for sms in scene.sms]
    assert "Код для входа: 4821" in arrived[1].message
    late = next(sms for sms in arrived if "ворота" in sms.message)
    assert clock.now - late.received > timedelta(hours=3)
    burst = [sms for sms in arrived if sms.message.startswith("Холодильник")]
    assert len(burst) == 8 and len({sms.received for sms in burst}) == 1
    assert len(said) == len(NIGHT) + 1 and "Ctrl-C" in said[-1]


async def test_whoever_gets_a_reply_answers_it_a_little_later(
    simulated: tuple[SimulatedSmsc, str],
) -> None:
    smsc, url = simulated
    timers: list[tuple[float, Callable[[], object]]] = []
    answer_replies(smsc, "ru", speed=4, later=lambda delay, then: timers.append((delay, then)))
    outbox = SmscOutbox(url, AUTH)
    try:
        await outbox.quote("79267654321", "On our way", None)
        assert timers == []  # a price is no SMS
        await outbox.send("79267654321", "On our way", None, "b1-8")
    finally:
        await outbox.aclose()
    [(delay, then)] = timers
    assert delay == 3.0 and smsc.inbox == []
    then()
    assert [(sms.phone, sms.message) for sms in smsc.inbox] == [
        ("79267654321", "Спасибо, поняли. Ждём.")
    ]
