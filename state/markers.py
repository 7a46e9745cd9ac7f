"""Markers: what the bridge remembers beside the SMS, in the `meta` table.

When the first start's backfill finished, and the poll cursor: the largest SMSC ID
stored, kept aside, or of an SMS too old to store (the `cursor_floor` marker, raised by
`state.messages` and `state.retention` for the IDs they do not keep).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from state.store import Store
from state.times import from_db, to_db

FIRST_START_DONE_KEY = "initialized_at"  # the meta key; databases in use carry this name
CURSOR_FLOOR_KEY = "cursor_floor"  # the largest ID of an SMS too old to store


def first_start_done_at(store: Store) -> datetime | None:
    """When the first start's backfill finished; None until it has."""
    value = _get_meta(store, FIRST_START_DONE_KEY)
    return None if value is None else from_db(value)


def mark_first_start_done(store: Store, at: datetime) -> None:
    _set_meta(store, FIRST_START_DONE_KEY, to_db(at))


def _get_meta(store: Store, key: str) -> str | None:
    row = store.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def _set_meta(store: Store, key: str, value: str) -> None:
    with store.transaction():
        store.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


def max_smsc_id(store: Store) -> int | None:
    """The poll cursor: the largest SMSC ID stored, kept aside, or of an SMS too old to
    store (each a look-up of its table's largest key)."""
    (stored,) = store.conn.execute("SELECT max(id) FROM messages").fetchone()
    (aside,) = store.conn.execute("SELECT max(smsc_id) FROM kept_aside").fetchone()
    floor = _get_meta(store, CURSOR_FLOOR_KEY)
    known = [int(value) for value in (stored, aside, floor) if value is not None]
    return max(known, default=None)


def raise_cursor_floor(store: Store, ids: Sequence[int]) -> None:
    """Let the cursor pass SMS that are not stored (inside the caller's transaction):
    too old to keep, or a record kept aside that the retention deletes."""
    if ids:
        store.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
            "value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
            (CURSOR_FLOOR_KEY, str(max(ids))),
        )
