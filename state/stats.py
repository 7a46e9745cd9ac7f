"""Figures for /stats: SMS per time bucket (by route label), the busiest senders, and how
long SMS waited until someone took them. Counted by SQL, never by loading the SMS.

SQLite knows no time zones, and a day or an hour of the display zone is not a fixed span
of UTC (a day across a DST change has 23 or 25 hours; a zone may sit half an hour off
UTC). So the caller works out where each bucket starts and ends in UTC, and each bucket is
one count over the received index. Run these on a snapshot (`Store.read_snapshot`) in a
thread of its own: a year of hours is thousands of counts.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from state.store import Store
from state.times import to_db, to_db_end

_LABEL = "coalesce(m.label, '')"  # the route label of an SMS ("" when none)
_WINDOW = "m.received_at >= ? AND m.received_at < ?"


def _source(visible_to: str | None) -> tuple[str, tuple[str, ...]]:
    """The SMS counted: all of them, or (routes) those routed to one chat."""
    if visible_to is None:
        return "messages m", ()
    return "message_chats c JOIN messages m ON m.id = c.message_id AND c.chat_id = ?", (visible_to,)


@dataclass(frozen=True)
class TakeDelays:
    """From arrival to "taken", over the SMS taken: how many, the median and the 90th
    percentile (nearest rank), in seconds."""

    taken: int
    median: float
    p90: float


def counts(
    store: Store,
    bounds: Sequence[datetime],
    visible_to: str | None = None,
) -> list[dict[str, int]]:
    """SMS per bucket, by route label ("" for none): bucket i is [bounds[i], bounds[i+1]).

    `visible_to`: which chat's view (routes); None = every SMS.
    """
    source, chat = _source(visible_to)
    query = f"SELECT {_LABEL} AS label, count(*) FROM {source} WHERE {_WINDOW} GROUP BY label"
    edges = [to_db(bound) for bound in bounds[:-1]] + [to_db_end(bounds[-1])]
    found = []
    for start, end in itertools.pairwise(edges):
        rows = store.conn.execute(query, (*chat, start, end)).fetchall()
        found.append({str(label): int(n) for label, n in rows})
    return found


def top_senders(
    store: Store,
    start: datetime,
    end: datetime,
    limit: int = 5,
    visible_to: str | None = None,
) -> list[tuple[str, int]]:
    """The senders of the most SMS in [start, end), however each wrote its number.

    `visible_to`: which chat's view (routes); None = every SMS.
    """
    source, chat = _source(visible_to)
    rows = store.conn.execute(
        f"SELECT min(m.sender), count(*) AS n FROM {source} WHERE {_WINDOW} "
        "GROUP BY m.sender_key ORDER BY n DESC, min(m.sender) LIMIT ?",
        (*chat, to_db(start), to_db_end(end), limit),
    ).fetchall()
    return [(str(sender), int(n)) for sender, n in rows]


def take_delays(
    store: Store, start: datetime, end: datetime, visible_to: str | None = None
) -> TakeDelays | None:
    """How long the SMS received in [start, end) waited to be taken; None if none was.

    `visible_to`: which chat's view (routes); None = every SMS.
    """
    source, chat = _source(visible_to)
    # The source first: a chat's source is itself a join, and `takes JOIN a JOIN b ON ..
    # ON ..` is no SQL SQLite reads (/stats in a routed chat failed with a syntax error).
    joined = f"FROM {source} JOIN takes t ON t.message_id = m.id WHERE {_WINDOW}"
    args = (*chat, to_db(start), to_db_end(end))
    (taken,) = store.conn.execute(f"SELECT count(*) {joined}", args).fetchone()
    if not taken:
        return None
    delay = "unixepoch(t.taken_at) - unixepoch(m.received_at)"  # seconds

    def at_rank(fraction: float) -> float:
        rank = max(1, math.ceil(fraction * taken))
        (value,) = store.conn.execute(
            f"SELECT {delay} AS d {joined} ORDER BY d LIMIT 1 OFFSET ?", (*args, rank - 1)
        ).fetchone()
        return float(value)

    return TakeDelays(int(taken), at_rank(0.5), at_rank(0.9))
