"""The rows of an export: every SMS of a window, streamed from a cursor, oldest first.

An export may cover a million SMS, so nothing here builds a list: each source is a
generator over one query, walking the received index in time order, and the sources are
merged by time (`heapq.merge` reads one row ahead of each). Incoming SMS are the one
source today; another kind of row (an SMS the bridge sent, say) is one more ordered
generator in `export_rows`.

Run it on a snapshot (`Store.open_snapshot`) in a thread of its own: the walk takes
seconds for a large window, and the bridge's store must not wait for it.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import datetime
from typing import NamedTuple

from state.store import Store
from state.times import from_db, to_db, to_db_end

INCOMING = "in"


class ExportRow(NamedTuple):
    """One SMS as an export lists it (a NamedTuple: cheap to make a million of)."""

    at: datetime  # received (incoming), UTC
    direction: str  # INCOMING, or "out"
    sender: str
    recipient: str  # the receiving number of an incoming SMS
    label: str  # the route label; empty where there is none
    text: str
    taken_by: str | None
    taken_at: datetime | None
    smsc_id: int


def incoming_rows(
    store: Store, start: datetime, end: datetime, visible_to: str | None = None
) -> Iterator[ExportRow]:
    """Incoming SMS received in [start, end), oldest first, with who took each.

    `visible_to`: which chat's view (routes); None = every SMS.
    """
    cursor = store.conn.execute(
        "SELECT m.received_at, m.sender, m.recipient, m.text, t.user_name, t.taken_at, m.id "
        "FROM messages m LEFT JOIN takes t ON t.message_id = m.id "
        "WHERE m.received_at >= ? AND m.received_at < ? ORDER BY m.received_at, m.id",
        (to_db(start), to_db_end(end)),
    )
    for received, sender, recipient, text, taken_by, taken_at, smsc_id in cursor:
        yield ExportRow(
            from_db(received),
            INCOMING,
            sender,
            recipient,
            "",
            text,
            taken_by,
            from_db(taken_at) if taken_at else None,
            smsc_id,
        )


def export_rows(
    store: Store, start: datetime, end: datetime, visible_to: str | None = None
) -> Iterator[ExportRow]:
    """Every SMS of [start, end), of every source, in time order.

    `visible_to`: which chat's view (routes); None = every SMS.
    """
    sources = [incoming_rows(store, start, end, visible_to)]
    return heapq.merge(*sources, key=lambda row: row.at)


def count_rows(store: Store, start: datetime, end: datetime, visible_to: str | None = None) -> int:
    """How many rows `export_rows` gives for the window (by the received index).

    `visible_to`: which chat's view (routes); None = every SMS.
    """
    (count,) = store.conn.execute(
        "SELECT count(*) FROM messages m WHERE m.received_at >= ? AND m.received_at < ?",
        (to_db(start), to_db_end(end)),
    ).fetchone()
    return int(count)
