"""The relay's outbox: one delivery per SMS and target, queued, sent, marked.

A delivery is marked sent only after Telegram answered with a message ID. A delivery
handed to Telegram is first marked SENDING; if the process dies before the answer is
recorded, the next start finds it still SENDING, counts it as *uncertain* (a duplicate is
possible) and queues it again.

Statuses are `DeliveryStatus` values: bound as parameters where a query writes them, and
where a query selects by them, the partial indexes' own conditions from `state.schema`
(`OPEN_DELIVERY`, `FAILED_DELIVERY`), since SQLite uses a partial index only when the query
repeats its condition as literal text.

Beside them: where a chat moved (a group that became a supergroup), and which SMS a
relayed message carries (`sms_in_message`, `sms_pressed`), read from the deliveries that
put them there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from state.messages import SMS_COLUMNS, SMS_WIDTH, sms_from_row
from state.models import ChatQueue, DeliveryStatus, PendingDelivery
from state.schema import FAILED_DELIVERY, OPEN_DELIVERY, UNCERTAIN_DELIVERY
from state.store import Store
from state.times import from_db, to_db, utc_now

_IN_CHUNK = 500  # stay well under SQLite's host-parameter limit


def _chunks(items: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _marks(items: Sequence[object]) -> str:
    return ",".join("?" * len(items))


def pending(store: Store, chat: str, limit: int) -> list[PendingDelivery]:
    """The deliveries waiting for `chat`, oldest first.

    Oldest by SMSC ID, which SMSC hands out in arrival order: unlike the received
    date, it is never missing or malformed, and it follows the partial index. The
    redundant OPEN_DELIVERY condition is what lets SQLite walk that index (chat,
    message_id) instead of every delivery ever made.
    """
    rows = store.conn.execute(
        f"SELECT {SMS_COLUMNS}, d.uncertain, d.silent, q.hours, c.seconds FROM deliveries d "
        "JOIN messages m ON m.id = d.message_id "
        "LEFT JOIN quiet_deliveries q ON q.message_id = d.message_id AND q.chat = d.chat "
        "LEFT JOIN collapse_deliveries c ON c.message_id = d.message_id AND c.chat = d.chat "
        f"WHERE d.chat = ? AND {OPEN_DELIVERY} AND d.status = ? "
        "ORDER BY d.message_id LIMIT ?",
        (chat, DeliveryStatus.PENDING, limit),
    ).fetchall()
    width = SMS_WIDTH
    return [
        PendingDelivery(
            sms_from_row(r[:width]), chat, r[width], bool(r[width + 1]), r[width + 2], r[width + 3]
        )
        for r in rows
    ]


def count_pending(store: Store, chat: str) -> int:
    row = store.conn.execute(
        f"SELECT count(*) FROM deliveries WHERE chat = ? AND {OPEN_DELIVERY}",
        (chat,),
    ).fetchone()
    return int(row[0])


def _update(
    store: Store, chat: str, ids: Sequence[int], assignments: str, args: Sequence[Any]
) -> None:
    with store.transaction():
        _update_rows(store, chat, ids, assignments, args)


def _update_rows(
    store: Store, chat: str, ids: Sequence[int], assignments: str, args: Sequence[Any]
) -> None:
    """The UPDATE of `_update`, inside a transaction the caller holds."""
    now = to_db(utc_now())
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        store.conn.execute(
            f"UPDATE deliveries SET {assignments}, updated_at = ? "
            f"WHERE chat = ? AND message_id IN ({marks})",
            (*args, now, chat, *chunk),
        )


def mark_sending(store: Store, chat: str, ids: Sequence[int]) -> None:
    """Record that these deliveries are being handed to Telegram now."""
    _update(store, chat, ids, "status = ?, attempts = attempts + 1", (DeliveryStatus.SENDING,))


def mark_sent(
    store: Store,
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
    with store.transaction():
        _update_rows(
            store,
            chat,
            ids,
            "status = ?, telegram_message_id = ?, delivered_at = ?, error = NULL",
            (DeliveryStatus.SENT, telegram_message_id, now),
        )
        if also is not None:
            also(store)


def release(store: Store, chat: str, ids: Sequence[int], *, uncertain: bool, error: str) -> None:
    """Put deliveries back in the queue after a send that did not succeed.

    `uncertain` says Telegram may have received the send anyway (a timeout after the
    request left), so the retry that follows may show the SMS twice; it is counted.
    """
    _update(
        store,
        chat,
        ids,
        "status = ?, error = ?, uncertain = uncertain + ?",
        (DeliveryStatus.PENDING, error, 1 if uncertain else 0),
    )


def mark_failed(store: Store, chat: str, ids: Sequence[int], reason: str) -> None:
    """Telegram refused for good (bot removed, chat gone): stop trying, keep the reason."""
    _update(store, chat, ids, "status = ?, error = ?", (DeliveryStatus.FAILED, reason))


def fail_pending(store: Store, chat: str, reason: str) -> int:
    """Mark everything still queued for `chat` failed: the chat refused for good."""
    now = to_db(utc_now())
    with store.transaction():
        cursor = store.conn.execute(
            "UPDATE deliveries SET status = ?, error = ?, updated_at = ? "
            f"WHERE chat = ? AND {OPEN_DELIVERY} AND status = ?",
            (DeliveryStatus.FAILED, reason, now, chat, DeliveryStatus.PENDING),
        )
    return cursor.rowcount


def requeue_failed(store: Store, chat: str | None = None) -> int:
    """Queue failed deliveries again (after the bot was re-added to a chat, say)."""
    now = to_db(utc_now())
    where, args = FAILED_DELIVERY, [DeliveryStatus.PENDING, now]
    if chat is not None:
        where += " AND chat = ?"
        args.append(chat)
    with store.transaction():
        cursor = store.conn.execute(
            f"UPDATE deliveries SET status = ?, updated_at = ? WHERE {where}", args
        )
    return cursor.rowcount


def oldest_pending(store: Store, chats: Sequence[str]) -> datetime | None:
    """When the longest-waiting queued delivery was queued, across `chats`."""
    oldest: str | None = None
    for chat in chats:
        row = store.conn.execute(
            f"SELECT min(created_at) FROM deliveries WHERE chat = ? AND {OPEN_DELIVERY}",
            (chat,),
        ).fetchone()
        if row[0] is not None and (oldest is None or row[0] < oldest):
            oldest = row[0]
    return None if oldest is None else from_db(oldest)


def recover_interrupted(store: Store, chat: str | None = None) -> int:
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
    with store.transaction():
        cursor = store.conn.execute(
            "UPDATE deliveries SET status = ?, uncertain = uncertain + 1, "
            f"error = 'interrupted while sending', updated_at = ? WHERE {where}",
            args,
        )
    return cursor.rowcount


def queues(store: Store, chats: Sequence[str]) -> list[ChatQueue]:
    """Pending, failed and uncertain counts for each chat, using the partial indexes."""
    result = []
    for chat in chats:
        pending = count_pending(store, chat)
        failed, uncertain = (
            int(store.conn.execute(sql, (chat,)).fetchone()[0])
            for sql in (
                f"SELECT count(*) FROM deliveries WHERE chat = ? AND {FAILED_DELIVERY}",
                f"SELECT count(*) FROM deliveries WHERE chat = ? AND {UNCERTAIN_DELIVERY}",
            )
        )
        row = store.conn.execute(
            f"SELECT error FROM deliveries WHERE chat = ? AND {FAILED_DELIVERY} "
            "ORDER BY updated_at DESC LIMIT 1",
            (chat,),
        ).fetchone()
        result.append(ChatQueue(chat, pending, failed, uncertain, row[0] if row else None))
    return result


def chat_id_for(store: Store, chat: str) -> int | None:
    """The chat ID a configured chat migrated to, if Telegram told us it moved."""
    row = store.conn.execute(
        "SELECT chat_id FROM chat_migrations WHERE chat = ?", (chat,)
    ).fetchone()
    return None if row is None else int(row[0])


def record_chat_migration(store: Store, chat: str, new_chat_id: int) -> None:
    with store.transaction():
        store.conn.execute(
            "INSERT INTO chat_migrations (chat, chat_id, migrated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (chat) DO UPDATE SET chat_id = excluded.chat_id, "
            "migrated_at = excluded.migrated_at",
            (chat, new_chat_id, to_db(utc_now())),
        )


def sms_in_message(store: Store, chats: Sequence[str], telegram_message_id: int) -> list[int]:
    """The SMS a relayed message carries (one, or a digest's several), in one of `chats`."""
    if not chats:
        return []
    rows = store.conn.execute(
        f"SELECT message_id FROM deliveries WHERE chat IN ({_marks(chats)}) "
        "AND telegram_message_id = ? ORDER BY message_id",
        (*chats, telegram_message_id),
    )
    return [smsc_id for (smsc_id,) in rows]


def sms_pressed(
    store: Store, chats: Sequence[str], telegram_message_id: int, first: int, last: int
) -> list[int]:
    """The SMS of [first, last] that a press on message `telegram_message_id` in one of
    `chats` acts on: those the message carries, as booked; else, those being sent there,
    whose message Telegram may show before its answer is booked. [] when neither; the
    message's own SMS (none of [first, last]) when it carries others. One look, so that a
    booking between two looks cannot hide the SMS from both."""
    carried = sms_in_message(store, chats, telegram_message_id)
    if carried:
        return carried
    found: set[int] = set()
    for chat in chats:
        rows = store.conn.execute(
            f"SELECT message_id FROM deliveries WHERE chat = ? AND {OPEN_DELIVERY} "
            "AND status = ? AND message_id BETWEEN ? AND ?",
            (chat, DeliveryStatus.SENDING, first, last),
        )
        found.update(smsc_id for (smsc_id,) in rows)
    return sorted(found)
