"""The on-call team's records: who took which SMS, who is on duty, which reminders are due.

Functions taking the `Store`, as every query is (`state.store`), so that async code runs
them on the store's thread (`await store.call(oncall.take, ids, user)`). What is kept of
a relayed message (`file_shown`, `queue_reminders`) is written inside the transaction
that books its delivery sent (`deliveries.mark_sent`'s `also`), never on its own.

One SMS has one owner: `takes` is keyed by the SMS, and a take is an INSERT that does
nothing when a row is there, so of two people pressing at once the first write wins and
the second reads who has it. Nothing here is held in memory: a button pressed after a
restart finds the same answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from state.history import VISIBLE_SOURCE, Page, page_of
from state.models import DeliveryStatus
from state.store import Store
from state.times import from_db, to_db, to_db_end

_IN_CHUNK = 500


@dataclass(frozen=True)
class Person:
    user_id: int
    name: str


@dataclass(frozen=True)
class Take:
    """Who took an SMS, and when."""

    smsc_id: int
    by: Person
    at: datetime


@dataclass(frozen=True)
class ShownMessage:
    """A relayed message with a button: where it is, what it showed, which SMS it carries."""

    chat: str  # the target key
    telegram_message_id: int
    html: str
    smsc_ids: tuple[int, ...]


@dataclass(frozen=True)
class DueReminder:
    chat: str
    smsc_id: int
    telegram_message_id: int | None  # the message the reminder replies to


def _marks(items: Sequence[object]) -> str:
    return ",".join("?" * len(items))


def take(store: Store, ids: Sequence[int], by: Person, at: datetime) -> dict[int, Take]:
    """Take the SMS nobody has yet; returns the owner of each of `ids` afterwards."""
    with store.transaction():
        store.conn.executemany(
            "INSERT OR IGNORE INTO takes (message_id, user_id, user_name, taken_at) "
            "VALUES (?, ?, ?, ?)",
            [(smsc_id, by.user_id, by.name, to_db(at)) for smsc_id in ids],
        )
        store.conn.executemany(
            "DELETE FROM reminders_due WHERE message_id = ?", [(smsc_id,) for smsc_id in ids]
        )
    return takes_of(store, ids)


def _in_booking(store: Store) -> None:
    """A relayed message's rows are written with its delivery or not at all."""
    if not store.conn.in_transaction:
        raise RuntimeError("written only inside the transaction that books a delivery sent")


def file_shown(store: Store, chat: str, telegram_message_id: int, html: str) -> None:
    """Keep what a message with a button showed (without who took it): a press edits it
    from this, after a restart too. Inside the booking's transaction."""
    _in_booking(store)
    store.conn.execute(
        "INSERT OR REPLACE INTO shown (chat, telegram_message_id, html) VALUES (?, ?, ?)",
        (chat, telegram_message_id, html),
    )


def refile_shown(store: Store, chat: str, telegram_message_id: int, html: str) -> None:
    """A message with a button shows new text (a repeat counted in): a press edits it from
    this. Nothing for a message that carries no button. Inside the booking's transaction."""
    _in_booking(store)
    store.conn.execute(
        "UPDATE shown SET html = ? WHERE chat = ? AND telegram_message_id = ?",
        (html, chat, telegram_message_id),
    )


def has_button(store: Store, chat: str, telegram_message_id: int) -> bool:
    """Whether the message left with a button (filed by `file_shown`)."""
    row = store.conn.execute(
        "SELECT 1 FROM shown WHERE chat = ? AND telegram_message_id = ?",
        (chat, telegram_message_id),
    ).fetchone()
    return row is not None


def queue_reminders(store: Store, chat: str, ids: Sequence[int], due: datetime) -> None:
    """Remind `chat` at `due` of the SMS of `ids` nobody has taken by then; none for an SMS
    taken already (in a chat it reached first), as a take clears them. Inside the
    booking's transaction."""
    _in_booking(store)
    store.conn.executemany(
        "INSERT OR IGNORE INTO reminders_due (chat, message_id, due_at) "
        "SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM takes WHERE message_id = ?)",
        [(chat, smsc_id, to_db(due), smsc_id) for smsc_id in ids],
    )


def release(store: Store, ids: Sequence[int], user_id: int) -> list[int]:
    """Give back the SMS of `ids` that `user_id` holds; returns those released."""
    held = [t.smsc_id for t in takes_of(store, ids).values() if t.by.user_id == user_id]
    if held:
        with store.transaction():
            store.conn.execute(
                f"DELETE FROM takes WHERE user_id = ? AND message_id IN ({_marks(held)})",
                (user_id, *held),
            )
    return held


def takes_of(store: Store, ids: Sequence[int]) -> dict[int, Take]:
    """The takes of the SMS in `ids` (those nobody took are absent)."""
    found: dict[int, Take] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = list(ids[start : start + _IN_CHUNK])
        rows = store.conn.execute(
            "SELECT message_id, user_id, user_name, taken_at FROM takes "
            f"WHERE message_id IN ({_marks(chunk)})",
            chunk,
        )
        for smsc_id, user_id, name, taken_at in rows:
            found[smsc_id] = Take(smsc_id, Person(user_id, name), from_db(taken_at))
    return found


def messages_showing(store: Store, ids: Sequence[int]) -> list[ShownMessage]:
    """Every relayed message with a button that carries one of these SMS, in any chat."""
    places = store.conn.execute(
        "SELECT DISTINCT d.chat, d.telegram_message_id, s.html FROM deliveries d "
        "JOIN shown s ON s.chat = d.chat AND s.telegram_message_id = d.telegram_message_id "
        f"WHERE d.message_id IN ({_marks(ids)}) AND d.status = ?",
        (*ids, DeliveryStatus.SENT),
    ).fetchall()
    shown = []
    for chat, telegram_message_id, html in places:
        members = store.conn.execute(
            "SELECT message_id FROM deliveries WHERE chat = ? AND telegram_message_id = ? "
            "ORDER BY message_id",
            (chat, telegram_message_id),
        )
        shown.append(ShownMessage(chat, telegram_message_id, html, tuple(m for (m,) in members)))
    return shown


def due_reminders(store: Store, now: datetime) -> list[DueReminder]:
    """Reminders whose time has come, for SMS still not taken, oldest first."""
    rows = store.conn.execute(
        "SELECT r.chat, r.message_id, d.telegram_message_id FROM reminders_due r "
        "LEFT JOIN deliveries d ON d.chat = r.chat AND d.message_id = r.message_id "
        "WHERE r.due_at <= ? AND NOT EXISTS (SELECT 1 FROM takes t WHERE t.message_id = "
        "r.message_id) ORDER BY r.message_id",
        (to_db(now),),
    )
    return [DueReminder(chat, smsc_id, tg) for chat, smsc_id, tg in rows]


def reminded(store: Store, done: Sequence[DueReminder]) -> None:
    """These reminders went out (or were for SMS taken meanwhile): each SMS is reminded once."""
    with store.transaction():
        store.conn.executemany(
            "DELETE FROM reminders_due WHERE chat = ? AND message_id = ?",
            [(r.chat, r.smsc_id) for r in done],
        )


def on_duty(store: Store, chat: str) -> list[Person]:
    rows = store.conn.execute(
        "SELECT user_id, user_name FROM on_duty WHERE chat = ? ORDER BY since", (chat,)
    )
    return [Person(user_id, name) for user_id, name in rows]


def set_on_duty(store: Store, chat: str, person: Person, on: bool, at: datetime) -> None:
    with store.transaction():
        if on:
            store.conn.execute(
                "INSERT INTO on_duty (chat, user_id, user_name, since) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (chat, user_id) DO UPDATE SET user_name = excluded.user_name",
                (chat, person.user_id, person.name, to_db(at)),
            )
        else:
            store.conn.execute(
                "DELETE FROM on_duty WHERE chat = ? AND user_id = ?", (chat, person.user_id)
            )


def untaken(
    store: Store, start: datetime, end: datetime, limit: int, visible_to: str | None = None
) -> Page:
    """SMS relayed from [start, end) that nobody took, oldest first (the oldest `limit`);
    with `visible_to`, of those that chat may see (its visibility rows, one index range).

    Only SMS relayed somewhere count: history fetched at the first start and SMS a route
    dropped were never shown with a button, so nobody could take them."""
    args: tuple[object, ...] = (to_db(start), to_db_end(end))
    source, order = "messages m", "m.received_at, m.id"
    where = "m.received_at >= ? AND m.received_at < ?"
    if visible_to is not None:  # that chat's visibility rows: one index range, in order
        source, order = VISIBLE_SOURCE, "v.received_at, v.message_id"
        where = "v.chat_id = ? AND v.received_at >= ? AND v.received_at < ?"
        args = (visible_to, *args)
    where += (
        " AND NOT EXISTS (SELECT 1 FROM takes t WHERE t.message_id = m.id)"
        " AND EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id)"
    )
    return page_of(store, where, args, limit, source, order=order, oldest=True)
