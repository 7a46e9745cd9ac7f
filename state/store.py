"""The SQLite store: every SMS once, and the per-chat outbox that drives the relay.

The database is the truth. The poll cursor is derived from it (the largest SMSC ID), an
SMS, its delivery rows and the chats whose history shows it are committed in one
transaction before anything is sent, and a delivery is marked sent only after Telegram
answered with a message ID. A delivery handed to Telegram is first marked SENDING; if the
process dies before the answer is recorded, the next start finds it still SENDING, counts
it as *uncertain* (a duplicate is possible) and queues it again.

Statuses are `DeliveryStatus` values: bound as parameters where a query writes them, and
where a query selects by them, the partial indexes' own conditions from `state.schema`
(`OPEN_DELIVERY`, `FAILED_DELIVERY`), since SQLite uses a partial index only when the query
repeats its condition as literal text.

History queries take an optional chat (`visible_to`): with it they read only the SMS
placed in that chat's history, through its `message_chats` rows (one index range per
chat); without it they read every SMS, as before routes existed.

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

The store is synchronous and owns one connection; callers in async code run it on one
dedicated thread (see `bot.core.database`).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from state.files import create_private_file, make_private_folder, private_umask
from state.models import (
    ChatQueue,
    DeliveryStatus,
    IncomingSms,
    KeptAside,
    PendingDelivery,
    Placement,
    Saved,
    SmsNotStored,
    StoredSms,
)
from state.phones import DEFAULT_REGION, sender_key, typed_key
from state.schema import (
    FAILED_DELIVERY,
    OPEN_DELIVERY,
    UNCERTAIN_DELIVERY,
    migrate,
    status_literal,
)
from state.times import from_db, to_db, to_db_end, utc_now
from state.transactions import read_transaction, write_transaction

BUSY_TIMEOUT_MS = 3000  # another process holding the lock: wait this long, then raise
_IN_CHUNK = 500  # stay well under SQLite's host-parameter limit

COUNT_CAP = 10_000  # full-text matches counted at most; beyond, answers say "more than"
WINDOW_SEEK_LIMIT = 50_000  # windows up to this many SMS narrow a full-text search by ID
FIRST_START_DONE_KEY = "initialized_at"  # the meta key; databases in use carry this name
CURSOR_FLOOR_KEY = "cursor_floor"  # the largest ID of an SMS too old to store
SMS_COLUMNS = (
    "m.id, m.sender, m.recipient, m.text, m.received_at, m.sent_at, m.fetched_at, m.label, "
    "m.damaged"
)
SMS_WIDTH = 9  # how many values SMS_COLUMNS selects
# An SMS `m` that the chat bound to `?` may see: one look-up by the whole key.
_VISIBLE = (
    "EXISTS (SELECT 1 FROM message_chats v WHERE v.chat_id = ? "
    "AND v.received_at = m.received_at AND v.message_id = m.id)"
)
# The same for a full-text match `f`, by its ID alone: the message is not read.
_VISIBLE_MATCH = (
    "EXISTS (SELECT 1 FROM message_chats v WHERE v.chat_id = ? AND v.message_id = f.rowid)"
)
# One chat's SMS, driven by its visibility rows `v`: its history in received order.
VISIBLE_SOURCE = "message_chats v CROSS JOIN messages m ON m.id = v.message_id"
_NEWEST_FIRST = "m.received_at DESC, m.id DESC"
_VISIBLE_NEWEST_FIRST = "v.received_at DESC, v.message_id DESC"

# Where new SMS go: target keys to queue every one of them for, or a Placement for each.
Where = Sequence[str] | Callable[[IncomingSms], Placement]


@dataclass(frozen=True)
class Page:
    """A slice of a query's answer: the newest `limit` rows, oldest first, and the total."""

    messages: list[StoredSms]
    total: int
    total_is_lower_bound: bool = False  # counting stopped at COUNT_CAP: "more than total"

    @property
    def truncated(self) -> bool:
        return self.total > len(self.messages)


def sms_from_row(row: Sequence[Any]) -> StoredSms:
    return StoredSms(
        smsc_id=row[0],
        sender=row[1],
        recipient=row[2],
        text=row[3],
        received_at=from_db(row[4]),
        sent_at=from_db(row[5]) if row[5] else None,
        fetched_at=from_db(row[6]),
        label=row[7],
        damaged=bool(row[8]),
    )


def _chunks(items: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _visible(
    where: str, args: list[Any], visible_to: str | None, condition: str = _VISIBLE
) -> tuple[str, list[Any]]:
    """`where` narrowed to the SMS the chat `visible_to` may see (None: every SMS)."""
    if visible_to is None:
        return where, args
    return f"{where} AND {condition}", [*args, visible_to]


INSERT_MESSAGE = (
    "INSERT INTO messages (id, sender, sender_key, recipient, text, received_at, sent_at, "
    "fetched_at, route, label, damaged) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_DELIVERY = (
    "INSERT INTO deliveries (message_id, chat, silent, status, attempts, uncertain, "
    f"created_at, updated_at) VALUES (?, ?, ?, {status_literal(DeliveryStatus.PENDING)}, "
    "0, 0, ?, ?)"
)
INSERT_VISIBLE = (
    "INSERT OR IGNORE INTO message_chats (chat_id, received_at, message_id) VALUES (?, ?, ?)"
)
_RECEIVED_AT = 5  # where message_row puts received_at


def message_row(
    sms: IncomingSms,
    fetched_at: str,
    route: str | None = None,
    label: str | None = None,
    region: str = DEFAULT_REGION,
) -> tuple[object, ...]:
    """An SMS as the values of INSERT_MESSAGE, its sender keyed as SMSC wrote it."""
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
    )


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


_FTS_WORD = re.compile(r"\w+", re.UNICODE)


PREFIX_FROM = 3  # shorter words match whole: "1"* would match every number from 1


def fts_query(text: str) -> str | None:
    """User words as an FTS5 query: every word must match; words of 3+ letters as prefixes.

    Each word is quoted, so FTS operators typed by a user (`AND`, `*`, `"`, `NEAR`) are
    searched for as text instead of breaking the query. None when there is no word at all.
    """
    words = _FTS_WORD.findall(text)
    if not words:
        return None
    return " ".join(f'"{w}"*' if len(w) >= PREFIX_FROM else f'"{w}"' for w in words)


class Store:
    """The bridge's database. Not thread-safe: use it from one thread at a time.

    `region` (PHONE_REGION) is how numbers are read into keys (`state.phones`): senders
    as SMSC writes them when stored, numbers as people type them when looked up.
    """

    def __init__(
        self,
        db: Database,
        path: Path | None = None,
        region: str = DEFAULT_REGION,
        keep_for: timedelta | None = None,
    ) -> None:
        self.db = db
        self.conn: sqlite3.Connection = db.conn
        self.path = path  # the database file; None in memory
        self.region = region
        self.keep_for = keep_for  # RETENTION_DAYS: older SMS are never stored; None: all

    @classmethod
    def open(
        cls, path: Path | str, region: str = DEFAULT_REGION, keep_for: timedelta | None = None
    ) -> Store:
        """Open (creating the file and its folder if needed) and migrate to this release.

        What it creates is private to this user (see `state.files`): the folder 0700, the
        database and SQLite's `-wal` and `-shm` beside it 0600, whatever the umask.
        """
        path = Path(path)
        if str(path) == ":memory:":
            store = cls._connect(path, region)
        else:
            make_private_folder(path.parent)
            with private_umask():  # SQLite creates -wal and -shm while the store opens
                create_private_file(path)
                store = cls._connect(path, region)
        store.keep_for = keep_for
        return store

    @classmethod
    def _connect(cls, path: Path, region: str) -> Store:
        conn = sqlite3.connect(
            str(path),
            isolation_level=None,  # transactions are explicit: see transaction()
            check_same_thread=False,  # used from one dedicated thread, not the creating one
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
        if conn.execute("PRAGMA page_count").fetchone()[0] == 0:
            # A new file: freed pages can be handed back in small steps after a purge
            # (state.retention). Only an empty file takes this without a VACUUM.
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")  # a committed SMS survives power loss
        conn.execute("PRAGMA foreign_keys = ON")
        store = cls(Database(conn, execute_plugins=False), path, region)
        migrate(store.db)
        return store

    @classmethod
    def open_snapshot(cls, path: Path) -> Store:
        """A read-only Store on a connection of its own, for a long read (a report) on
        another thread. In WAL mode it neither blocks the bridge's writes nor waits for
        them, and one read transaction sees one moment of the database throughout."""
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro",
            uri=True,
            isolation_level=None,
            check_same_thread=False,
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
        conn.execute("PRAGMA query_only = ON")
        return cls(Database(conn, execute_plugins=False), path)

    @classmethod
    @contextmanager
    def read_snapshot(cls, path: Path) -> Iterator[Store]:
        """`open_snapshot` in one read transaction, closed at the end: a report's queries
        (counts, then the rows they count) agree with each other."""
        snapshot = cls.open_snapshot(path)
        try:
            with read_transaction(snapshot.conn):
                yield snapshot
        finally:
            snapshot.close()

    def close(self) -> None:
        self.conn.close()

    def transaction(self) -> AbstractContextManager[None]:
        """One write transaction (see state.transactions.write_transaction)."""
        return write_transaction(self.conn)

    # -- markers ---------------------------------------------------------------------

    def first_start_done_at(self) -> datetime | None:
        """When the first start's backfill finished; None until it has."""
        value = self._get_meta(FIRST_START_DONE_KEY)
        return None if value is None else from_db(value)

    def mark_first_start_done(self, at: datetime) -> None:
        self._set_meta(FIRST_START_DONE_KEY, to_db(at))

    def _get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # -- the poller's side -------------------------------------------------------------

    def max_smsc_id(self) -> int | None:
        """The poll cursor: the largest SMSC ID stored, kept aside, or of an SMS too old to
        store (each a look-up of its table's largest key)."""
        (stored,) = self.conn.execute("SELECT max(id) FROM messages").fetchone()
        (aside,) = self.conn.execute("SELECT max(smsc_id) FROM kept_aside").fetchone()
        floor = self._get_meta(CURSOR_FLOOR_KEY)
        known = [int(value) for value in (stored, aside, floor) if value is not None]
        return max(known, default=None)

    def count_kept_aside(self) -> int:
        """How many SMS the database refused and keeps aside."""
        return int(self.conn.execute("SELECT count(*) FROM kept_aside").fetchone()[0])

    def unseen(self, batch: Iterable[IncomingSms]) -> list[IncomingSms]:
        """The SMS of `batch` neither stored nor kept aside, each once, in order: those
        the poller must route before `save_incoming`."""
        unique: dict[int, IncomingSms] = {}
        for sms in batch:
            unique.setdefault(sms.smsc_id, sms)
        self._forget_known(unique)
        return list(unique.values())

    def save_incoming(
        self,
        batch: Iterable[IncomingSms],
        where: Where,
        fetched_at: datetime | None = None,
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
        """
        unique: dict[int, IncomingSms] = {}
        for sms in batch:
            unique.setdefault(sms.smsc_id, sms)
        self._forget_known(unique)  # a read: this connection is the only writer of SMS
        if not unique:
            return Saved([], [], [])
        moment = fetched_at or utc_now()
        place = _placer(where)
        placed, too_old = self._without_too_old(
            [(sms, place(sms)) for sms in unique.values()], moment
        )
        now = to_db(moment)
        try:
            with self.transaction():
                self._insert_new(placed, now)
                self.raise_cursor_floor(too_old)
        except Exception as error:
            if not refuses_the_record(error):
                raise
            saved = self._save_one_at_a_time(placed, now)
            with self.transaction():
                self.raise_cursor_floor(too_old)
            return Saved(saved.stored, saved.kept_aside, too_old)
        return Saved([sms.smsc_id for sms, _placement in placed], [], too_old)

    def _without_too_old(
        self, placed: list[tuple[IncomingSms, Placement]], now: datetime
    ) -> tuple[list[tuple[IncomingSms, Placement]], list[int]]:
        """`placed` less the SMS received before the retention's cutoff that no chat is to
        get, and those SMS's IDs, in order. One a chat is to get is kept: the purge takes
        it once every chat has it."""
        if self.keep_for is None:
            return placed, []
        cutoff = now - self.keep_for
        kept = [(s, p) for s, p in placed if s.received_at >= cutoff or p.deliveries]
        too_old = sorted(
            s.smsc_id for s, p in placed if s.received_at < cutoff and not p.deliveries
        )
        return kept, too_old

    def raise_cursor_floor(self, ids: Sequence[int]) -> None:
        """Let the cursor pass SMS that are not stored (inside the caller's transaction):
        too old to keep, or a record kept aside that the retention deletes."""
        if ids:
            self.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
                "value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
                (CURSOR_FLOOR_KEY, str(max(ids))),
            )

    def _save_one_at_a_time(self, placed: list[tuple[IncomingSms, Placement]], now: str) -> Saved:
        """Each SMS in a transaction of its own; each one refused kept aside."""
        saved = Saved([], [])
        for sms, placement in placed:
            try:
                with self.transaction():
                    self._insert_new([(sms, placement)], now)
            except Exception as error:
                if not refuses_the_record(error):
                    raise
                saved.kept_aside.append(self._keep_aside(sms, error, now))
            else:
                saved.stored.append(sms.smsc_id)
        return saved

    def _keep_aside(self, sms: IncomingSms, refusal: BaseException, now: str) -> KeptAside:
        """Write a refused SMS's raw form and the reason in `kept_aside`."""
        try:
            with self.transaction():
                self.conn.execute(
                    "INSERT OR IGNORE INTO kept_aside (smsc_id, raw, reason, kept_at) "
                    "VALUES (?, ?, ?, ?)",
                    (sms.smsc_id, raw_form(sms), _reason(refusal), now),
                )
        except Exception as failure:
            raise SmsNotStored(sms.smsc_id, error_kind(failure)) from failure
        return KeptAside(sms.smsc_id, error_kind(refusal))

    def _forget_known(self, unique: dict[int, IncomingSms]) -> None:
        """Drop from `unique` the SMS already stored or kept aside."""
        ids = list(unique)
        for table, key in (("messages", "id"), ("kept_aside", "smsc_id")):
            for chunk in _chunks(ids):
                marks = ",".join("?" * len(chunk))
                for (known,) in self.conn.execute(
                    f"SELECT {key} FROM {table} WHERE {key} IN ({marks})", chunk
                ):
                    unique.pop(known, None)

    def _insert_new(self, placed: list[tuple[IncomingSms, Placement]], now: str) -> None:
        new = [sms for sms, _placement in placed]
        placements = [placement for _sms, placement in placed]
        rows = [
            message_row(s, now, p.route, p.label, self.region)
            for s, p in zip(new, placements, strict=True)
        ]
        self.conn.executemany(INSERT_MESSAGE, rows)
        self.conn.executemany(
            INSERT_DELIVERY,
            [
                (s.smsc_id, key, silent, now, now)
                for s, p in zip(new, placements, strict=True)
                for key, silent in p.deliveries
            ],
        )
        self.conn.executemany(
            INSERT_VISIBLE,
            [
                (chat, row[_RECEIVED_AT], row[0])
                for row, p in zip(rows, placements, strict=True)
                for chat in p.visible_to
            ],
        )
        numbers = {s.recipient for s in new if s.recipient}
        self.conn.executemany(
            "INSERT OR IGNORE INTO receiving_numbers (number) VALUES (?)",
            [(number,) for number in numbers],
        )

    def receiving_numbers(self) -> int:
        """How many of the account's numbers have received an SMS."""
        return int(self.conn.execute("SELECT count(*) FROM receiving_numbers").fetchone()[0])

    # -- the relay's side -----------------------------------------------------------------

    def pending(self, chat: str, limit: int) -> list[PendingDelivery]:
        """The deliveries waiting for `chat`, oldest first.

        Oldest by SMSC ID, which SMSC hands out in arrival order: unlike the received
        date, it is never missing or malformed, and it follows the partial index. The
        redundant OPEN_DELIVERY condition is what lets SQLite walk that index (chat,
        message_id) instead of every delivery ever made.
        """
        rows = self.conn.execute(
            f"SELECT {SMS_COLUMNS}, d.uncertain, d.silent FROM deliveries d "
            "JOIN messages m ON m.id = d.message_id "
            f"WHERE d.chat = ? AND {OPEN_DELIVERY} AND d.status = ? "
            "ORDER BY d.message_id LIMIT ?",
            (chat, DeliveryStatus.PENDING, limit),
        ).fetchall()
        width = SMS_WIDTH
        return [
            PendingDelivery(sms_from_row(r[:width]), chat, r[width], bool(r[width + 1]))
            for r in rows
        ]

    def count_pending(self, chat: str) -> int:
        row = self.conn.execute(
            f"SELECT count(*) FROM deliveries WHERE chat = ? AND {OPEN_DELIVERY}",
            (chat,),
        ).fetchone()
        return int(row[0])

    def _update(self, chat: str, ids: Sequence[int], assignments: str, args: Sequence[Any]) -> None:
        with self.transaction():
            self._update_rows(chat, ids, assignments, args)

    def _update_rows(
        self, chat: str, ids: Sequence[int], assignments: str, args: Sequence[Any]
    ) -> None:
        """The UPDATE of `_update`, inside a transaction the caller holds."""
        now = to_db(utc_now())
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            self.conn.execute(
                f"UPDATE deliveries SET {assignments}, updated_at = ? "
                f"WHERE chat = ? AND message_id IN ({marks})",
                (*args, now, chat, *chunk),
            )

    def mark_sending(self, chat: str, ids: Sequence[int]) -> None:
        """Record that these deliveries are being handed to Telegram now."""
        self._update(chat, ids, "status = ?, attempts = attempts + 1", (DeliveryStatus.SENDING,))

    def mark_sent(
        self,
        chat: str,
        ids: Sequence[int],
        telegram_message_id: int,
        *,
        also: Callable[[Store], object] | None = None,
    ) -> None:
        """Telegram accepted these deliveries as message `telegram_message_id`, now.

        Only `deliveries` is written here. What a feature keeps of a sent message (the
        HTML a press edits, a reminder's due time) is written by `also`, in this same
        transaction: both or neither survive a crash, so a message is never booked sent
        without them, and they are never written for a send that is retried.
        """
        now = to_db(utc_now())
        with self.transaction():
            self._update_rows(
                chat,
                ids,
                "status = ?, telegram_message_id = ?, delivered_at = ?, error = NULL",
                (DeliveryStatus.SENT, telegram_message_id, now),
            )
            if also is not None:
                also(self)

    def release(self, chat: str, ids: Sequence[int], *, uncertain: bool, error: str) -> None:
        """Put deliveries back in the queue after a send that did not succeed.

        `uncertain` says Telegram may have received the send anyway (a timeout after the
        request left), so the retry that follows may show the SMS twice; it is counted.
        """
        self._update(
            chat,
            ids,
            "status = ?, error = ?, uncertain = uncertain + ?",
            (DeliveryStatus.PENDING, error, 1 if uncertain else 0),
        )

    def mark_failed(self, chat: str, ids: Sequence[int], reason: str) -> None:
        """Telegram refused for good (bot removed, chat gone): stop trying, keep the reason."""
        self._update(chat, ids, "status = ?, error = ?", (DeliveryStatus.FAILED, reason))

    def fail_pending(self, chat: str, reason: str) -> int:
        """Mark everything still queued for `chat` failed: the chat refused for good."""
        now = to_db(utc_now())
        with self.transaction():
            cursor = self.conn.execute(
                "UPDATE deliveries SET status = ?, error = ?, updated_at = ? "
                f"WHERE chat = ? AND {OPEN_DELIVERY} AND status = ?",
                (DeliveryStatus.FAILED, reason, now, chat, DeliveryStatus.PENDING),
            )
        return cursor.rowcount

    def requeue_failed(self, chat: str | None = None) -> int:
        """Queue failed deliveries again (after the bot was re-added to a chat, say)."""
        now = to_db(utc_now())
        where, args = FAILED_DELIVERY, [DeliveryStatus.PENDING, now]
        if chat is not None:
            where += " AND chat = ?"
            args.append(chat)
        with self.transaction():
            cursor = self.conn.execute(
                f"UPDATE deliveries SET status = ?, updated_at = ? WHERE {where}", args
            )
        return cursor.rowcount

    def oldest_pending(self, chats: Sequence[str]) -> datetime | None:
        """When the longest-waiting queued delivery was queued, across `chats`."""
        oldest: str | None = None
        for chat in chats:
            row = self.conn.execute(
                f"SELECT min(created_at) FROM deliveries WHERE chat = ? AND {OPEN_DELIVERY}",
                (chat,),
            ).fetchone()
            if row[0] is not None and (oldest is None or row[0] < oldest):
                oldest = row[0]
        return None if oldest is None else from_db(oldest)

    def recover_interrupted(self, chat: str | None = None) -> int:
        """Sends that never got an answer go back to the queue as uncertain.

        At start-up for every chat (a crash interrupted them); for one chat when its
        sender hit an error between handing a message over and recording the answer.
        """
        now = to_db(utc_now())
        where = f"{OPEN_DELIVERY} AND status = ?"
        args: list[Any] = [DeliveryStatus.PENDING, now, DeliveryStatus.SENDING]
        if chat is not None:
            where += " AND chat = ?"
            args.append(chat)
        with self.transaction():
            cursor = self.conn.execute(
                "UPDATE deliveries SET status = ?, uncertain = uncertain + 1, "
                f"error = 'interrupted while sending', updated_at = ? WHERE {where}",
                args,
            )
        return cursor.rowcount

    def chat_id_for(self, chat: str) -> int | None:
        """The chat ID a configured chat migrated to, if Telegram told us it moved."""
        row = self.conn.execute(
            "SELECT chat_id FROM chat_migrations WHERE chat = ?", (chat,)
        ).fetchone()
        return None if row is None else int(row[0])

    def record_chat_migration(self, chat: str, new_chat_id: int) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO chat_migrations (chat, chat_id, migrated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (chat) DO UPDATE SET chat_id = excluded.chat_id, "
                "migrated_at = excluded.migrated_at",
                (chat, new_chat_id, to_db(utc_now())),
            )

    def queues(self, chats: Sequence[str]) -> list[ChatQueue]:
        """Pending, failed and uncertain counts for each chat, using the partial indexes."""
        result = []
        for chat in chats:
            pending = self.count_pending(chat)
            failed, uncertain = (
                int(self.conn.execute(sql, (chat,)).fetchone()[0])
                for sql in (
                    f"SELECT count(*) FROM deliveries WHERE chat = ? AND {FAILED_DELIVERY}",
                    f"SELECT count(*) FROM deliveries WHERE chat = ? AND {UNCERTAIN_DELIVERY}",
                )
            )
            row = self.conn.execute(
                f"SELECT error FROM deliveries WHERE chat = ? AND {FAILED_DELIVERY} "
                "ORDER BY updated_at DESC LIMIT 1",
                (chat,),
            ).fetchone()
            result.append(ChatQueue(chat, pending, failed, uncertain, row[0] if row else None))
        return result

    # -- history queries ----------------------------------------------------------------

    def last_received_at(self) -> datetime | None:
        """When the newest SMS was received (by the received index: no scan)."""
        (newest,) = self.conn.execute("SELECT max(received_at) FROM messages").fetchone()
        return None if newest is None else from_db(newest)

    def count_messages(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM messages").fetchone()[0])

    def last(self, count: int, visible_to: str | None = None) -> Page:
        """The newest `count` SMS; with `visible_to`, of those that chat may see."""
        if visible_to is None:
            sql = f"SELECT {SMS_COLUMNS} FROM messages m ORDER BY {_NEWEST_FIRST} LIMIT ?"
            args: tuple[Any, ...] = (count,)
        else:
            sql = (
                f"SELECT {SMS_COLUMNS} FROM {VISIBLE_SOURCE} WHERE v.chat_id = ? "
                f"ORDER BY {_VISIBLE_NEWEST_FIRST} LIMIT ?"
            )
            args = (visible_to, count)
        rows = self.conn.execute(sql, args).fetchall()
        return Page([sms_from_row(r) for r in reversed(rows)], len(rows))

    def _page(
        self,
        where: str,
        args: Sequence[Any],
        limit: int,
        source: str,
        *,
        order: str = _NEWEST_FIRST,
        counted: str | None = None,
    ) -> Page:
        """The newest `limit` rows of `source` in `order`, and how many match in all
        (counted in `counted`, a cheaper source with the same rows, if given)."""
        total = int(
            self.conn.execute(
                f"SELECT count(*) FROM {counted or source} WHERE {where}", args
            ).fetchone()[0]
        )
        rows = self.conn.execute(
            f"SELECT {SMS_COLUMNS} FROM {source} WHERE {where} ORDER BY {order} LIMIT ?",
            (*args, limit),
        ).fetchall()
        return Page([sms_from_row(r) for r in reversed(rows)], total)

    def between(
        self, start: datetime, end: datetime, limit: int, visible_to: str | None = None
    ) -> Page:
        """SMS received in [start, end); with `visible_to`, those that chat may see.

        For one chat the window is a range of its visibility rows, counted there alone.
        """
        if visible_to is None:
            where, args = self._window("1", [], start, end)
            return self._page(where, args, limit, "messages m")
        where, args = self._window("v.chat_id = ?", [visible_to], start, end, "v.received_at")
        return self._page(
            where,
            args,
            limit,
            VISIBLE_SOURCE,
            order=_VISIBLE_NEWEST_FIRST,
            counted="message_chats v",
        )

    def from_sender(
        self,
        sender: str,
        start: datetime | None,
        end: datetime | None,
        limit: int,
        visible_to: str | None = None,
    ) -> Page:
        """SMS from one sender, however a person wrote its number (that `visible_to` may see)."""
        where, args = _visible("m.sender_key = ?", [typed_key(sender, self.region)], visible_to)
        where, args = self._window(where, args, start, end)
        return self._page(where, args, limit, "messages m")

    def search(
        self,
        words: str,
        start: datetime | None,
        end: datetime | None,
        limit: int,
        visible_to: str | None = None,
    ) -> Page:
        """Full-text search: SMS containing every word of `words`, newest (by ID) first.

        The FTS index drives, in descending ID order, so the newest matches come first and
        the LIMIT stops the walk. A window narrows it further: when the window holds at
        most WINDOW_SEEK_LIMIT SMS, their smallest and largest IDs bound the walk (every
        SMS of the window lies between them); the received time is still checked on each
        row. With `visible_to`, each match is also looked up, by its ID, in that chat's
        visibility rows. The total is counted up to COUNT_CAP.
        """
        query = fts_query(words)
        if query is None:
            return Page([], 0)
        where, args = _visible("messages_fts MATCH ?", [query], visible_to, _VISIBLE_MATCH)
        where, args = self._window(where, args, start, end)
        windowed = start is not None or end is not None
        if windowed:
            bounds = self._id_bounds(start, end)
            if bounds == (None, None):
                return Page([], 0)
            if bounds is not None:
                where += " AND f.rowid BETWEEN ? AND ?"
                args += bounds
        source = "messages_fts f CROSS JOIN messages m ON m.id = f.rowid"  # FTS drives
        # The indexes alone can count, unless each match's time counts too.
        counted = source if windowed else "messages_fts f"
        (total,) = self.conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {counted} WHERE {where} LIMIT ?)",
            (*args, COUNT_CAP + 1),
        ).fetchone()
        rows = self.conn.execute(
            f"SELECT {SMS_COLUMNS} FROM {source} WHERE {where} ORDER BY f.rowid DESC LIMIT ?",
            (*args, limit),
        ).fetchall()
        capped = total > COUNT_CAP
        return Page([sms_from_row(r) for r in reversed(rows)], min(total, COUNT_CAP), capped)

    def _id_bounds(
        self, start: datetime | None, end: datetime | None
    ) -> tuple[int, int] | tuple[None, None] | None:
        """Smallest and largest ID received in the window; None if the window is too big
        for that to be cheap; (None, None) if it is empty."""
        where, args = self._window("1", [], start, end)
        (size,) = self.conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM messages m WHERE {where} LIMIT ?)",
            (*args, WINDOW_SEEK_LIMIT + 1),
        ).fetchone()
        if size > WINDOW_SEEK_LIMIT:
            return None
        low, high = self.conn.execute(
            f"SELECT min(m.id), max(m.id) FROM messages m WHERE {where}", args
        ).fetchone()
        return (None, None) if low is None else (int(low), int(high))

    @staticmethod
    def _window(
        where: str,
        args: list[Any],
        start: datetime | None,
        end: datetime | None,
        column: str = "m.received_at",
    ) -> tuple[str, list[Any]]:
        if start is not None:
            where += f" AND {column} >= ?"
            args.append(to_db(start))
        if end is not None:
            where += f" AND {column} < ?"
            args.append(to_db_end(end))
        return where, args
