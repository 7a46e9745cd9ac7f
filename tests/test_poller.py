"""The poller against a real fake SMSC server and a real SQLite file, in process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tenacity import RetryCallState

from bot.alerts import Alerts
from bot.database import StoreThread
from bot.metrics import Metrics
from bot.poller import Poller
from bot.smsc import SmscApiError, SmscClient, SmscUnavailable
from bot.status import BridgeStatus
from state import Store
from tests.fakes.smsc import LOGIN, PASSWORD, FakeSmsc

CHATS = ["-1001", "-1002"]


class Harness:
    def __init__(self, db: StoreThread, poller: Poller, status: BridgeStatus) -> None:
        self.db, self.poller, self.status = db, poller, status
        self.wakes = 0
        self.notices: list[str] = []

    @property
    def store(self) -> Store:
        return self.db.store

    def pending_ids(self, chat: str = "-1001") -> list[int]:
        return [d.sms.smsc_id for d in self.store.pending(chat, 100000)]


@pytest.fixture
async def harness(tmp_path: Path, smsc: FakeSmsc) -> AsyncIterator[Harness]:
    db = StoreThread(Store.open(tmp_path / "bridge.db"))
    status = BridgeStatus()
    client = SmscClient(smsc.url, {"login": LOGIN, "psw": PASSWORD}, smsc.zone)
    holder: list[Harness] = []

    async def notify(text: str) -> None:
        holder[0].notices.append(text)

    def woken() -> None:
        holder[0].wakes += 1

    poller = Poller(
        db=db,
        client=client,
        chats=CHATS,
        interval=30,
        backfill_hours=24,
        relay_backfill=False,
        status=status,
        alerts=Alerts(status, 300, notify),
        metrics=Metrics(),
        on_new_sms=woken,
    )
    holder.append(Harness(db, poller, status))
    yield holder[0]
    await client.aclose()
    db.close()


def mark_initialized(harness: Harness, hours_ago: float = 0) -> None:
    moment = datetime.now(UTC) - timedelta(hours=hours_ago)
    harness.store.mark_first_start_done(moment)


async def test_first_start_stores_history_without_relaying(
    harness: Harness, smsc: FakeSmsc
) -> None:
    smsc.add_sms("two hours ago", received=datetime.now(UTC) - timedelta(hours=2))
    smsc.add_sms("two days ago", received=datetime.now(UTC) - timedelta(days=2))
    await harness.poller.poll_once()
    assert harness.store.count_messages() == 1  # only the last 24 hours
    assert harness.pending_ids() == [] and harness.wakes == 0
    assert harness.store.first_start_done_at() is not None
    [first] = smsc.inbox_requests()
    assert first.form["hour"] == "24" and "after_id" not in first.form
    assert first.method == "POST" and first.form["psw"] == PASSWORD
    assert (first.form["fmt"], first.form["charset"], first.form["get_answers"]) == (
        "3",
        "utf-8",
        "1",
    )


async def test_after_the_first_start_every_new_sms_is_relayed(
    harness: Harness, smsc: FakeSmsc
) -> None:
    await harness.poller.poll_once()  # empty inbox: nothing to set the cursor by
    smsc.add_sms("from three days ago", received=datetime.now(UTC) - timedelta(days=3))
    new = smsc.add_sms("new")
    await harness.poller.poll_once()
    assert harness.pending_ids() == [new] and harness.pending_ids("-1002") == [new]
    assert harness.wakes == 1
    following = smsc.add_sms("next")
    await harness.poller.poll_once()
    assert harness.pending_ids() == [new, following]
    assert smsc.inbox_requests()[-1].form["after_id"] == str(new)


async def test_full_pages_are_followed_until_a_short_one(harness: Harness, smsc: FakeSmsc) -> None:
    mark_initialized(harness)
    harness.store.save_incoming([], CHATS)
    ids = [smsc.add_sms(f"sms {n}") for n in range(2300)]
    await harness.poller.poll_once()
    assert harness.pending_ids() == ids
    pages = [r.form.get("after_id") for r in smsc.inbox_requests()[:3]]
    assert pages == [None, str(ids[999]), str(ids[1999])]


async def test_overlap_poll_catches_an_id_that_arrived_out_of_order(
    harness: Harness, smsc: FakeSmsc
) -> None:
    mark_initialized(harness, hours_ago=5)
    first = smsc.add_sms("first", sms_id=5000)
    await harness.poller.poll_once()
    assert harness.pending_ids() == [first]
    late = smsc.add_sms("late, with a lower id", sms_id=4000)
    harness.poller._last_overlap = float("-inf")  # the overlap is due
    await harness.poller.poll_once()
    assert harness.pending_ids() == [late, first]
    hours = [r.form.get("hour") for r in smsc.inbox_requests()]
    assert hours.count("1") == 2  # one overlap read per due poll


async def test_a_repeated_reply_never_queues_twice(harness: Harness, smsc: FakeSmsc) -> None:
    mark_initialized(harness)
    sms = smsc.add_sms("once")
    for _ in range(3):
        harness.poller._last_overlap = float("-inf")
        await harness.poller.poll_once()
    assert harness.pending_ids() == [sms]


def pause_after(poller: Poller, error: BaseException, attempt: int = 1) -> float:
    state = RetryCallState(None, None, (), {})  # type: ignore[arg-type]
    state.attempt_number = attempt
    state.set_exception((type(error), error, None))
    return poller._pause_after(state)


@pytest.mark.parametrize(("code", "pause"), [(2, 600), (4, 900), (9, 60), (1, 60), (77, 60)])
def test_error_codes_pause_as_smsc_asks(harness: Harness, code: int, pause: float) -> None:
    assert pause_after(harness.poller, SmscApiError(code, "x")) == pause


def test_parameter_errors_back_off_harder_each_time_up_to_ten_minutes(harness: Harness) -> None:
    pauses = [pause_after(harness.poller, SmscApiError(1, "x"), n) for n in range(1, 8)]
    assert pauses == [60, 120, 240, 480, 600, 600, 600]


def test_transient_errors_back_off_never_faster_than_the_interval(harness: Harness) -> None:
    pauses = [pause_after(harness.poller, SmscUnavailable("x"), n) for n in range(1, 10)]
    assert all(30 <= p <= 300 for p in pauses) and pauses[-1] == 300
    assert pauses[1] >= 60


async def test_alerts_once_on_auth_error_and_once_on_recovery(harness: Harness) -> None:
    alerts = harness.poller._alerts
    for _ in range(3):
        harness.status.poll_failed("SMSC error 2", 2)
        alerts.polling_failed(SmscApiError(2, "authorise error"))
    await asyncio.sleep(0)
    assert len(harness.notices) == 1 and "refused the credentials" in harness.notices[0]
    alerts.polling_recovered(700)
    alerts.polling_recovered(700)
    await asyncio.sleep(0)
    assert len(harness.notices) == 2 and "works again after 12 minutes" in harness.notices[1]


async def test_alerts_after_failing_longer_than_alert_after(harness: Harness) -> None:
    alerts = harness.poller._alerts
    start = datetime.now(UTC) - timedelta(seconds=200)
    harness.status.poll_failed("timed out", at=start)
    alerts.polling_failed(SmscUnavailable("timed out"))
    await asyncio.sleep(0)
    assert harness.notices == []
    harness.status.failing_since = datetime.now(UTC) - timedelta(seconds=301)
    alerts.polling_failed(SmscUnavailable("timed out"))
    alerts.polling_failed(SmscUnavailable("timed out"))
    await asyncio.sleep(0)
    assert len(harness.notices) == 1 and "No SMS fetched for 5 minutes" in harness.notices[0]
