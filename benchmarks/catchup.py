"""Catch-up: the real `sms-bridge run` storing a full inbox, measured from outside.

A first start with SMSC holding N SMS of the last day: the bridge pages through them
(`get_answers`, `after_id` cursor, as it always does), parses, routes (a routes file of 20
routes), stores and indexes each page. Timed from the process's start to its log line
"first start: N SMS stored as history", with the inbox requests counted and the peak
memory (`VmHWM`) read at the end. Against it: raw `sqlite3` `executemany` of the same rows
(messages with their full-text index, visibility) into the same schema, one transaction
per page of the same size, with nothing parsed or routed.

The SMSC here is a small server of its own, not `tests.fakes.smsc` (which re-sorts its
whole inbox for every request: fine for tests, minutes for a million): the records are
kept sorted with their JSON made once, and a page is a slice found by bisection.
"""

from __future__ import annotations

import bisect
import json
import random
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from benchmarks.common import MOSCOW, Result, inbox_records
from benchmarks.ingest import ROUTES_20
from benchmarks.memory import rss_mb
from bot.routing.routes import Router, load_routes
from bot.routing.targets import ChatTarget
from bot.smsc import parse_inbox_reply
from bot.smsc.inbox_api import PAGE_SIZE
from state import Store, first_fill
from state.messages import (
    INSERT_MESSAGE,
    INSERT_VISIBLE,
    index_page,
    message_row,
    page_transaction,
)
from state.times import to_db
from tests.fakes.bridge import BridgeProcess, bridge_settings
from tests.fakes.smsc import LOGIN, PASSWORD
from tests.fakes.telegram import FakeTelegram

CHATS = "-1001,-1002,-1003:42"
TARGET_SECONDS = 60.0  # for 1,000,000 SMS (issue 21)
TARGET_MB = 120.0


class BulkInbox:
    """An SMSC inbox of many SMS served from memory: `get_answers` pages only."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self._ids = [int(r["id"]) for r in records]
        self._json = [json.dumps(r, ensure_ascii=False).encode("utf-8") for r in records]
        self.requests = 0
        self.first_request_at: float | None = None  # time.monotonic() of the first page asked
        self._server: ThreadingHTTPServer | None = None

    def page(self, after_id: int, count: int) -> bytes:
        start = bisect.bisect_right(self._ids, after_id)
        return b"[" + b",".join(self._json[start : start + count]) + b"]"

    def start(self) -> BulkInbox:
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode("utf-8")))
                form.update(parse_qsl(urlsplit(self.path).query))
                self._answer(form)

            def do_GET(self) -> None:
                self._answer(dict(parse_qsl(urlsplit(self.path).query)))

            def _answer(self, form: dict[str, str]) -> None:
                if form.get("login") != LOGIN or form.get("psw") != PASSWORD:
                    body = b'{"error": "authorise error", "error_code": 2}'
                else:
                    inbox.requests += 1
                    if inbox.first_request_at is None:
                        inbox.first_request_at = time.monotonic()
                    body = inbox.page(int(form.get("after_id") or 0), int(form.get("cnt") or 100))
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"


def _bridge_catch_up(folder: Path, inbox: BulkInbox, count: int) -> tuple[float, float, float]:
    """Seconds from start to the whole inbox stored, of them the start until the first
    inbox request, and the peak memory in MB."""
    telegram = FakeTelegram().start()
    (folder / "routes.toml").write_text(ROUTES_20, "utf-8")
    env = bridge_settings(
        inbox,  # type: ignore[arg-type]  # it has the `url` the settings read
        telegram,
        folder / "bridge.db",
        TELEGRAM_CHAT_IDS=CHATS,
        ROUTES_FILE=str(folder / "routes.toml"),
        LOG_LEVEL="INFO",
    )
    bridge = BridgeProcess(folder, env, "catchup")
    started = time.monotonic()
    bridge.start()
    try:
        bridge.wait_for_log(rf"first start: {count} SMS stored as history", timeout=1800)
        seconds = time.monotonic() - started
        assert bridge.process is not None and inbox.first_request_at is not None
        peak = rss_mb(bridge.process.pid)["VmHWM"]
    finally:
        bridge.kill()
        telegram.stop()
    return seconds, inbox.first_request_at - started, peak


Rows = list[tuple[object, ...]]
RawPage = tuple[Rows, Rows]  # a page's message rows and visibility rows


def raw_pages(bodies: list[bytes], router: Router) -> list[RawPage]:
    """The rows the bridge writes for each page of a first start, built ahead."""
    now = to_db(datetime.now(UTC))
    pages = []
    for body in bodies:
        records = parse_inbox_reply(body, MOSCOW, datetime.now(UTC)).records
        rows: Rows = []
        visible: Rows = []
        for sms in records:
            place = router.placement(sms, relay=False)
            row = message_row(sms, now, place.route, place.label, visible_to=place.visible_to)
            rows.append(row)
            visible += [(chat, row[5], sms.smsc_id) for chat in place.visible_to]
        pages.append((rows, visible))
    return pages


def store_raw_page(store: Store, page: RawPage, index_text: bool = True) -> None:
    """One page's rows by raw executemany, in one transaction, as the bridge writes a page
    (its text indexed by the bridge's one statement)."""
    rows, visible = page
    with page_transaction(store, len(rows)):
        store.conn.executemany(INSERT_MESSAGE, rows)
        store.conn.executemany(INSERT_VISIBLE, visible)
        if index_text:
            index_page(store.conn, [row[0] for row in rows])


def store_raw(
    path: Path,
    pages: list[RawPage],
    change: Callable[[sqlite3.Connection], object] | None = None,
    index_text: bool = True,
) -> float:
    """Seconds for raw executemany of `pages` into a new store at `path`, a transaction
    a page, the index by sender built at the end as a first start does (state.first_fill);
    `change` alters the schema first (benchmarks.storing_floor)."""
    store = Store.open(path)
    if change is not None:
        change(store.conn)
    started = time.perf_counter()
    filling = first_fill.begin(store)
    for page in pages:
        store_raw_page(store, page, index_text)
    if filling:
        first_fill.end(store)
    seconds = time.perf_counter() - started
    store.close()
    return seconds


def run(count: int) -> list[Result]:
    rng = random.Random(20261203)
    records = inbox_records(count, rng, span_days=0.9)  # inside the first start's 24 hours
    inbox = BulkInbox(records).start()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        try:
            seconds, start_up, peak = _bridge_catch_up(folder, inbox, count)
        finally:
            inbox.stop()
        (folder / "routes.toml").write_text(ROUTES_20, "utf-8")
        targets = [ChatTarget.parse(chat) for chat in CHATS.split(",")]
        router = Router(load_routes(folder / "routes.toml"), targets)
        bodies = [inbox.page(records[i]["id"] - 1, PAGE_SIZE) for i in range(0, count, PAGE_SIZE)]
        raw = store_raw(folder / "raw.db", raw_pages(bodies, router))
    # The start (imports, settings, the store opened) comes once, whatever the count.
    scaled = start_up + (seconds - start_up) * 1_000_000 / count
    how = (
        f"real `sms-bridge run`, first start, {count:,} SMS of the last day served by a bulk "
        f"SMSC inbox on 127.0.0.1, routes file of 20 routes, 3 chats; start to 'stored as "
        f"history' (scaled: the start to the first inbox request, {start_up:.1f} s, once, "
        f"the rest x 1,000,000 / {count:,}); raw = sqlite3 executemany of the same message "
        f"and visibility rows in pages of {PAGE_SIZE:,} (the bridge's), same schema, the "
        f"text index filled by the bridge's one statement a page (messages.index_page)"
    )
    return [
        Result("catch-up", f"{count:,} SMS stored", seconds, "s", how=how),
        Result(
            "catch-up",
            "per 1,000,000 SMS (scaled)",
            scaled,
            "s",
            target=f"<= {TARGET_SECONDS:.0f}",
            met=scaled <= TARGET_SECONDS,
            how=how,
        ),
        Result("catch-up", "inbox requests", inbox.requests, "requests", how=how),
        Result("catch-up", "raw executemany of the same rows", raw, "s", how=how),
        Result(
            "catch-up", "bridge / raw speed", raw / seconds, "x", how=how, higher_is_better=True
        ),
        Result(
            "catch-up",
            "peak memory (VmHWM)",
            peak,
            "MB",
            target=f"< {TARGET_MB:.0f}",
            met=peak < TARGET_MB,
            how=how,
        ),
    ]
