"""Looking back: /last, /history, /search and /from, a page of SMS at a time.

History queries take an optional chat (`visible_to`): with it they read only the SMS
placed in that chat's history, through its `message_chats` rows (one index range per
chat), or for /search its token in the full-text index; without it they read every SMS,
as before routes existed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import state.word_forms as word_forms
from state.messages import SMS_COLUMNS, sms_from_row
from state.models import StoredSms
from state.phones import typed_key
from state.schema import chat_token
from state.store import Store
from state.times import to_db, to_db_end

COUNT_CAP = 10_000  # full-text matches counted at most; beyond, answers say "more than"
WINDOW_SEEK_LIMIT = 50_000  # windows up to this many SMS narrow a full-text search by ID


# An SMS `m` that the chat bound to `?` may see: one look-up by the whole key.
_VISIBLE = (
    "EXISTS (SELECT 1 FROM message_chats v WHERE v.chat_id = ? "
    "AND v.received_at = m.received_at AND v.message_id = m.id)"
)
# One chat's SMS, driven by its visibility rows `v`: its history in received order.
VISIBLE_SOURCE = "message_chats v CROSS JOIN messages m ON m.id = v.message_id"
_NEWEST_FIRST = "m.received_at DESC, m.id DESC"
_VISIBLE_NEWEST_FIRST = "v.received_at DESC, v.message_id DESC"


@dataclass(frozen=True)
class Page:
    """A slice of a query's answer: the newest `limit` rows, oldest first, and the total."""

    messages: list[StoredSms]
    total: int
    total_is_lower_bound: bool = False  # counting stopped at COUNT_CAP: "more than total"

    @property
    def truncated(self) -> bool:
        return self.total > len(self.messages)


def _visible(where: str, args: list[Any], visible_to: str | None) -> tuple[str, list[Any]]:
    """`where` narrowed to the SMS the chat `visible_to` may see (None: every SMS)."""
    if visible_to is None:
        return where, args
    return f"{where} AND {_VISIBLE}", [*args, visible_to]


_FTS_WORD = re.compile(r"\w+", re.UNICODE)


PREFIX_FROM = 3  # shorter words match whole: "1"* would match every number from 1


# The index's terms that start with a term, None when there are too many to list.
FormsOf = Callable[[str], list[str] | None]


def fts_query(text: str, forms_of: FormsOf | None = None) -> str | None:
    """User words as an FTS5 query: every word must match; words of 3+ letters as prefixes.

    Each word is quoted, so FTS operators typed by a user (`AND`, `*`, `"`, `NEAR`) are
    searched for as text instead of breaking the query. None when there is no word at all.
    With `forms_of` (the index's terms that start with a term), a word longer than the
    prefix indexes is asked for by its forms, which match what its prefix would
    (`state.word_forms`), unless it has none or too many.
    """
    words = _FTS_WORD.findall(text)
    if not words:
        return None
    # AND said, not implied by a space: FTS5 implies it between phrases, not after a group.
    return " AND ".join(_fts_word(w, forms_of) for w in words)


def _fts_word(word: str, forms_of: FormsOf | None) -> str:
    if len(word) < PREFIX_FROM:
        return f'"{word}"'
    term = word_forms.fold(word)
    if forms_of is not None and term is not None and word_forms.needs_listing(term):
        found = forms_of(term)
        if found:
            quoted = [f'"{form}"' for form in found]
            return quoted[0] if len(quoted) == 1 else f"({' OR '.join(quoted)})"
    return f'"{word}"*'


def last(store: Store, count: int, visible_to: str | None = None) -> Page:
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
    rows = store.conn.execute(sql, args).fetchall()
    return Page([sms_from_row(r) for r in reversed(rows)], len(rows))


def page_of(
    store: Store,
    where: str,
    args: Sequence[Any],
    limit: int,
    source: str,
    *,
    order: str = _NEWEST_FIRST,
    counted: str | None = None,
    oldest: bool = False,
) -> Page:
    """The first `limit` rows of `source` in `order` (newest first, unless `oldest` says
    the order walks oldest first), oldest first, and how many match in all (counted
    beside the rows, in `counted`, a cheaper source with the same rows, if given)."""
    total = store.count(f"SELECT count(*) FROM {counted or source} WHERE {where}", args)
    rows = store.conn.execute(
        f"SELECT {SMS_COLUMNS} FROM {source} WHERE {where} ORDER BY {order} LIMIT ?",
        (*args, limit),
    ).fetchall()
    in_time = rows if oldest else reversed(rows)
    return Page([sms_from_row(r) for r in in_time], total.result())


def between(
    store: Store, start: datetime, end: datetime, limit: int, visible_to: str | None = None
) -> Page:
    """SMS received in [start, end); with `visible_to`, those that chat may see.

    For one chat the window is a range of its visibility rows, counted there alone.
    """
    if visible_to is None:
        where, args = _window("1", [], start, end)
        return page_of(store, where, args, limit, "messages m")
    where, args = _window("v.chat_id = ?", [visible_to], start, end, "v.received_at")
    return page_of(
        store,
        where,
        args,
        limit,
        VISIBLE_SOURCE,
        order=_VISIBLE_NEWEST_FIRST,
        counted="message_chats v",
    )


def from_sender(
    store: Store,
    sender: str,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    visible_to: str | None = None,
) -> Page:
    """SMS from one sender, however a person wrote its number (that `visible_to` may see)."""
    where, args = _visible("m.sender_key = ?", [typed_key(sender, store.region)], visible_to)
    where, args = _window(where, args, start, end)
    return page_of(store, where, args, limit, "messages m")


def search(
    store: Store,
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
    row. With `visible_to`, the query asks for that chat's token in the index's `chats`
    column too, so FTS5 walks only the SMS the chat may see (`_in_chat`). The total is
    counted up to COUNT_CAP, beside the page (`Store.count`).
    """
    query = fts_query(words, lambda term: word_forms.forms(store.conn, term))
    if query is None:
        return Page([], 0)
    where, args = _window("messages_fts MATCH ?", [_in_chat(query, visible_to)], start, end)
    windowed = start is not None or end is not None
    if windowed:
        bounds = _id_bounds(store, start, end)
        if bounds == (None, None):
            return Page([], 0)
        if bounds is not None:
            where += " AND f.rowid BETWEEN ? AND ?"
            args += bounds
    source = "messages_fts f CROSS JOIN messages m ON m.id = f.rowid"  # FTS drives
    # The index alone can count, unless each match's time counts too.
    counted = source if windowed else "messages_fts f"
    counting = store.count(
        f"SELECT count(*) FROM (SELECT 1 FROM {counted} WHERE {where} LIMIT ?)",
        (*args, COUNT_CAP + 1),
    )
    rows = store.conn.execute(
        f"SELECT {SMS_COLUMNS} FROM {source} WHERE {where} ORDER BY f.rowid DESC LIMIT ?",
        (*args, limit),
    ).fetchall()
    page = [sms_from_row(r) for r in reversed(rows)]
    total = counting.result()
    return Page(page, min(total, COUNT_CAP), total > COUNT_CAP)


def _in_chat(query: str, visible_to: str | None) -> str:
    """The user's words matched in the text alone, and with `visible_to`, only in the SMS
    that chat's history shows: its token in the index's `chats` column."""
    words = f"{{text}} : ({query})"
    if visible_to is None:
        return words
    return f'{words} AND {{chats}} : "{chat_token(visible_to)}"'


def _id_bounds(
    store: Store, start: datetime | None, end: datetime | None
) -> tuple[int, int] | tuple[None, None] | None:
    """Smallest and largest ID received in the window; None if the window is too big
    for that to be cheap; (None, None) if it is empty."""
    where, args = _window("1", [], start, end)
    (size,) = store.conn.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM messages m WHERE {where} LIMIT ?)",
        (*args, WINDOW_SEEK_LIMIT + 1),
    ).fetchone()
    if size > WINDOW_SEEK_LIMIT:
        return None
    low, high = store.conn.execute(
        f"SELECT min(m.id), max(m.id) FROM messages m WHERE {where}", args
    ).fetchone()
    return (None, None) if low is None else (int(low), int(high))


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
