"""Runs of repeats: relayed messages that later copies of their SMS fold into.

A route's `collapse` window (`bot.routing.collapse`) is kept with each delivery. When a
message carrying one such SMS is booked sent, it starts a run (`start_run`, inside the
booking's transaction); a later SMS with the same sender and text, for the same target,
within the window from the run's start, is booked sent *as that message* (its delivery
carries the run's Telegram message ID, so history, presses and replies find it there) and
counted in the run, in one transaction (`count_repeat`). What the chat shows lags behind:
`shown` is the count its text shows, brought up to `count` by a paced edit
(`bot.relay.repeats`), after a restart too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from state.models import StoredSms
from state.store import Store
from state.times import from_db, to_db

_RUN_COLUMNS = (
    "r.chat, r.telegram_message_id, r.message_id, r.html, r.started_at, r.count, r.last_at, r.shown"
)


@dataclass(frozen=True)
class RepeatRun:
    """A relayed message and the repeats folded into it."""

    chat: str  # the target key
    telegram_message_id: int
    first_id: int  # the SMS the message was relayed for
    html: str  # the message as the relay made it, before any hook
    started_at: datetime  # when it was relayed
    count: int  # SMS it stands for: the first and its repeats
    last_at: datetime  # when SMSC received the latest of them
    shown: int  # the count the message in the chat shows


def _run(row: Any) -> RepeatRun:
    chat, message_id, first, html, started, count, last, shown = row
    return RepeatRun(chat, message_id, first, html, from_db(started), count, from_db(last), shown)


def _in_transaction(store: Store) -> None:
    if not store.conn.in_transaction:
        raise RuntimeError("written only inside the transaction that books the delivery sent")


def start_run(
    store: Store,
    chat: str,
    telegram_message_id: int,
    sms: StoredSms,
    html: str,
    at: datetime,
) -> None:
    """Message `telegram_message_id` shows `sms` alone: repeats may fold into it from `at`.
    Inside the transaction that books it sent."""
    _in_transaction(store)
    store.conn.execute(
        "INSERT OR IGNORE INTO repeat_runs (chat, telegram_message_id, message_id, html, "
        "started_at, count, last_at, shown) VALUES (?, ?, ?, ?, ?, 1, ?, 1)",
        (chat, telegram_message_id, sms.smsc_id, html, to_db(at), to_db(sms.received_at)),
    )


def open_run(store: Store, chat: str, sms: StoredSms, since: datetime) -> RepeatRun | None:
    """The latest run in `chat`, started at `since` or later, of an SMS with the sender
    and text of `sms` (the sender as `/from` matches it), if any."""
    row = store.conn.execute(
        f"SELECT {_RUN_COLUMNS} FROM repeat_runs r JOIN messages m ON m.id = r.message_id "
        "WHERE r.chat = ? AND r.started_at >= ? AND r.message_id != ? AND r.closed = 0 "
        "AND m.sender_key = (SELECT sender_key FROM messages WHERE id = ?) AND m.text = ? "
        "ORDER BY r.started_at DESC, r.telegram_message_id DESC LIMIT 1",
        (chat, to_db(since), sms.smsc_id, sms.smsc_id, sms.text),
    ).fetchone()
    return None if row is None else _run(row)


def count_repeat(store: Store, run: RepeatRun, received_at: datetime) -> RepeatRun:
    """One more SMS folded into `run`, received at `received_at`: the run as it is now.
    Inside the transaction that books the repeat's delivery sent."""
    _in_transaction(store)
    last = max(run.last_at, received_at)
    store.conn.execute(
        "UPDATE repeat_runs SET count = count + 1, last_at = ? "
        "WHERE chat = ? AND telegram_message_id = ?",
        (to_db(last), run.chat, run.telegram_message_id),
    )
    return replace(run, count=run.count + 1, last_at=last)


def runs_behind(store: Store, chat: str) -> list[RepeatRun]:
    """The runs in `chat` whose message shows fewer SMS than it stands for, oldest first."""
    rows = store.conn.execute(
        f"SELECT {_RUN_COLUMNS} FROM repeat_runs r WHERE r.chat = ? AND r.shown < r.count "
        "ORDER BY r.started_at, r.telegram_message_id",
        (chat,),
    ).fetchall()
    return [_run(row) for row in rows]


def mark_shown(
    store: Store, chat: str, telegram_message_id: int, count: int, *, close: bool = False
) -> None:
    """The message now shows `count` SMS (never less than it showed); `close`: it cannot
    be edited (deleted, too old), so no repeat folds into it any more."""
    with store.transaction():
        store.conn.execute(
            "UPDATE repeat_runs SET shown = max(shown, ?), closed = max(closed, ?) "
            "WHERE chat = ? AND telegram_message_id = ?",
            (count, int(close), chat, telegram_message_id),
        )
