"""Calls when nobody takes an SMS: each chat's chain of calls, and every call placed.

Functions taking the `Store` (run as `await store.call(calls.claim_step, ...)`), like
`state.oncall`. A call costs money and wakes a person, so the rules are the replies':

- A chain is queued in the transaction that books its SMS's message sent (`queue_chain`),
  so a relayed SMS always has its chain, once.
- A step becomes a `calling` row in one write transaction (`claim_step`) that also checks
  that nobody took the SMS, that nobody answered an earlier call of the chain and the
  daily cap, and moves the chain to its next step: the row is committed before send.php
  is asked, and `UNIQUE (chat, message_id, step)` makes a second call for one step
  impossible, after a restart too. A take committed before the claim stops the chain; a
  take during the request lets the call go out and stops every later step.
- A row found `calling` at start was interrupted between the request and its answer: it
  becomes `unknown`, to be settled by status.php, never placed again (`recover_interrupted`).
- A status check that gets no answer changes nothing: the call stays unsettled, shown in
  /status, and a person decides.
- The ID SMSC knows a call by is made as an outgoing SMS's is (`outgoing.new_send_id`):
  never used twice by an install.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from state.outgoing import new_send_id
from state.store import Store
from state.times import from_db, to_db


class CallState(StrEnum):
    CALLING = "calling"  # committed before send.php was asked
    PLACED = "placed"  # SMSC took it; status.php says how it went
    REFUSED = "refused"  # SMSC's error code: nothing was placed
    NOT_MADE = "not_made"  # SMSC not reachable: nothing left the bridge
    UNKNOWN = "unknown"  # the answer was lost: status.php settles it, a person decides
    NEVER_WENT_OUT = "never_went_out"  # status.php: not found (-3), after a lost answer
    ANSWERED = "answered"
    NOT_ANSWERED = "not_answered"  # a final status that is not an answer


class Ended(StrEnum):
    """Why a chain calls nobody more."""

    TAKEN = "taken"
    ANSWERED = "answered"
    DONE = "done"  # every step of every round was called
    CAPPED = "capped"  # CALL_DAILY_LIMIT reached
    NOBODY = "nobody"  # nobody in the call order (no team member on duty)
    GONE = "gone"  # the chat is no longer configured for calls


@dataclass(frozen=True)
class Chain:
    chat: str
    smsc_id: int
    telegram_message_id: int | None
    relayed_at: datetime
    step: int  # the next step to call


@dataclass(frozen=True)
class Callee:
    key: str  # the team file's key
    name: str
    phone: str  # E.164


@dataclass(frozen=True)
class Call:
    id: int
    send_id: str
    chat: str
    smsc_id: int
    step: int
    callee: Callee
    created_at: datetime
    state: CallState
    status_code: int | None
    reason: str | None
    checks: int


_CALL_COLUMNS = (
    "id, send_id, chat, message_id, step, person, name, phone, created_at, state, "
    "status_code, reason, checks"
)


def _call(row: Sequence[object]) -> Call:
    return Call(
        id=int(str(row[0])),
        send_id=str(row[1]),
        chat=str(row[2]),
        smsc_id=int(str(row[3])),
        step=int(str(row[4])),
        callee=Callee(str(row[5]), str(row[6]), str(row[7])),
        created_at=from_db(str(row[8])),
        state=CallState(str(row[9])),
        status_code=None if row[10] is None else int(str(row[10])),
        reason=None if row[11] is None else str(row[11]),
        checks=int(str(row[12])),
    )


def queue_chain(
    store: Store,
    chat: str,
    ids: Sequence[int],
    telegram_message_id: int,
    relayed_at: datetime,
    due: datetime,
) -> None:
    """Start a chain for each SMS of `ids` in `chat`, its first call due at `due`; none for
    an SMS taken already. Inside the booking's transaction."""
    if not store.conn.in_transaction:
        raise RuntimeError("written only inside the transaction that books a delivery sent")
    store.conn.executemany(
        "INSERT OR IGNORE INTO call_chains (message_id, chat, telegram_message_id, "
        "relayed_at, due_at) SELECT ?, ?, ?, ?, ? "
        "WHERE NOT EXISTS (SELECT 1 FROM takes WHERE message_id = ?)",
        [
            (smsc_id, chat, telegram_message_id, to_db(relayed_at), to_db(due), smsc_id)
            for smsc_id in ids
        ],
    )


def due_chains(store: Store, now: datetime) -> list[Chain]:
    """Chains whose next step fell due by `now`, oldest first."""
    rows = store.conn.execute(
        "SELECT chat, message_id, telegram_message_id, relayed_at, step FROM call_chains "
        "WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, message_id",
        (to_db(now),),
    )
    return [Chain(chat, smsc_id, tg, from_db(at), step) for chat, smsc_id, tg, at, step in rows]


def end_chain(store: Store, chat: str, smsc_id: int, why: Ended) -> None:
    with store.transaction():
        _end(store, chat, smsc_id, why)


def _end(store: Store, chat: str, smsc_id: int, why: Ended) -> None:
    store.conn.execute(
        "UPDATE call_chains SET due_at = NULL, ended = coalesce(ended, ?) "
        "WHERE chat = ? AND message_id = ?",
        (why, chat, smsc_id),
    )


class Claimed(StrEnum):
    CLAIMED = "claimed"
    TAKEN = "taken"
    ANSWERED = "answered"
    CAPPED = "capped"  # the cap was reached: the chat is to be told (once a day)
    CAPPED_TOLD = "capped_told"  # the cap was reached and the chat was told already
    STALE = "stale"  # another pass moved the chain on (or ended it) meanwhile


@dataclass(frozen=True)
class Claim:
    outcome: Claimed
    call: Call | None = None


def taken(store: Store, smsc_id: int) -> bool:
    row = store.conn.execute("SELECT 1 FROM takes WHERE message_id = ?", (smsc_id,))
    return row.fetchone() is not None


def claim_step(
    store: Store,
    chain: Chain,
    callee: Callee,
    now: datetime,
    day_start: datetime,
    limit: int,
    next_due: datetime | None,
) -> Claim:
    """Store the call of `chain`'s step to `callee` before it is placed, and move the chain
    on to `next_due` (None: this is its last step), in one transaction; or say why not."""
    conn = store.conn
    with store.transaction():
        row = conn.execute(
            "SELECT step FROM call_chains WHERE chat = ? AND message_id = ? AND due_at IS NOT NULL",
            (chain.chat, chain.smsc_id),
        ).fetchone()
        if row is None or int(row[0]) != chain.step:
            return Claim(Claimed.STALE)
        if taken(store, chain.smsc_id):
            _end(store, chain.chat, chain.smsc_id, Ended.TAKEN)
            return Claim(Claimed.TAKEN)
        answered = conn.execute(
            "SELECT 1 FROM calls WHERE chat = ? AND message_id = ? AND state = ?",
            (chain.chat, chain.smsc_id, CallState.ANSWERED),
        ).fetchone()
        if answered is not None:
            _end(store, chain.chat, chain.smsc_id, Ended.ANSWERED)
            return Claim(Claimed.ANSWERED)
        if calls_since(store, day_start) >= limit:
            _end(store, chain.chat, chain.smsc_id, Ended.CAPPED)
            told = conn.execute(
                "INSERT OR IGNORE INTO call_cap_notices (day, chat) VALUES (?, ?)",
                (to_db(day_start), chain.chat),
            )
            return Claim(Claimed.CAPPED if told.rowcount else Claimed.CAPPED_TOLD)
        cursor = conn.execute(
            "INSERT INTO calls (send_id, chat, message_id, step, person, name, phone, "
            "created_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                new_send_id(store), chain.chat, chain.smsc_id, chain.step, callee.key,
                callee.name, callee.phone, to_db(now), CallState.CALLING,
            ),
        )  # fmt: skip
        conn.execute(
            "UPDATE call_chains SET step = step + 1, due_at = ?, ended = ? "
            "WHERE chat = ? AND message_id = ?",
            (
                None if next_due is None else to_db(next_due),
                None if next_due is not None else Ended.DONE,
                chain.chat,
                chain.smsc_id,
            ),
        )
        call = get(store, int(cursor.lastrowid or 0))
    return Claim(Claimed.CLAIMED, call)


def get(store: Store, call_id: int) -> Call | None:
    row = store.conn.execute(
        f"SELECT {_CALL_COLUMNS} FROM calls WHERE id = ?", (call_id,)
    ).fetchone()
    return None if row is None else _call(row)


def calls_of(store: Store, chat: str, smsc_id: int) -> list[Call]:
    """A chain's calls, first to last."""
    rows = store.conn.execute(
        f"SELECT {_CALL_COLUMNS} FROM calls WHERE chat = ? AND message_id = ? ORDER BY step",
        (chat, smsc_id),
    )
    return [_call(row) for row in rows]


def settle(
    store: Store,
    call_id: int,
    state: CallState,
    *,
    status_code: int | None = None,
    reason: str | None = None,
    smsc_id: int | None = None,
    cost: str | None = None,
    next_check_at: datetime | None = None,
) -> None:
    """What a call's request or a status check said; `next_check_at`: ask status.php then."""
    with store.transaction():
        store.conn.execute(
            "UPDATE calls SET state = ?, status_code = coalesce(?, status_code), "
            "reason = coalesce(?, reason), smsc_id = coalesce(?, smsc_id), "
            "cost = coalesce(?, cost), next_check_at = ? WHERE id = ?",
            (
                state, status_code, reason, smsc_id, cost,
                None if next_check_at is None else to_db(next_check_at), call_id,
            ),
        )  # fmt: skip


def checked(
    store: Store, call_id: int, state: CallState, code: int, next_check_at: datetime | None
) -> bool:
    """A status check's answer; True when it changed the call's state (to be told)."""
    with store.transaction():
        before = store.conn.execute("SELECT state FROM calls WHERE id = ?", (call_id,)).fetchone()
        store.conn.execute(
            "UPDATE calls SET state = ?, status_code = ?, checks = checks + 1, "
            "next_check_at = ? WHERE id = ?",
            (state, code, None if next_check_at is None else to_db(next_check_at), call_id),
        )
        if state is CallState.ANSWERED:
            row = store.conn.execute(
                "SELECT chat, message_id FROM calls WHERE id = ?", (call_id,)
            ).fetchone()
            _end(store, str(row[0]), int(row[1]), Ended.ANSWERED)
    return before is not None and str(before[0]) != state


def book_check(store: Store, call_id: int, at: datetime | None) -> None:
    """Ask status.php again at `at` (None: not any more), changing nothing else."""
    with store.transaction():
        store.conn.execute(
            "UPDATE calls SET checks = checks + 1, next_check_at = ? WHERE id = ?",
            (None if at is None else to_db(at), call_id),
        )


def due_checks(store: Store, now: datetime) -> list[Call]:
    rows = store.conn.execute(
        f"SELECT {_CALL_COLUMNS} FROM calls WHERE next_check_at IS NOT NULL "
        "AND next_check_at <= ? ORDER BY next_check_at",
        (to_db(now),),
    )
    return [_call(row) for row in rows]


def recover_interrupted(store: Store, check_at: datetime) -> list[int]:
    """Calls a crash left between the request and its answer: `unknown`, asked of
    status.php at `check_at`, never placed again. Their IDs."""
    with store.transaction():
        rows = store.conn.execute(
            "SELECT id FROM calls WHERE state = ?", (CallState.CALLING,)
        ).fetchall()
        store.conn.execute(
            "UPDATE calls SET state = ?, next_check_at = ? WHERE state = ?",
            (CallState.UNKNOWN, to_db(check_at), CallState.CALLING),
        )
    return [int(row[0]) for row in rows]


def calls_since(store: Store, since: datetime) -> int:
    """Calls stored since `since` (what the daily cap counts: every request made)."""
    row = store.conn.execute(
        "SELECT count(*) FROM calls WHERE created_at >= ?", (to_db(since),)
    ).fetchone()
    return int(row[0])


def unsettled(store: Store) -> list[Call]:
    """Calls whose answer was lost and status.php has not settled, oldest first."""
    rows = store.conn.execute(
        f"SELECT {_CALL_COLUMNS} FROM calls WHERE state = ? ORDER BY id",
        (CallState.UNKNOWN,),
    )
    return [_call(row) for row in rows]


def chain_message(store: Store, chat: str, smsc_id: int) -> int | None:
    """The relayed message a chain's lines reply to."""
    row = store.conn.execute(
        "SELECT telegram_message_id FROM call_chains WHERE chat = ? AND message_id = ?",
        (chat, smsc_id),
    ).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def was_last(store: Store, call: Call) -> bool:
    """Whether `call` is its chain's last: the chain is over, all its steps called."""
    row = store.conn.execute(
        "SELECT ended, step FROM call_chains WHERE chat = ? AND message_id = ?",
        (call.chat, call.smsc_id),
    ).fetchone()
    return row is not None and row[0] == Ended.DONE and int(row[1]) == call.step + 1
