"""Storing SMS, each once, and looking them up: by ID, how many, the newest.

The database is the truth. The poll cursor is derived from it (`state.markers`), and an
SMS, its delivery rows and the chats whose history shows it are committed in one
transaction before anything is sent (`save_incoming`).

One SMS never costs the others: a page is stored in one transaction and, should the
database refuse it for one record's sake (`refuses_the_record`), again one SMS at a time,
each refused one kept aside (`kept_aside`: its raw form and why) and the others stored.
The cursor counts the IDs kept aside, so polling moves past them.

With a retention (`keep_for`, RETENTION_DAYS) an SMS received longer ago than that when
it is fetched, and that no chat is to be sent (the first start's history, an SMS a route
drops), is never stored: storing it and leaving it to the next purge would keep it,
searchable, for up to a day, whatever order the start-up's steps run in. One that a chat
is still to get is stored and relayed all the same (a lost SMS is worse than an old one),
and the next purge takes it once every chat has it. The ID of one not stored still counts
for the cursor (the `cursor_floor` marker), as if it had been stored and purged, so it is
not fetched again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from state.markers import raise_cursor_floor
from state.models import (
    DeliveryStatus,
    IncomingSms,
    KeptAside,
    Placement,
    Saved,
    SmsNotStored,
    StoredSms,
)
from state.phones import DEFAULT_REGION, sender_key
from state.schema import chat_tokens, status_literal
from state.store import Store
from state.times import from_db, to_db, utc_now

_IN_CHUNK = 500  # stay well under SQLite's host-parameter limit
BULK_PAGE = 1000  # new SMS a page holds at least when a catch-up writes it: Store.transaction(bulk)
SMS_COLUMNS = (
    "m.id, m.sender, m.recipient, m.text, m.received_at, m.sent_at, m.fetched_at, m.label, "
    "m.damaged"
)
SMS_WIDTH = 9  # how many values SMS_COLUMNS selects


# Where new SMS go: target keys to queue every one of them for, or a Placement for each.
Where = Sequence[str] | Callable[[IncomingSms], Placement]


def sms_from_row(row: Sequence[Any]) -> StoredSms:
    """A row of SMS_COLUMNS as a StoredSms. Its fields by position, in their order: by
    keyword, 2,000 rows of an answer took twice as long (5.2 ms against 2.8)."""
    return StoredSms(
        row[0],  # smsc_id
        row[1],  # sender
        row[2],  # recipient
        row[3],  # text
        from_db(row[4]),  # received_at
        from_db(row[5]) if row[5] else None,  # sent_at
        from_db(row[6]),  # fetched_at
        row[7],  # label
        bool(row[8]),  # damaged
    )


def _chunks(items: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _marks(items: Sequence[object]) -> str:
    return ",".join("?" * len(items))


INSERT_MESSAGE = (
    "INSERT INTO messages (id, sender, sender_key, recipient, text, received_at, sent_at, "
    "fetched_at, route, label, damaged, chats) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# The full-text index of new SMS, written with them for the whole page (no trigger does
# it): the text, and the tokens of the chats whose history shows it, from the page's
# stored rows (`index_page`), each found by its ID (CROSS JOIN keeps that order: never a
# walk of every stored SMS).
INDEX_PAGE = (
    "INSERT INTO messages_fts (rowid, text, chats) SELECT m.id, m.text, m.chats "
    "FROM json_each(?) AS page CROSS JOIN messages m ON m.id = page.value"
)
INSERT_DELIVERY = (
    "INSERT INTO deliveries (message_id, chat, silent, status, attempts, uncertain, "
    f"created_at, updated_at) VALUES (?, ?, ?, {status_literal(DeliveryStatus.PENDING)}, "
    "0, 0, ?, ?)"
)
INSERT_QUIET = "INSERT OR IGNORE INTO quiet_deliveries (message_id, chat, hours) VALUES (?, ?, ?)"
INSERT_COLLAPSE = (
    "INSERT OR IGNORE INTO collapse_deliveries (message_id, chat, seconds) VALUES (?, ?, ?)"
)
INSERT_VISIBLE = (
    "INSERT OR IGNORE INTO message_chats (chat_id, received_at, message_id) VALUES (?, ?, ?)"
)
_RECEIVED_AT = 5  # where message_row puts it


def message_row(
    sms: IncomingSms,
    fetched_at: str,
    route: str | None = None,
    label: str | None = None,
    region: str = DEFAULT_REGION,
    visible_to: tuple[str, ...] = (),
) -> tuple[object, ...]:
    """An SMS as the values of INSERT_MESSAGE, its sender keyed as SMSC wrote it, with the
    chats whose history shows it (`visible_to`) as the index's tokens."""
    return (
        sms.smsc_id,
        sms.sender,
        sender_key(sms.sender, region),
        sms.recipient,
        sms.text,
        to_db(sms.received_at),
        to_db(sms.sent_at) if sms.sent_at else None,
        fetched_at,
        route,
        label,
        int(sms.damaged),
        chat_tokens(visible_to),
    )


def index_page(conn: sqlite3.Connection, ids: Iterable[object]) -> None:
    """Index the text of the SMS of `ids`, stored in this transaction, in one statement
    (their IDs its one parameter, as a JSON list): SQLite reads the rows back itself, and
    holds no lock of the interpreter's from start to end (see `_insert_new`)."""
    conn.execute(INDEX_PAGE, (json.dumps(list(ids)),))


def refuses_the_record(error: BaseException) -> bool:
    """Whether storing failed for the SMS's own sake, so that it alone is kept aside.

    A constraint or trigger (IntegrityError), a value SQLite will not take (DataError), a
    value that cannot be bound or encoded (InterfaceError, a lone surrogate's
    UnicodeEncodeError, a number too large) is about one record. A locked, full, read-only
    or broken database (OperationalError and the rest) would refuse any record alike: the
    page is then retried as a whole, and nothing is put aside for it.
    """
    if isinstance(error, sqlite3.IntegrityError | sqlite3.DataError | sqlite3.InterfaceError):
        return True
    return not isinstance(error, sqlite3.Error) and isinstance(
        error, ValueError | TypeError | OverflowError
    )


REASON_LENGTH = 300  # of SQLite's words kept with an SMS kept aside


def raw_form(sms: IncomingSms) -> str:
    """An SMS as read, in JSON with every non-ASCII character escaped: always storable."""
    return json.dumps(
        {
            "id": sms.smsc_id,
            "phone": sms.sender,
            "to_phone": sms.recipient,
            "message": sms.text,
            "received": to_db(sms.received_at),
            "sent": to_db(sms.sent_at) if sms.sent_at else None,
            "damaged": sms.damaged,
        },
        ensure_ascii=True,
    )


def error_kind(error: BaseException) -> str:
    """An error as its kind alone (`sqlite3.IntegrityError`): its words may quote the SMS."""
    kind = type(error)
    module = "" if kind.__module__ == "builtins" else kind.__module__ + "."
    return module + kind.__qualname__


def _reason(error: BaseException) -> str:
    """The kind of error and its words, ASCII, bounded: for the kept-aside row."""
    words = str(error).encode("ascii", "backslashreplace").decode("ascii")
    return f"{error_kind(error)}: {words}"[:REASON_LENGTH]


def _placer(where: Where) -> Callable[[IncomingSms], Placement]:
    """A Placement for each new SMS; a list of target keys means: each of them, no sound."""
    if callable(where):
        return where
    everywhere = Placement(tuple((key, False) for key in where))
    return lambda sms: everywhere


def unseen(store: Store, batch: Iterable[IncomingSms]) -> list[IncomingSms]:
    """The SMS of `batch` neither stored nor kept aside, each once, in order: those
    the poller must route before `save_incoming`."""
    unique: dict[int, IncomingSms] = {}
    for sms in batch:
        unique.setdefault(sms.smsc_id, sms)
    _forget_known(store, unique)
    return list(unique.values())


def save_incoming(
    store: Store,
    batch: Iterable[IncomingSms],
    where: Where,
    fetched_at: datetime | None = None,
    sqlite_alone: Callable[[], object] | None = None,
) -> Saved:
    """Store the SMS not seen before, each queued and made visible as `where` says.

    `where` is a list of target keys (every new SMS queued for each of them) or a
    function giving each new SMS its `Placement`: deliveries with their silent flag,
    the chats whose history shows it, its route and label. It is asked before the
    write transaction begins, so a slow placement never holds the write lock. Then
    everything is written in one transaction. SMS already stored (or kept aside) are
    left as they are and get no new delivery rows, so fetching the same SMS twice
    never relays it twice (and a changed placement never moves an SMS already queued).

    Should the database refuse the page for one record's sake, each SMS is written in
    a transaction of its own, and each one refused is kept aside: the others are
    stored all the same. A failure of the database itself is raised.
    SMS received before `fetched_at - keep_for` that no chat is to get are not stored:
    `too_old` names them, and their largest ID moves the cursor.

    `sqlite_alone` is called when what is left of the page's transaction is SQLite's
    alone, with no lock of the interpreter's held (the text index filled from the
    stored rows, the commit), so that a caller may do Python's work meanwhile; the page
    may still fail after it.
    """
    unique: dict[int, IncomingSms] = {}
    for sms in batch:
        unique.setdefault(sms.smsc_id, sms)
    _forget_known(store, unique)  # a read: this connection is the only writer of SMS
    if not unique:
        return Saved([], [], [])
    moment = fetched_at or utc_now()
    place = _placer(where)
    placed, too_old = _without_too_old(
        store, [(sms, place(sms)) for sms in unique.values()], moment
    )
    now = to_db(moment)
    try:
        with page_transaction(store, len(placed)):
            raise_cursor_floor(store, too_old)
            _insert_new(store, placed, now, sqlite_alone)
    except Exception as error:
        if not refuses_the_record(error):
            raise
        saved = _save_one_at_a_time(store, placed, now)
        with store.transaction():
            raise_cursor_floor(store, too_old)
        return Saved(saved.stored, saved.kept_aside, too_old)
    return Saved([sms.smsc_id for sms, _placement in placed], [], too_old)


def page_transaction(store: Store, new_sms: int) -> AbstractContextManager[None]:
    """The write transaction of a page of `new_sms` SMS: a bulk one (Store.transaction)
    when it holds BULK_PAGE or more, as a catch-up's pages do."""
    return store.transaction(bulk=new_sms >= BULK_PAGE)


def _without_too_old(
    store: Store, placed: list[tuple[IncomingSms, Placement]], now: datetime
) -> tuple[list[tuple[IncomingSms, Placement]], list[int]]:
    """`placed` less the SMS received before the retention's cutoff that no chat is to
    get, and those SMS's IDs, in order. One a chat is to get is kept: the purge takes
    it once every chat has it."""
    if store.keep_for is None:
        return placed, []
    cutoff = now - store.keep_for
    kept = [(s, p) for s, p in placed if s.received_at >= cutoff or p.deliveries]
    too_old = sorted(s.smsc_id for s, p in placed if s.received_at < cutoff and not p.deliveries)
    return kept, too_old


def _save_one_at_a_time(
    store: Store, placed: list[tuple[IncomingSms, Placement]], now: str
) -> Saved:
    """Each SMS in a transaction of its own; each one refused kept aside."""
    saved = Saved([], [])
    for sms, placement in placed:
        try:
            with store.transaction():
                _insert_new(store, [(sms, placement)], now)
        except Exception as error:
            if not refuses_the_record(error):
                raise
            saved.kept_aside.append(_keep_aside(store, sms, error, now))
        else:
            saved.stored.append(sms.smsc_id)
    return saved


def _keep_aside(store: Store, sms: IncomingSms, refusal: BaseException, now: str) -> KeptAside:
    """Write a refused SMS's raw form and the reason in `kept_aside`."""
    try:
        with store.transaction():
            store.conn.execute(
                "INSERT OR IGNORE INTO kept_aside (smsc_id, raw, reason, kept_at) "
                "VALUES (?, ?, ?, ?)",
                (sms.smsc_id, raw_form(sms), _reason(refusal), now),
            )
    except Exception as failure:
        raise SmsNotStored(sms.smsc_id, error_kind(failure)) from failure
    return KeptAside(sms.smsc_id, error_kind(refusal))


def _forget_known(store: Store, unique: dict[int, IncomingSms]) -> None:
    """Drop from `unique` the SMS already stored or kept aside."""
    ids = list(unique)
    for table, key in (("messages", "id"), ("kept_aside", "smsc_id")):
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            for (known,) in store.conn.execute(
                f"SELECT {key} FROM {table} WHERE {key} IN ({marks})", chunk
            ):
                unique.pop(known, None)


def _insert_new(
    store: Store,
    placed: list[tuple[IncomingSms, Placement]],
    now: str,
    sqlite_alone: Callable[[], object] | None = None,
) -> None:
    """Write new SMS, their deliveries and visibility rows, then their text index.

    The rows go by `executemany`, which lets go of the interpreter's lock and takes it
    back at every row (Python must not run beside it: the two threads would trade the
    lock at each row, docs/benchmarks.md). The index is filled last, from the rows just
    written, in one statement that holds no lock of the interpreter's from start to end:
    for a catch-up's page of 5,000 SMS some 50 ms of SQLite's work that Python's (the
    next page read and routed) runs beside, as it does beside the commit.
    """
    new = [sms for sms, _placement in placed]
    placements = [placement for _sms, placement in placed]
    rows = [
        message_row(s, now, p.route, p.label, store.region, p.visible_to)
        for s, p in zip(new, placements, strict=True)
    ]
    store.conn.executemany(INSERT_MESSAGE, rows)
    store.conn.executemany(
        INSERT_DELIVERY,
        [
            (s.smsc_id, key, silent, now, now)
            for s, p in zip(new, placements, strict=True)
            for key, silent in p.deliveries
        ],
    )
    store.conn.executemany(
        INSERT_QUIET,
        [
            (s.smsc_id, key, hours)
            for s, p in zip(new, placements, strict=True)
            for key, hours in p.quiet
        ],
    )
    store.conn.executemany(
        INSERT_COLLAPSE,
        [
            (s.smsc_id, key, seconds)
            for s, p in zip(new, placements, strict=True)
            for key, seconds in p.collapse
        ],
    )
    store.conn.executemany(
        INSERT_VISIBLE,
        [
            (chat, row[_RECEIVED_AT], row[0])
            for row, p in zip(rows, placements, strict=True)
            for chat in p.visible_to
        ],
    )
    numbers = {s.recipient for s in new if s.recipient}
    store.conn.executemany(
        "INSERT OR IGNORE INTO receiving_numbers (number) VALUES (?)",
        [(number,) for number in numbers],
    )
    if sqlite_alone is not None:
        sqlite_alone()
    index_page(store.conn, [sms.smsc_id for sms in new])


def count_kept_aside(store: Store) -> int:
    """How many SMS the database refused and keeps aside."""
    return int(store.conn.execute("SELECT count(*) FROM kept_aside").fetchone()[0])


def receiving_numbers(store: Store) -> int:
    """How many of the account's numbers have received an SMS."""
    return int(store.conn.execute("SELECT count(*) FROM receiving_numbers").fetchone()[0])


def count_messages(store: Store) -> int:
    return int(store.conn.execute("SELECT count(*) FROM messages").fetchone()[0])


def last_received_at(store: Store) -> datetime | None:
    """When the newest SMS was received (by the received index: no scan)."""
    (newest,) = store.conn.execute("SELECT max(received_at) FROM messages").fetchone()
    return None if newest is None else from_db(newest)


def sms_by_id(store: Store, ids: Sequence[int]) -> list[StoredSms]:
    """The stored SMS of `ids`, in ID order (those not kept are absent)."""
    found: list[StoredSms] = []
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = list(ids[start : start + _IN_CHUNK])
        rows = store.conn.execute(
            f"SELECT {SMS_COLUMNS} FROM messages m WHERE m.id IN ({_marks(chunk)})", chunk
        )
        found += [sms_from_row(row) for row in rows]
    return sorted(found, key=lambda sms: sms.smsc_id)
