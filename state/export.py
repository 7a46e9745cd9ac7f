"""The rows of an export: every SMS of a window, streamed from a cursor, oldest first.

An export may cover a million SMS, so nothing here builds a list: each source is a
generator over one query, walking the received index in time order, and the sources are
merged by time (`heapq.merge` reads one row ahead of each): the incoming SMS, and those
the bridge sent for a person (`state.outgoing`). With routes, a chat's export holds the
SMS routed to it and the SMS sent from it.

Run it on a snapshot (`Store.read_snapshot`) in a thread of its own: the walk takes
seconds for a large window, and the bridge's store must not wait for it.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import datetime
from typing import NamedTuple

from state.outgoing import WENT_OUT
from state.store import Store
from state.times import from_db, to_db, to_db_end

INCOMING = "in"
OUTGOING = "out"
_WENT_OUT = "state IN (" + ",".join(f"'{state.value}'" for state in WENT_OUT) + ")"


class ExportRow(NamedTuple):
    """One SMS as an export lists it (a NamedTuple: cheap to make a million of)."""

    at: datetime  # received (incoming) or sent (outgoing), UTC
    direction: str  # INCOMING or OUTGOING
    sender: str  # who sent it: a number or a name, or for an outgoing SMS the person
    recipient: str  # the receiving number of an incoming SMS; the number it went to
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
    columns = (
        "m.received_at, m.sender, m.recipient, coalesce(m.label, ''), m.text, t.user_name, "
        "t.taken_at, m.id"
    )
    window = (to_db(start), to_db_end(end))
    if visible_to is None:
        cursor = store.conn.execute(
            f"SELECT {columns} FROM messages m LEFT JOIN takes t ON t.message_id = m.id "
            "WHERE m.received_at >= ? AND m.received_at < ? ORDER BY m.received_at, m.id",
            window,
        )
    else:  # the chat's own rows, in time order, straight from its index range
        cursor = store.conn.execute(
            f"SELECT {columns} FROM message_chats c JOIN messages m ON m.id = c.message_id "
            "LEFT JOIN takes t ON t.message_id = m.id WHERE c.chat_id = ? "
            "AND c.received_at >= ? AND c.received_at < ? ORDER BY c.received_at, c.message_id",
            (visible_to, *window),
        )
    for received, sender, recipient, label, text, taken_by, taken_at, smsc_id in cursor:
        yield ExportRow(
            from_db(received),
            INCOMING,
            sender,
            recipient,
            label,
            text,
            taken_by,
            from_db(taken_at) if taken_at else None,
            smsc_id,
        )


def outgoing_rows(
    store: Store, start: datetime, end: datetime, visible_to: str | None = None
) -> Iterator[ExportRow]:
    """SMS the bridge sent (or may have sent) in [start, end), oldest first.

    `visible_to`: with routes, those sent from that chat; None = every one.
    """
    where, args = f"{_WENT_OUT} AND sent_at >= ? AND sent_at < ?", [to_db(start), to_db_end(end)]
    if visible_to is not None:
        where += " AND chat = ?"
        args.append(visible_to)
    cursor = store.conn.execute(
        f"SELECT sent_at, author_name, phone, text, coalesce(smsc_id, id) FROM outgoing "
        f"WHERE {where} ORDER BY sent_at, id",
        args,
    )
    for sent_at, author, phone, text, smsc_id in cursor:
        yield ExportRow(from_db(sent_at), OUTGOING, author, phone, "", text, None, None, smsc_id)


def export_rows(
    store: Store, start: datetime, end: datetime, visible_to: str | None = None
) -> Iterator[ExportRow]:
    """Every SMS of [start, end), of every source, in time order.

    `visible_to`: which chat's view (routes); None = every SMS.
    """
    sources = [
        incoming_rows(store, start, end, visible_to),
        outgoing_rows(store, start, end, visible_to),
    ]
    return heapq.merge(*sources, key=lambda row: row.at)


def count_rows(store: Store, start: datetime, end: datetime, visible_to: str | None = None) -> int:
    """How many rows `export_rows` gives for the window (by the received index).

    `visible_to`: which chat's view (routes); None = every SMS.
    """
    window = (to_db(start), to_db_end(end))
    if visible_to is None:
        (incoming,) = store.conn.execute(
            "SELECT count(*) FROM messages m WHERE m.received_at >= ? AND m.received_at < ?",
            window,
        ).fetchone()
    else:
        (incoming,) = store.conn.execute(
            "SELECT count(*) FROM message_chats WHERE chat_id = ? AND received_at >= ? "
            "AND received_at < ?",
            (visible_to, *window),
        ).fetchone()
    sent = sum(1 for _row in outgoing_rows(store, start, end, visible_to))
    return int(incoming) + sent
