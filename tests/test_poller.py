"""The poller against a real fake SMSC server and a real SQLite file, in process.

The paging and error tests at the end use a small inbox written here instead: the poller
depends on `bot.core.inbox.Inbox`, and must work with anything that keeps that contract.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tenacity import RetryCallState

from bot.core.alerts import Alerts, kept_aside_text
from bot.core.bridge_state import BridgeStatus
from bot.core.database import AsyncStore
from bot.core.health import HealthRules, health_problems
from bot.core.inbox import ErrorPolicy, Inbox, InboxError, InboxPage
from bot.core.metrics import Metrics
from bot.intake.poller import LINE_PER_SMS_UP_TO, Poller, PollStart
from bot.routing.routes import Route, Router, load_routes
from bot.routing.targets import ChatTarget
from bot.smsc import (
    ERROR_POLICIES,
    PAGE_SIZE,
    SmscApiError,
    SmscClient,
    SmscCredentials,
    SmscGarbageReply,
    SmscRedirected,
    SmscUnavailable,
)
from bot.text.i18n import in_language
from state import IncomingSms, SmsNotStored, Store, deliveries, history, markers, messages
from state.store import read_only_connection
from tests.fakes.smsc import LOGIN, PASSWORD, FakeSmsc, Fault
from tests.fakes.wait import eventually

CHATS = ["-1001", "-1002"]


def load_routes_text(folder: Path, text: str) -> tuple[Route, ...]:
    (folder / "routes.toml").write_text(text)
    return load_routes(folder / "routes.toml")


class Harness:
    def __init__(self, store: Store, db: AsyncStore, poller: Poller, status: BridgeStatus) -> None:
        self.store, self.db, self.poller, self.status = store, db, poller, status
        self.wakes = 0
        self.notices: list[str] = []
        self.quoted: list[dict[str, int] | None] = []

    def pending_ids(self, chat: str = "-1001") -> list[int]:
        return [d.sms.smsc_id for d in deliveries.pending(self.store, chat, 100000)]


TARGETS = [ChatTarget.parse(chat) for chat in CHATS]
EVERY_CHAT = Router((), TARGETS)


def make_harness(
    path: Path,
    inbox: Inbox,
    hints: asyncio.Event | None = None,
    router: Router = EVERY_CHAT,
    store_class: type[Store] = Store,
) -> Harness:
    store = store_class.open(path)
    db = AsyncStore(store)
    status = BridgeStatus()
    holder: list[Harness] = []

    async def notify(
        text: str, *, reply_to: dict[str, int] | None = None, skip: str | None = None
    ) -> dict[str, int]:
        holder[0].notices.append(text)
        holder[0].quoted.append(reply_to)
        return {"-1001": len(holder[0].notices)}

    def woken() -> None:
        holder[0].wakes += 1

    poller = Poller(
        store=db,
        inbox=inbox,
        router=router,
        interval=30,
        backfill_hours=24,
        relay_backfill=False,
        status=status,
        alerts=Alerts(status, 300, notify, ZoneInfo("Europe/Moscow")),
        metrics=Metrics(),
        on_new_sms=woken,
        hints=hints,
    )
    holder.append(Harness(store, db, poller, status))
    return holder[0]


@pytest.fixture
async def harness(tmp_path: Path, smsc: FakeSmsc) -> AsyncIterator[Harness]:
    client = SmscClient(smsc.url, SmscCredentials(LOGIN, PASSWORD), smsc.zone)
    harness = make_harness(tmp_path / "bridge.db", client)
    yield harness
    await client.aclose()
    harness.db.close()


def mark_initialized(harness: Harness, hours_ago: float = 0) -> None:
    moment = datetime.now(UTC) - timedelta(hours=hours_ago)
    markers.mark_first_start_done(harness.store, moment)


async def test_first_start_stores_history_without_relaying(
    harness: Harness, smsc: FakeSmsc
) -> None:
    smsc.add_sms("two hours ago", received=datetime.now(UTC) - timedelta(hours=2))
    smsc.add_sms("two days ago", received=datetime.now(UTC) - timedelta(days=2))
    await harness.poller.poll_once()
    assert messages.count_messages(harness.store) == 1  # only the last 24 hours
    assert harness.pending_ids() == [] and harness.wakes == 0
    assert markers.first_start_done_at(harness.store) is not None
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
    messages.save_incoming(harness.store, [], CHATS)
    ids = [smsc.add_sms(f"sms {n}") for n in range(2 * PAGE_SIZE + 300)]
    await harness.poller.poll_once()
    assert harness.pending_ids() == ids
    asked = smsc.inbox_requests()[:3]
    assert [r.form.get("after_id") for r in asked] == [
        None,
        str(ids[PAGE_SIZE - 1]),
        str(ids[2 * PAGE_SIZE - 1]),
    ]
    assert {r.form.get("cnt") for r in asked} == {str(PAGE_SIZE)}


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


async def test_each_sms_is_queued_and_visible_where_the_routes_say_history_included(
    tmp_path: Path, smsc: FakeSmsc
) -> None:
    routes = load_routes_text(
        tmp_path,
        '[[route]]\nname = "support"\nto = ["79030000001"]\nchats = ["-1009"]\nlabel = "S"\n'
        '[[route]]\ntext = "(?i)balance"\ndrop = true\n',
    )
    client = SmscClient(smsc.url, SmscCredentials(LOGIN, PASSWORD), smsc.zone)
    harness = make_harness(tmp_path / "bridge.db", client, router=Router(routes, TARGETS))
    try:
        backfilled = smsc.add_sms("before the first start", to_phone="79030000001")
        await harness.poller.poll_once()  # the first start: history, not relayed
        support = smsc.add_sms("printer on fire", to_phone="79030000001")
        balance = smsc.add_sms("Balance: 5 rub", phone="900")
        other = smsc.add_sms("hello")
        await harness.poller.poll_once()
        store = harness.store
        assert harness.pending_ids("-1009") == [support]
        assert harness.pending_ids("-1001") == harness.pending_ids("-1002") == [other]
        seen = {
            chat: [s.smsc_id for s in history.last(store, 10, chat).messages]
            for chat in ("-1009", "-1001")
        }
        assert seen == {"-1009": [backfilled, support], "-1001": [other]}
        assert [s.smsc_id for s in history.last(store, 10).messages] == [
            backfilled,
            support,
            balance,
            other,
        ]
        assert history.last(store, 10, "-1009").messages[0].label == "S"
    finally:
        await client.aclose()
        harness.db.close()


def pause_after(poller: Poller, error: BaseException, attempt: int = 1) -> float:
    state = RetryCallState(None, None, (), {})  # type: ignore[arg-type]
    state.attempt_number = attempt
    state.set_exception((type(error), error, None))
    return poller._failures.pause_after(state)


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
        harness.status.poll_failed("SMSC error 2")
        alerts.polling_failed(SmscApiError(2, "authorise error"))
    await alerts.flush()
    assert len(harness.notices) == 1 and "refused the credentials" in harness.notices[0]
    assert harness.notices[0].startswith("⚠️ <b>No new SMS since ")
    alerts.polling_recovered(700)
    alerts.polling_recovered(700)
    await alerts.flush()
    assert len(harness.notices) == 2 and "again, after 12 minutes" in harness.notices[1]
    assert harness.quoted[1] == {"-1001": 1}  # the recovery quotes the alert


async def test_alerts_after_failing_longer_than_alert_after(harness: Harness) -> None:
    alerts = harness.poller._alerts
    start = datetime.now(UTC) - timedelta(seconds=200)
    harness.status.poll_failed("timed out", at=start)
    alerts.polling_failed(SmscUnavailable("timed out"))
    await alerts.flush()
    assert harness.notices == []
    harness.status.failing_since = datetime.now(UTC) - timedelta(seconds=301)
    alerts.polling_failed(SmscUnavailable("timed out"))
    alerts.polling_failed(SmscUnavailable("timed out"))
    await alerts.flush()
    assert len(harness.notices) == 1 and "has not answered for 5 minutes" in harness.notices[0]


PROXY_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>"
    b"<hr><center>nginx</center></body></html>"
)


@pytest.mark.parametrize(
    ("fault", "said", "logged", "raw"),
    [
        (
            Fault("body", PROXY_PAGE),
            "a page that is not its API's answer",
            f"reply is not JSON ({len(PROXY_PAGE)} bytes)",
            "'<html>",
        ),
        (Fault("status", 502), "not its API's answer (HTTP 502)", "HTTP 502", "'<html>"),
        (Fault("drop"), "SMSC could not be reached", "request failed", None),
        (Fault.error(77, "нечто новое"), "SMSC answered with error 77", "нечто новое", None),
    ],
)
async def test_what_smsc_answered_reaches_people_only_as_what_it_means(
    harness: Harness,
    smsc: FakeSmsc,
    caplog: pytest.LogCaptureFixture,
    fault: Fault,
    said: str,
    logged: str,
    raw: str | None,
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.intake.poller")
    mark_initialized(harness)
    smsc.sticky_fault = fault
    with pytest.raises(InboxError) as caught:
        await harness.poller.poll_once()
    record_failure(harness, caught.value)
    above_debug = "\n".join(r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG)
    assert logged in above_debug  # what failed is for the log
    if raw is not None:  # what SMSC answered instead may hold SMS text: DEBUG only
        assert raw not in above_debug and raw in caplog.text
    harness.status.failing_since = datetime.now(UTC) - timedelta(seconds=301)
    with in_language("ru"):
        harness.poller._alerts.polling_failed(caught.value)
        await harness.poller._alerts.flush()
        later = datetime.now(UTC) + timedelta(seconds=100)
        [problem] = map(str, health_problems(harness.status, HealthRules(30, 300), None, later))
    [alert] = harness.notices
    assert "журнале сервиса" in alert and "SMSC" in problem
    with in_language("en"):
        [problem_en] = map(str, health_problems(harness.status, HealthRules(30, 300), None, later))
    assert said in problem_en
    for text in (alert, problem, problem_en):
        assert not any(raw in text for raw in ("html", "Bad Gateway", "nginx", "JSON", "новое"))


# -- the poller against any Inbox -----------------------------------------------------


NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


class ListInbox:
    """An inbox in memory: pages of `page_size`, largest ID as the cursor, as the contract says.

    IDs are handed out in the order given, not sorted, so that a test can check the poller
    takes the page's cursor (the largest ID) rather than its last record.
    """

    def __init__(self, ids: list[int], page_size: int = 3) -> None:
        self.ids = ids
        self.page_size = page_size
        self.cursors: list[int | None] = []

    async def fetch_after(self, cursor: int | None, *, hours: int) -> InboxPage:
        self.cursors.append(cursor)
        after = [i for i in self.ids if cursor is None or i > cursor][: self.page_size]
        records = [IncomingSms(i, "79261234567", "79031234567", f"sms {i}", NOW) for i in after]
        return InboxPage(
            records=records,
            problems=[f"SMS {i}: a note" for i in after if i % 10 == 0],
            next_cursor=max(after, default=None),
            more=len(after) == self.page_size,
        )


@pytest.fixture
def list_inbox() -> ListInbox:
    return ListInbox([])


@pytest.fixture
def on_list(tmp_path: Path, list_inbox: ListInbox) -> Iterator[Harness]:
    harness = make_harness(tmp_path / "bridge.db", list_inbox)
    markers.mark_first_start_done(harness.store, datetime.now(UTC))
    harness.poller._last_overlap = float("inf")  # no overlap re-reads: pages only
    yield harness
    harness.db.close()


async def test_any_inbox_is_read_page_after_page_from_the_largest_id(
    on_list: Harness, list_inbox: ListInbox, caplog: pytest.LogCaptureFixture
) -> None:
    list_inbox.ids = [3, 1, 2, 6, 4, 5, 10, 7]  # a page's largest ID is not its last
    await on_list.poller.poll_once()
    assert list_inbox.cursors == [None, 3, 6]  # the third page was short: no fourth ask
    assert on_list.pending_ids() == [1, 2, 3, 4, 5, 6, 7, 10]
    assert on_list.wakes == 3
    assert "SMSC reply: SMS 10: a note" in caplog.text
    list_inbox.ids.append(11)
    await on_list.poller.poll_once()
    assert list_inbox.cursors[-1] == 10 and on_list.pending_ids()[-1] == 11


class CursorIgnoringInbox(ListInbox):
    """An inbox that answers every request with its first page, whatever the cursor."""

    async def fetch_after(self, cursor: int | None, *, hours: int) -> InboxPage:
        page = await super().fetch_after(None, hours=hours)
        self.cursors[-1] = cursor
        return page


async def test_a_full_page_whose_cursor_did_not_move_ends_the_walk(tmp_path: Path) -> None:
    inbox = CursorIgnoringInbox([7, 8, 9])  # always the same full page
    harness = make_harness(tmp_path / "bridge.db", inbox)
    markers.mark_first_start_done(harness.store, datetime.now(UTC))
    messages.save_incoming(harness.store, [IncomingSms(9, "x", "y", "stored", NOW)], CHATS)
    harness.poller._last_overlap = float("inf")
    await harness.poller.poll_once()
    assert inbox.cursors == [9]  # asking after 9 again would only get the same page
    assert harness.pending_ids() == [7, 8, 9]
    harness.db.close()


class HeldCommitStore(Store):
    """A real store whose pages, their statements run, wait to commit until `release` is
    set (a commit that takes its time), then commit, or fail if `fail_commit` says so."""

    release: threading.Event
    fail_commit: bool
    holding = False  # set once the test's own writes are done: then only pages are written

    def transaction(self, bulk: bool = False) -> AbstractContextManager[None]:
        return self._held(bulk) if self.holding else super().transaction(bulk)

    @contextmanager
    def _held(self, bulk: bool) -> Iterator[None]:
        with super().transaction(bulk):
            yield
            assert self.release.wait(20), "the test never released the commit"
            if self.fail_commit:
                raise OSError("disk I/O error")


@pytest.fixture
def held_commits(tmp_path: Path, list_inbox: ListInbox) -> Iterator[Harness]:
    harness = make_harness(tmp_path / "bridge.db", list_inbox, store_class=HeldCommitStore)
    store = held_store(harness)
    store.release, store.fail_commit = threading.Event(), False
    markers.mark_first_start_done(harness.store, datetime.now(UTC))
    harness.poller._last_overlap = float("inf")  # no overlap re-reads: pages only
    store.holding = True
    yield harness
    store.release.set()
    harness.db.close()


def held_store(harness: Harness) -> HeldCommitStore:
    assert isinstance(harness.store, HeldCommitStore)
    return harness.store


def committed_ids(store: Store) -> list[int]:
    """The SMS another connection sees: those committed."""
    assert store.path is not None
    conn = read_only_connection(store.path)
    try:
        return [row[0] for row in conn.execute("SELECT id FROM messages ORDER BY id")]
    finally:
        conn.close()


async def test_the_next_page_is_asked_for_while_a_page_commits_and_stored_only_after_it(
    held_commits: Harness, list_inbox: ListInbox
) -> None:
    list_inbox.ids = [1, 2, 3, 4, 5, 6, 7]  # pages of 3: 1-3, 4-6, 7
    polling = asyncio.create_task(held_commits.poller.poll_once())
    await eventually(lambda: list_inbox.cursors == [None, 3], what="page 2 asked for")
    # Page 1 is written and committing; page 2 is read but not even looked at yet.
    assert committed_ids(held_commits.store) == []
    assert held_commits.wakes == 0  # the first page's save has not returned
    written = held_commits.store.conn.execute("SELECT id FROM messages ORDER BY id").fetchall()
    assert [row[0] for row in written] == [1, 2, 3]
    held_store(held_commits).release.set()
    assert await asyncio.wait_for(polling, 20) == 7
    assert list_inbox.cursors == [None, 3, 6]  # each page asked for once, in order
    assert committed_ids(held_commits.store) == [1, 2, 3, 4, 5, 6, 7]
    assert held_commits.wakes == 3


async def test_a_page_whose_commit_fails_drops_the_page_asked_for_meanwhile(
    held_commits: Harness, list_inbox: ListInbox
) -> None:
    list_inbox.ids = [1, 2, 3, 4, 5, 6, 7]
    store = held_store(held_commits)
    store.fail_commit = True
    polling = asyncio.create_task(held_commits.poller.poll_once())
    await eventually(lambda: list_inbox.cursors == [None, 3], what="page 2 asked for")
    store.release.set()
    with pytest.raises(OSError, match="disk I/O error"):
        await asyncio.wait_for(polling, 20)
    assert list_inbox.cursors == [None, 3]  # no third page: the walk stopped at the failure
    assert committed_ids(held_commits.store) == []  # page 2 was never stored
    assert held_commits.pending_ids() == []
    store.fail_commit = False
    assert await held_commits.poller.poll_once() == 7  # the next poll takes it all again
    assert list_inbox.cursors[2:] == [None, 3, 6]


class RecordingPattern:
    """A route pattern that notes each text it reads, from whichever thread routes."""

    def __init__(self, pattern: str) -> None:
        self.inner = re.compile(pattern)
        self.read: list[str] = []

    def search(self, text: str, *args: object) -> re.Match[str] | None:
        self.read.append(text)
        return self.inner.search(text)


def evens_routed_apart(path: Path, inbox: Inbox) -> tuple[Harness, RecordingPattern]:
    """A started bridge's poller whose one route sends SMS ending in an even digit to
    -1009, its pages' commits held as HeldCommitStore says (released to begin with)."""
    even = RecordingPattern("[02468]$")
    route = Route(1, None, None, None, even, (ChatTarget.parse("-1009"),))  # type: ignore[arg-type]
    harness = make_harness(
        path, inbox, router=Router([route], TARGETS), store_class=HeldCommitStore
    )
    store = held_store(harness)
    store.release, store.fail_commit = threading.Event(), False
    store.release.set()
    markers.mark_first_start_done(harness.store, datetime.now(UTC))
    harness.poller._last_overlap = float("inf")
    store.holding = True
    return harness, even


async def test_a_page_asked_for_while_one_commits_is_routed_meanwhile_and_stored_once(
    tmp_path: Path, list_inbox: ListInbox
) -> None:
    harness, even = evens_routed_apart(tmp_path / "bridge.db", list_inbox)
    store = held_store(harness)
    try:
        list_inbox.ids = [5, 6, 7]  # SMS 5 and 6 first: a full page, committed at once
        await harness.poller.poll_once()
        store.release.clear()
        # 1 to 4 arrive late, out of order: the re-read of the last hour walks 1-3, 4-6, 7,
        # its second page asked for and routed while the first commits.
        list_inbox.ids = [1, 2, 3, 4, 5, 6, 7]
        harness.poller._last_overlap = -math.inf
        even.read.clear()
        polling = asyncio.create_task(harness.poller.poll_once())
        await eventually(lambda: "sms 6" in even.read, what="page 2 routed")
        assert committed_ids(harness.store) == [5, 6, 7]  # page 1 is committing still
        assert even.read == ["sms 1", "sms 2", "sms 3", "sms 4", "sms 5", "sms 6"]
        store.release.set()
        assert await asyncio.wait_for(polling, 20) == 4
        assert committed_ids(harness.store) == [1, 2, 3, 4, 5, 6, 7]
        # SMS 5 and 6, routed again for nothing, are queued no second time.
        assert harness.pending_ids("-1009") == [2, 4, 6]
        assert harness.pending_ids("-1001") == [1, 3, 5, 7]
    finally:
        store.release.set()
        harness.db.close()


class TwiceInbox(ListInbox):
    """An inbox whose second page holds SMS 5 twice, the second time with another text."""

    async def fetch_after(self, cursor: int | None, *, hours: int) -> InboxPage:
        page = await super().fetch_after(cursor, hours=hours)
        if cursor == 3:
            page.records.append(IncomingSms(5, "79261234567", "79031234567", "sms 6", NOW))
        return page


async def test_of_two_records_with_one_id_the_first_is_routed_as_it_is_the_one_stored(
    tmp_path: Path,
) -> None:
    inbox = TwiceInbox([1, 2, 3, 4, 5, 7])
    harness, _even = evens_routed_apart(tmp_path / "bridge.db", inbox)
    try:
        assert await harness.poller.poll_once() == 6
        assert messages.sms_by_id(harness.store, [5])[0].text == "sms 5"
        assert harness.pending_ids("-1009") == [2, 4]  # not SMS 5, as "sms 6" would go
        assert harness.pending_ids("-1001") == [1, 3, 5, 7]
    finally:
        harness.db.close()


class PolicyError(InboxError):
    """An error of no provider at all: only its policy tells the poller what to do."""


URGENT = ErrorPolicy(
    "the inbox wants a person",
    metrics_label="urgent",
    pause=42,
    tell_chats=True,
    notice="Someone must look at the inbox.",
    log_level=logging.CRITICAL,
)


def record_failure(harness: Harness, error: BaseException, pause: float = 60) -> None:
    state = RetryCallState(None, None, (), {})  # type: ignore[arg-type]
    state.set_exception((type(error), error, None))
    state.upcoming_sleep = pause
    harness.poller._failures.record(state)


async def test_an_inbox_error_of_no_provider_is_handled_as_its_policy_says(
    on_list: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    error = PolicyError("it broke", URGENT)
    assert [pause_after(on_list.poller, error, n) for n in (1, 5)] == [42, 42]
    record_failure(on_list, error, pause=42)
    await on_list.poller._alerts.flush()
    [notice] = on_list.notices
    assert notice.startswith("⚠️") and "Someone must look at the inbox." in notice
    [record] = [r for r in caplog.records if "it broke" in r.getMessage()]
    assert record.levelno == logging.CRITICAL
    assert record.getMessage() == "it broke (the inbox wants a person); next try in 42 s"
    counted = on_list.poller._metrics.registry.get_sample_value(
        "sms_bridge_poll_errors_total", {"code": "urgent"}
    )
    assert counted == 1


def test_a_policy_pause_grows_or_backs_off_as_it_says(on_list: Harness) -> None:
    growing = PolicyError("x", ErrorPolicy("growing", "g", pause=100, grows=True))
    pauses = [pause_after(on_list.poller, growing, n) for n in range(1, 6)]
    assert pauses == [100, 200, 400, 600, 600]
    backing_off = PolicyError("x", ErrorPolicy("passing", "p", pause=None))
    pauses = [pause_after(on_list.poller, backing_off, n) for n in range(1, 10)]
    assert all(30 <= p <= 300 for p in pauses) and pauses[-1] == 300


@pytest.mark.parametrize(
    ("error", "level", "label", "alerts_at_once", "logged"),
    [
        (SmscApiError(1, "x"), logging.ERROR, "1", False, "SMSC error 1: x (error in parameters)"),
        (SmscApiError(2, "authorise error"), logging.ERROR, "2", True, "SMSC error 2: authorise"),
        (SmscApiError(4, "ip is blocked"), logging.WARNING, "4", False, "SMSC error 4: ip is"),
        (SmscApiError(9, "wait"), logging.WARNING, "9", False, "SMSC error 9: wait (too many"),
        (SmscApiError(77, "new"), logging.ERROR, "77", False, "SMSC error 77: new (unexpected"),
        (SmscUnavailable("timed out"), logging.WARNING, "transport", False, "SMSC unavailable: "),
        (SmscGarbageReply("empty"), logging.WARNING, "transport", False, "SMSC unavailable: empty"),
        (SmscRedirected(302, "http://x"), logging.ERROR, "redirect", False, "SMSC answered with a"),
    ],
)
async def test_every_smsc_error_is_logged_counted_and_alerted_as_its_policy_says(
    harness: Harness,
    caplog: pytest.LogCaptureFixture,
    error: InboxError,
    level: int,
    label: str,
    alerts_at_once: bool,
    logged: str,
) -> None:
    assert (error.policy.log_level, error.policy.metrics_label) == (level, label)
    assert error.policy.tell_chats is alerts_at_once
    record_failure(harness, error)
    await harness.poller._alerts.flush()
    [record] = [r for r in caplog.records if "next try in 60 s" in r.getMessage()]
    assert record.levelno == level and record.getMessage().startswith(logged)
    counted = harness.poller._metrics.registry.get_sample_value(
        "sms_bridge_poll_errors_total", {"code": label}
    )
    assert counted == 1
    assert len(harness.notices) == (1 if alerts_at_once else 0)


def test_each_smsc_code_is_counted_under_its_own_number() -> None:
    assert all(policy.metrics_label == str(code) for code, policy in ERROR_POLICIES.items())
    assert [code for code, policy in ERROR_POLICIES.items() if policy.tell_chats] == [2]


def test_a_policy_that_tells_the_chats_must_say_what() -> None:
    with pytest.raises(ValueError, match="notice"):
        ErrorPolicy("x", "x", pause=60, tell_chats=True)


# -- hints: the loop wakes sooner, within SMSC's rule -------------------------------------


def polls_by(harness: Harness, reason: str) -> float:
    value = harness.poller._metrics.registry.get_sample_value(
        "sms_bridge_polls_total", {"reason": reason}
    )
    return value or 0.0


async def test_a_hint_makes_the_poller_fetch_now_through_the_same_request(
    tmp_path: Path, smsc: FakeSmsc
) -> None:
    history = smsc.add_sms("before the first start")
    client = SmscClient(smsc.url, SmscCredentials(LOGIN, PASSWORD), smsc.zone)
    hints = asyncio.Event()
    harness = make_harness(tmp_path / "bridge.db", client, hints=hints)
    running = asyncio.create_task(harness.poller.run())
    try:
        await eventually(lambda: polls_by(harness, "timer") == 1, what="the first start")
        await eventually(lambda: markers.first_start_done_at(harness.store) is not None)
        new = smsc.add_sms("hinted")
        hints.set()
        await eventually(lambda: harness.pending_ids() == [new], what="the hinted SMS")
        assert polls_by(harness, "hint") == 1 and polls_by(harness, "timer") == 1
        backfill, hinted = smsc.inbox_requests()[:2]
        assert hinted.form == {**backfill.form, "after_id": str(history), "hour": "168"}
    finally:
        running.cancel()
        await client.aclose()
        harness.db.close()


async def test_a_hinted_poll_that_found_nothing_is_followed_up_and_finds_it(
    on_list: Harness, list_inbox: ListInbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.intake.poll_pacing.FOLLOW_UP_AFTER", 0.2)
    list_inbox.ids = [1]  # the timed poll moves the cursor on: SMSC's rule leaves room
    hints = on_list.poller._hints
    running = asyncio.create_task(on_list.poller.run())
    try:
        await eventually(lambda: on_list.pending_ids() == [1])
        asked = len(list_inbox.cursors)
        hints.set()  # SMSC called, but its inbox does not show the SMS yet
        await eventually(lambda: len(list_inbox.cursors) > asked, what="the hinted request")
        list_inbox.ids.append(77)  # after the hinted poll read the inbox, not only began
        await eventually(lambda: on_list.pending_ids() == [1, 77], what="the follow-up")
        assert polls_by(on_list, "follow-up") == 1 and polls_by(on_list, "hint") == 1
        assert polls_by(on_list, "timer") == 1
    finally:
        running.cancel()


async def test_a_thousand_hints_at_once_make_one_poll(on_list: Harness) -> None:
    hints = on_list.poller._hints
    running = asyncio.create_task(on_list.poller.run())
    try:
        await eventually(lambda: polls_by(on_list, "timer") == 1)
        for _ in range(1000):
            hints.set()
        await eventually(lambda: polls_by(on_list, "hint") == 1)
        assert not hints.is_set()  # the poll covered them all: nothing more is owed
    finally:
        running.cancel()


async def test_a_store_failing_while_the_poller_waits_does_not_end_it(
    on_list: Harness, list_inbox: ListInbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_next_start = on_list.poller._next_start
    failures = iter([sqlite3.OperationalError("database is locked")])

    async def flaky_next_start() -> PollStart:
        for error in failures:  # the first read, while waiting for a turn, fails
            raise error
        return await real_next_start()

    monkeypatch.setattr(on_list.poller, "_next_start", flaky_next_start)
    list_inbox.ids = [5]
    running = asyncio.create_task(on_list.poller.run())
    try:
        await eventually(lambda: on_list.pending_ids() == [5], what="the poll after it")
        assert not running.done()
    finally:
        running.cancel()


# -- one SMS never stops the others ---------------------------------------------------

REFUSE_POISON = (
    "CREATE TRIGGER refuse_poison BEFORE INSERT ON messages WHEN NEW.text LIKE '%poison%' "
    "BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END"
)


def above_debug(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG)


async def test_an_sms_the_database_refuses_is_kept_aside_told_and_polling_moves_past_it(
    harness: Harness, smsc: FakeSmsc, caplog: pytest.LogCaptureFixture
) -> None:
    mark_initialized(harness)
    harness.store.conn.execute(REFUSE_POISON)
    before = smsc.add_sms("before")
    after = smsc.add_sms("after")
    poison = smsc.add_sms("poison: your code 734219")
    assert await harness.poller.poll_once() == 2
    assert harness.pending_ids() == [before, after]
    assert markers.max_smsc_id(harness.store) == poison  # the cursor moved past it
    later = smsc.add_sms("later")
    await harness.poller.poll_once()
    assert smsc.inbox_requests()[-1].form["after_id"] == str(poison)
    assert harness.pending_ids() == [before, after, later]
    await harness.poller._alerts.flush()
    [notice] = harness.notices
    assert f"SMS {poison} could not be stored" in notice and "734219" not in notice
    kept = harness.poller._metrics.registry.get_sample_value("sms_bridge_sms_kept_aside_total")
    assert kept == 1
    logged = above_debug(caplog)
    assert f"SMS {poison} could not be stored (sqlite3.IntegrityError)" in logged
    assert "734219" not in logged and "79261234567" not in logged  # IDs only, above DEBUG


async def test_a_lone_surrogate_in_smscs_json_is_stored_marked_damaged_and_relayed(
    harness: Harness, smsc: FakeSmsc
) -> None:
    """It made SQLite raise: the page rolled back and was fetched again at every poll."""
    mark_initialized(harness)
    damaged = smsc.add_sms("code \ud800 5521")  # the fake writes it as a `\ud800` escape
    fine = smsc.add_sms("the one after")
    await harness.poller.poll_once()
    assert harness.pending_ids() == [damaged, fine]
    [first, second] = history.last(harness.store, 2).messages
    assert (first.text, first.damaged, second.damaged) == ("code \ufffd 5521", True, False)
    counted = harness.poller._metrics.registry.get_sample_value("sms_bridge_sms_damaged_total")
    assert counted == 1


async def test_bytes_that_are_not_utf8_cost_a_character_never_the_page(
    harness: Harness, smsc: FakeSmsc
) -> None:
    mark_initialized(harness)
    smsc.inject(
        Fault(
            "body",
            b'[{"id": 5, "received": "01.11.2026 10:00:00", "phone": "79261234567",'
            b' "message": "cut \xd0 letter"}, {"id": 6, "received": "01.11.2026 10:00:00",'
            b' "phone": "79261234567", "message": "whole"}]',
        )
    )
    await harness.poller.poll_once()
    assert harness.pending_ids() == [5, 6]
    assert [(s.text, s.damaged) for s in history.last(harness.store, 2).messages] == [
        ("cut \ufffd letter", True),
        ("whole", False),
    ]


class HeldPattern:
    """A route pattern that takes as long as the test says: a pattern out of control."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()

    def search(self, text: str, *args: object, **kwargs: object) -> None:
        self.started.set()
        self.release.wait(10)


async def test_routing_holds_neither_the_store_nor_the_event_loop(
    tmp_path: Path, smsc: FakeSmsc
) -> None:
    """Routes were decided inside the store's write transaction, on its only thread."""
    held = HeldPattern()
    slow = Route(1, None, None, None, held, (TARGETS[0],))  # type: ignore[arg-type]
    client = SmscClient(smsc.url, SmscCredentials(LOGIN, PASSWORD), smsc.zone)
    harness = make_harness(tmp_path / "bridge.db", client, router=Router([slow], TARGETS))
    try:
        mark_initialized(harness)
        sms_id = smsc.add_sms("routed slowly")
        polling = asyncio.create_task(harness.poller.poll_once())
        await eventually(held.started.is_set, what="routing under way")
        assert await asyncio.wait_for(harness.db.call(messages.count_messages), 2) == 0
        held.release.set()
        assert await asyncio.wait_for(polling, 10) == 1
        assert harness.pending_ids() == [sms_id]
    finally:
        held.release.set()
        await client.aclose()
        harness.db.close()


def test_a_failed_poll_is_logged_by_its_kind_and_sms_id_never_its_text(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """The retry line printed the error's `repr`, SMS text and codes included, at ERROR."""
    refused = UnicodeEncodeError("utf-8", "your code 734219 \ud800", 17, 18, "no")
    record_failure(harness, refused)
    record_failure(harness, SmsNotStored(48213377, "sqlite3.DataError"))
    lines = [r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG]
    assert lines == [
        "poll failed: UnicodeEncodeError; next try in 60 s",
        "poll failed: state.models.SmsNotStored, SMS 48213377; next try in 60 s",
    ]


def test_a_notice_of_sms_kept_aside_names_ten_at_most() -> None:
    text = kept_aside_text(list(range(1, 1001)))
    assert "SMS 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 … +990 could not be stored" in text
    assert len(text) < 400


async def test_a_few_sms_get_a_line_each_and_a_catch_up_one_line_a_page(
    harness: Harness, smsc: FakeSmsc, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.intake.poller")
    mark_initialized(harness, hours_ago=1)
    few = [smsc.add_sms(f"door {n}") for n in range(3)]
    await harness.poller.poll_once()
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert [line.split(",")[0] for line in lines if line.startswith("fetched")] == [
        f"fetched SMS {sms_id}" for sms_id in few
    ]
    caplog.clear()
    many = [smsc.add_sms(f"alarm {n}") for n in range(LINE_PER_SMS_UP_TO + 5)]
    await harness.poller.poll_once()
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert [line for line in lines if line.startswith("fetched")] == [
        f"fetched {len(many)} SMS, IDs {many[0]} to {many[-1]}"
    ]
    assert len(harness.pending_ids()) == len(few) + len(many)  # each stored all the same
