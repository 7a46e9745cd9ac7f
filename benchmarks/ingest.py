"""Ingest: SMS per second through reply parsing and storing, against raw executemany.

The bridge's path: each page of SMSC JSON is parsed and validated (`parse_inbox_reply`),
each new SMS is given its place by the router (`Router.placement`, as the poller does)
and stored with its delivery and visibility rows (`messages.save_incoming`, one
transaction per page). The baseline: `sqlite3` `executemany` of the same, already-built
rows into a database with the same schema, pragmas and full-text index (written a page at
a time, as the bridge writes it), one transaction per page, with no parsing and no
routing at all. Then both again with every record already stored (dedup): the bridge
looks the IDs up and inserts nothing; the baseline runs `INSERT OR IGNORE`. Last, the
same with a routes file of 20 routes (numbers, senders and regular expressions), against
the raw insert of the rows those routes produce.
"""

from __future__ import annotations

import functools
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import CHATS, MOSCOW, Result, inbox_records, pages
from bot.routing.routes import Router, load_routes
from bot.routing.targets import ChatTarget
from bot.smsc import parse_inbox_reply
from state import IncomingSms, Store, messages
from state.messages import (
    INSERT_DELIVERY,
    INSERT_MESSAGE,
    INSERT_VISIBLE,
    index_page,
    message_row,
)
from state.times import to_db

Rows = list[tuple[object, ...]]
Batch = tuple[Rows, Rows, Rows]  # messages, deliveries, visibility rows of one page
Timing = tuple[float, float]  # seconds: the bridge, raw executemany

# Twenty routes as a busy account might have them: lines by receiving number, senders,
# and regular expressions over the text; most SMS of the benchmark are tried against all.
ROUTES_20 = "\n".join(
    [
        *(
            f'[[route]]\nname = "line {n}"\nto = ["7903000000{n}"]\nchats = ["-1004"]\n'
            f'label = "Line {n}"\n'
            for n in range(1, 6)
        ),
        *(
            f'[[route]]\nname = "vip {n}"\nfrom = ["+7 (900) 000-0{n}-00", "Vip{n}"]\n'
            f'chats = ["-1005"]\n'
            for n in range(1, 6)
        ),
        '[[route]]\nfrom = ["900", "MegaFon"]\ntext = "(?i)balance|баланс"\ndrop = true\n',
        '[[route]]\ntext = "(?i)\\\\bups\\\\b.*on battery"\nchats = ["-1004"]\nsilent = true\n'
        "continue = true\n",
        '[[route]]\ntext = "(?i)door \\\\d+ opened"\nchats = ["-1005"]\n',
        '[[route]]\ntext = "Оплата [\\\\d ]+,\\\\d\\\\d RUB"\nchats = ["-1004"]\ndrop = false\n',
        '[[route]]\ntext = "(?i)invoice|счёт|счет"\nchats = ["-1005"]\nlabel = "Billing"\n',
        '[[route]]\ntext = "(?i)температура \\\\d+ C"\nchats = ["-1001"]\nsilent = true\n',
        '[[route]]\ntext = "(?i)(?:SPB|EKB)-\\\\d: boiler"\nchats = ["-1002"]\n',
        '[[route]]\ntext = "(?i)pressure \\\\d+\\\\.\\\\d bar"\nchats = ["-1003:42"]\n',
        '[[route]]\ntext = "\\\\b\\\\d{4,8}\\\\b.*(?i:code|код)"\nchats = ["-1001"]\n',
        '[[route]]\nto = ["79031234567"]\ntext = "(?i)заказ|order"\nchats = ["-1002"]\n',
    ]
)


def _records(body: bytes) -> list[IncomingSms]:
    return parse_inbox_reply(body, MOSCOW, datetime.now(UTC)).records


def _bridge_pass(store: Store, bodies: list[bytes], router: Router) -> float:
    place = functools.partial(router.placement, relay=True)  # as the poller places new SMS
    started = time.perf_counter()
    for body in bodies:
        messages.save_incoming(store, _records(body), place)
    return time.perf_counter() - started


def _raw_rows(bodies: list[bytes], router: Router) -> list[Batch]:
    """The rows the bridge writes for each page, built ahead (not timed)."""
    now = to_db(datetime.now(UTC))
    batches = []
    for body in bodies:
        message_rows: Rows = []
        deliveries: Rows = []
        visible: Rows = []
        for sms in _records(body):
            place = router.placement(sms, relay=True)
            row = message_row(sms, now, place.route, place.label, visible_to=place.visible_to)
            message_rows.append(row)
            deliveries += [(sms.smsc_id, key, silent, now, now) for key, silent in place.deliveries]
            visible += [(chat, row[5], sms.smsc_id) for chat in place.visible_to]
        batches.append((message_rows, deliveries, visible))
    return batches


def _raw_pass(store: Store, batches: list[Batch], or_ignore: str) -> float:
    conn = store.conn
    inserts = [
        INSERT_MESSAGE.replace("INSERT", f"INSERT {or_ignore}"),
        INSERT_DELIVERY.replace("INSERT", f"INSERT {or_ignore}"),
        INSERT_VISIBLE,  # already INSERT OR IGNORE
    ]
    started = time.perf_counter()
    for batch in batches:
        conn.execute("BEGIN IMMEDIATE")
        for sql, rows in zip(inserts, batch, strict=True):
            conn.executemany(sql, rows)
        if not or_ignore:  # new rows: their full-text index too, a page at a time as stored
            index_page(conn, [row[0] for row in batch[0]])
        conn.execute("COMMIT")
    return time.perf_counter() - started


def _ratio_rows(label: str, count: int, bridge_s: float, raw_s: float, how: str) -> list[Result]:
    ratio = raw_s / bridge_s
    return [
        Result("ingest", f"{label}: bridge", count / bridge_s, "SMS/s", how=how),
        Result("ingest", f"{label}: raw executemany", count / raw_s, "SMS/s", how=how),
        Result(
            "ingest",
            f"{label}: bridge / raw speed",
            ratio,
            "x",
            target=">= 0.5",
            met=ratio >= 0.5,
            how=how,
        ),
    ]


def _measure(folder: Path, name: str, bodies: list[bytes], router: Router) -> dict[str, Timing]:
    """(bridge, raw) seconds for new SMS, and for the same again (dedup) without routes."""
    count = sum(len(_records(body)) for body in bodies)
    batches = _raw_rows(bodies, router)
    bridge_store = Store.open(folder / f"bridge-{name}.db")
    raw_store = Store.open(folder / f"raw-{name}.db")
    timings = {
        name: (_bridge_pass(bridge_store, bodies, router), _raw_pass(raw_store, batches, ""))
    }
    if not router.routes:
        again = (
            _bridge_pass(bridge_store, bodies, router),
            _raw_pass(raw_store, batches, "OR IGNORE"),
        )
        timings["dedup"] = again
    assert messages.count_messages(bridge_store) == messages.count_messages(raw_store) == count
    bridge_store.close()
    raw_store.close()
    return timings


def run(count: int) -> list[Result]:
    rng = random.Random(20261127)
    bodies = pages(inbox_records(count, rng, span_days=7))
    targets = [ChatTarget.parse(chat) for chat in CHATS]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "routes.toml").write_text(ROUTES_20, "utf-8")
        routed = Router(load_routes(folder / "routes.toml"), targets)
        assert len(routed.routes) == 20
        timings = _measure(folder, "new", bodies, Router((), targets))
        timings |= _measure(folder, "20 routes", bodies, routed)
    how = (
        f"{count:,} records in {len(bodies)} SMSC JSON pages of 1,000, 3 chats; "
        "bridge = parse + validate + route + messages.save_incoming per page; raw = sqlite3 "
        "executemany of the prebuilt message, delivery and visibility rows, same schema, "
        "pragmas (WAL, synchronous=FULL) and full-text index, one transaction per page; "
        "'20 routes' = a routes file of 5 receiving numbers, 5 sender lists and 10 regular "
        "expressions"
    )
    results = []
    for label in ("new", "dedup", "20 routes"):
        results += _ratio_rows(label, count, *timings[label], how)
    return results
