"""On-call schedules' records: the handovers each chat was told of, and the overrides.

A chat with a schedule hears one line at each handover; `claim_handover` books it before
it is said, so a restart never says it twice (a line lost in a crash between the two is
not repeated: it is news, not an SMS). `/oncall me` and `/oncall off` override the
schedule until its next handover: `set_override` writes who and since when (`on_duty`
for me, `off_duty` for off); the feature counts only those set since the last handover.
"""

from __future__ import annotations

from datetime import datetime

from state.oncall import Person
from state.store import Store
from state.times import to_db


def claim_handover(store: Store, chat: str, at: datetime, now: datetime) -> bool:
    """Book the handover at `at` as told in `chat`; False when it was told already."""
    with store.transaction():
        cursor = store.conn.execute(
            "INSERT OR IGNORE INTO duty_handovers (chat, at, told_at) VALUES (?, ?, ?)",
            (chat, to_db(at), to_db(now)),
        )
        return cursor.rowcount == 1


def set_override(store: Store, chat: str, person: Person, on: bool, at: datetime) -> None:
    """`/oncall me` (on) or `/oncall off` in a chat with a schedule, said at `at`."""
    with store.transaction():
        if on:
            store.conn.execute(
                "DELETE FROM off_duty WHERE chat = ? AND user_id = ?", (chat, person.user_id)
            )
            store.conn.execute(
                "INSERT INTO on_duty (chat, user_id, user_name, since) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (chat, user_id) DO UPDATE SET user_name = excluded.user_name, "
                "since = excluded.since",
                (chat, person.user_id, person.name, to_db(at)),
            )
        else:
            store.conn.execute(
                "DELETE FROM on_duty WHERE chat = ? AND user_id = ?", (chat, person.user_id)
            )
            store.conn.execute(
                "INSERT INTO off_duty (chat, user_id, since) VALUES (?, ?, ?) "
                "ON CONFLICT (chat, user_id) DO UPDATE SET since = excluded.since",
                (chat, person.user_id, to_db(at)),
            )


def overrides_since(
    store: Store, chat: str, since: datetime | None
) -> tuple[list[Person], set[int]]:
    """The `/oncall me` people (in the order they said it) and the `/oncall off` user IDs of
    `chat` said at or after `since` (None: all of them)."""
    edge = to_db(since) if since is not None else ""
    on = store.conn.execute(
        "SELECT user_id, user_name FROM on_duty WHERE chat = ? AND since >= ? ORDER BY since",
        (chat, edge),
    ).fetchall()
    off = store.conn.execute(
        "SELECT user_id FROM off_duty WHERE chat = ? AND since >= ?", (chat, edge)
    ).fetchall()
    return [Person(user_id, name) for user_id, name in on], {user_id for (user_id,) in off}
