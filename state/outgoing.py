"""SMS the bridge sends for a person, from the preview to the final status.

Functions taking the `Store` (run as `await store.call(outgoing.claim, ...)`). The rules:

- A preview becomes `sending` in one write transaction that also checks the daily limit,
  so of two presses (a double tap, two people, a press during a restart) exactly one wins;
  the row is committed before send.php is asked.
- A row found `sending` at start was interrupted between the request and its answer: it
  becomes `unknown`, to be settled by status.php, never sent again by the bridge.
- Only a person sends again, and only after status.php said SMSC never had it
  (`not_sent`), within ten minutes of the offer: that makes a new row, with a new ID, in
  the transaction that checks the daily limit and retires the old row, so a refusal
  leaves the old row as it was.
- The ID SMSC knows a send by (`send_id`) is never used twice by an install: status.php
  finds a send by the phone and this ID, and an ID used again would let an old SMS to the
  same number answer for a new one. It is the install's random prefix, made once and kept
  in `meta`, and a counter kept there too, which a purge does not take back (row IDs
  start over when the newest rows are deleted). A new database makes a new prefix.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from state.oncall import Person
from state.phones import sender_key, typed_key
from state.store import Store
from state.times import from_db, to_db, to_db_end


class OutgoingState(StrEnum):
    PREVIEW = "preview"  # shown with Send and Cancel; nothing asked of SMSC but a price
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # nobody pressed Send in time
    SENDING = "sending"  # committed before send.php was asked
    SENT = "sent"  # SMSC accepted it; delivery is followed
    UNKNOWN = "unknown"  # the answer was lost: status.php decides
    FAILED = "failed"  # SMSC refused it, or it never left: not sent, not charged
    NOT_SENT = "not_sent"  # status.php: SMSC never had it (a person may send again)
    NOT_RESENT = "not_resent"  # SMSC never had it, and nobody sent it again in time
    RESENT = "resent"  # a person sent it again: a new row, with a new ID, carries on
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    UNSETTLED = "unsettled"  # no final status within the follow-up time


# Every state in which the SMS may have gone out: these count against the daily limit,
# and history shows them.
WENT_OUT = (
    OutgoingState.SENDING,
    OutgoingState.SENT,
    OutgoingState.UNKNOWN,
    OutgoingState.DELIVERED,
    OutgoingState.UNDELIVERED,
    OutgoingState.UNSETTLED,
)
_WENT_OUT_SQL = "state IN (" + ",".join(f"'{state.value}'" for state in WENT_OUT) + ")"
_COLUMNS = (
    "id, phone, text, sender_name, parts, chat, topic_id, preview_message_id, answers_sms, "
    "author_id, author_name, created_at, expires_at, state, sent_at, smsc_id, cost, "
    "balance, status_code, checks, reason, send_id, not_found, first_not_found_at"
)
SEND_ID_PREFIX_KEY = "send_id_prefix"  # meta: this install's part of every send_id
SEND_ID_COUNTER_KEY = "send_id_counter"  # meta: the number of the last send_id made
SEND_ID_PREFIX_LENGTH = 8  # lowercase Latin letters: 26**8 installs before two may meet


@dataclass(frozen=True)
class Outgoing:
    id: int  # the row's: buttons carry it
    phone: str
    text: str
    sender_name: str | None
    parts: int
    chat: str  # where the preview is (a target key, or a private chat's ID)
    topic_id: int | None
    preview_message_id: int | None
    answers_sms: int | None  # the incoming SMS it replies to
    author: Person
    created_at: datetime
    expires_at: datetime
    state: OutgoingState
    sent_at: datetime | None
    smsc_id: int | None
    cost: str | None
    balance: str | None
    status_code: int | None
    checks: int  # status.php answers (a request that got none is not counted)
    reason: str | None
    send_id: str  # ours, never used twice: send.php gets it, status.php finds the SMS by it
    not_found: int  # status.php's "not found" answers
    first_not_found_at: datetime | None  # when the first of them came


def _row(row: Sequence[object]) -> Outgoing:
    def moment(value: object) -> datetime | None:
        return from_db(str(value)) if value else None

    created, expires = moment(row[11]), moment(row[12])
    assert created is not None and expires is not None
    return Outgoing(
        id=int(str(row[0])),
        phone=str(row[1]),
        text=str(row[2]),
        sender_name=None if row[3] is None else str(row[3]),
        parts=int(str(row[4])),
        chat=str(row[5]),
        topic_id=None if row[6] is None else int(str(row[6])),
        preview_message_id=None if row[7] is None else int(str(row[7])),
        answers_sms=None if row[8] is None else int(str(row[8])),
        author=Person(int(str(row[9])), str(row[10])),
        created_at=created,
        expires_at=expires,
        state=OutgoingState(str(row[13])),
        sent_at=moment(row[14]),
        smsc_id=None if row[15] is None else int(str(row[15])),
        cost=None if row[16] is None else str(row[16]),
        balance=None if row[17] is None else str(row[17]),
        status_code=None if row[18] is None else int(str(row[18])),
        checks=int(str(row[19])),
        reason=None if row[20] is None else str(row[20]),
        send_id=str(row[0]) if row[21] is None else str(row[21]),
        not_found=int(str(row[22])),
        first_not_found_at=moment(row[23]),
    )


@dataclass(frozen=True)
class Draft:
    """What a person asked to send, before it is stored as a preview."""

    phone: str
    text: str
    sender_name: str | None
    parts: int
    chat: str
    topic_id: int | None
    answers_sms: int | None
    author: Person


def _meta(store: Store, key: str) -> str | None:
    row = store.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def _next_send_id(store: Store) -> str:
    """A new send_id (inside a write transaction): the prefix, made on first use, and the
    counter's next number, e.g. `qzkfmwbt17`."""
    prefix = _meta(store, SEND_ID_PREFIX_KEY)
    if prefix is None:
        letters = string.ascii_lowercase
        prefix = "".join(secrets.choice(letters) for _ in range(SEND_ID_PREFIX_LENGTH))
    number = int(_meta(store, SEND_ID_COUNTER_KEY) or 0) + 1
    store.conn.executemany(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        [(SEND_ID_PREFIX_KEY, prefix), (SEND_ID_COUNTER_KEY, str(number))],
    )
    return f"{prefix}{number}"


def new_send_id(store: Store) -> str:
    """A send_id for another paid request (a voice call, `state.calls`), from the same
    prefix and counter, so that no two requests of an install ever share one."""
    return _next_send_id(store)


def _insert(
    store: Store,
    draft: Draft,
    now: datetime,
    expires_at: datetime,
    state: OutgoingState,
    preview_message_id: int | None = None,
) -> int:
    """A new row (inside a write transaction), with a new send_id; its row ID."""
    sent_at = to_db(now) if state is OutgoingState.SENDING else None
    cursor = store.conn.execute(
        "INSERT INTO outgoing (phone, phone_key, text, sender_name, parts, chat, topic_id, "
        "answers_sms, author_id, author_name, created_at, expires_at, state, sent_at, "
        "preview_message_id, send_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            draft.phone, sender_key(draft.phone, store.region), draft.text, draft.sender_name,
            draft.parts, draft.chat, draft.topic_id, draft.answers_sms, draft.author.user_id,
            draft.author.name, to_db(now), to_db(expires_at), state, sent_at,
            preview_message_id, _next_send_id(store),
        ),
    )  # fmt: skip
    return int(cursor.lastrowid or 0)


def create_preview(store: Store, draft: Draft, now: datetime, expires_at: datetime) -> Outgoing:
    with store.transaction():
        outgoing_id = _insert(store, draft, now, expires_at, OutgoingState.PREVIEW)
    found = get(store, outgoing_id)
    assert found is not None
    return found


def set_preview_message(store: Store, outgoing_id: int, message_id: int) -> None:
    with store.transaction():
        store.conn.execute(
            "UPDATE outgoing SET preview_message_id = ? WHERE id = ?", (message_id, outgoing_id)
        )


def get(store: Store, outgoing_id: int) -> Outgoing | None:
    row = store.conn.execute(
        f"SELECT {_COLUMNS} FROM outgoing WHERE id = ?", (outgoing_id,)
    ).fetchone()
    return None if row is None else _row(row)


class Claim(StrEnum):
    CLAIMED = "claimed"  # this press sends it
    TAKEN = "taken"  # not a preview (not one to send again) any more: another press came first
    EXPIRED = "expired"
    OVER_LIMIT = "over_limit"


def parts_went_out(store: Store, since: datetime) -> int:
    """SMS parts that may have gone out since `since` (a day's start, for the limit)."""
    (parts,) = store.conn.execute(
        f"SELECT coalesce(sum(parts), 0) FROM outgoing WHERE {_WENT_OUT_SQL} AND sent_at >= ?",
        (to_db(since),),
    ).fetchone()
    return int(parts)


def claim(store: Store, outgoing_id: int, now: datetime, day_start: datetime, limit: int) -> Claim:
    """Make a preview `sending`, if it still is one, in time, and within the daily limit."""
    with store.transaction():
        found = get(store, outgoing_id)
        if found is None or found.state is not OutgoingState.PREVIEW:
            return Claim.TAKEN
        if now >= found.expires_at:
            store.conn.execute(
                "UPDATE outgoing SET state = ? WHERE id = ?", (OutgoingState.EXPIRED, outgoing_id)
            )
            return Claim.EXPIRED
        if parts_went_out(store, day_start) + found.parts > limit:
            return Claim.OVER_LIMIT
        store.conn.execute(
            "UPDATE outgoing SET state = ?, sent_at = ? WHERE id = ? AND state = ?",
            (OutgoingState.SENDING, to_db(now), outgoing_id, OutgoingState.PREVIEW),
        )
    return Claim.CLAIMED


def settle(
    store: Store,
    outgoing_id: int,
    state: OutgoingState,
    *,
    reason: str | None = None,
    next_check_at: datetime | None = None,
    status_code: int | None = None,
    smsc_id: int | None = None,
    cost: str | None = None,
    balance: str | None = None,
    checked: bool = False,
) -> None:
    """Record what became of a send (fields left None keep their value)."""
    with store.transaction():
        store.conn.execute(
            "UPDATE outgoing SET state = ?, reason = coalesce(?, reason), next_check_at = ?, "
            "status_code = coalesce(?, status_code), smsc_id = coalesce(?, smsc_id), "
            "cost = coalesce(?, cost), balance = coalesce(?, balance), "
            "checks = checks + ? WHERE id = ?",
            (
                state, reason, to_db(next_check_at) if next_check_at else None, status_code,
                smsc_id, cost, balance, 1 if checked else 0, outgoing_id,
            ),
        )  # fmt: skip


def resend(
    store: Store, outgoing_id: int, now: datetime, day_start: datetime, limit: int
) -> tuple[Claim, Outgoing | None]:
    """The one "Send again" of an SMS SMSC never had: in one transaction the old row
    becomes `resent` and a new one, with a new send_id, `sending` (the new row comes
    back with CLAIMED). Expired, over the limit or already used: the old row stays."""
    with store.transaction():
        old = get(store, outgoing_id)
        if old is None or old.state is not OutgoingState.NOT_SENT:
            return Claim.TAKEN, None
        if now >= old.expires_at:
            store.conn.execute(
                "UPDATE outgoing SET state = ? WHERE id = ?", (OutgoingState.NOT_RESENT, old.id)
            )
            return Claim.EXPIRED, None
        if parts_went_out(store, day_start) + old.parts > limit:
            return Claim.OVER_LIMIT, None
        store.conn.execute(
            "UPDATE outgoing SET state = ? WHERE id = ?", (OutgoingState.RESENT, old.id)
        )
        draft = Draft(
            old.phone, old.text, old.sender_name, old.parts, old.chat, old.topic_id,
            old.answers_sms, old.author,
        )  # fmt: skip
        new_id = _insert(store, draft, now, now, OutgoingState.SENDING, old.preview_message_id)
    return Claim.CLAIMED, get(store, new_id)


def book_check(store: Store, outgoing_id: int, at: datetime) -> None:
    """Ask status.php again at `at`, and change nothing else (a request that got no answer)."""
    with store.transaction():
        store.conn.execute(
            "UPDATE outgoing SET next_check_at = ? WHERE id = ?", (to_db(at), outgoing_id)
        )


def note_not_found(
    store: Store,
    outgoing_id: int,
    now: datetime,
    *,
    next_check_at: datetime | None = None,
    offer_until: datetime | None = None,
) -> None:
    """Count a "not found" answer of status.php, and ask again at `next_check_at`; with
    `offer_until`, SMSC surely never had it: `not_sent`, "Send again" offered until then."""
    with store.transaction():
        store.conn.execute(
            "UPDATE outgoing SET not_found = not_found + 1, checks = checks + 1, "
            "first_not_found_at = coalesce(first_not_found_at, ?), next_check_at = ? "
            "WHERE id = ?",
            (to_db(now), to_db(next_check_at) if next_check_at else None, outgoing_id),
        )
        if offer_until is not None:
            store.conn.execute(
                "UPDATE outgoing SET state = ?, expires_at = ? WHERE id = ?",
                (OutgoingState.NOT_SENT, to_db(offer_until), outgoing_id),
            )


def cancel(store: Store, outgoing_id: int) -> bool:
    """Cancel a preview; False when it is not one any more."""
    with store.transaction():
        cursor = store.conn.execute(
            "UPDATE outgoing SET state = ? WHERE id = ? AND state = ?",
            (OutgoingState.CANCELLED, outgoing_id, OutgoingState.PREVIEW),
        )
    return cursor.rowcount == 1


EXPIRES_AS = {
    OutgoingState.PREVIEW: OutgoingState.EXPIRED,
    OutgoingState.NOT_SENT: OutgoingState.NOT_RESENT,
}


def expire_due(store: Store, now: datetime) -> list[Outgoing]:
    """Previews nobody sent in time become `expired`, offers to send again nobody took
    `not_resent`; returns them (to take the buttons off their message)."""
    with store.transaction():
        rows = store.conn.execute(
            f"SELECT {_COLUMNS} FROM outgoing WHERE state IN (?, ?) AND expires_at <= ?",
            (OutgoingState.PREVIEW, OutgoingState.NOT_SENT, to_db(now)),
        ).fetchall()
        expired = [_row(row) for row in rows]
        store.conn.executemany(
            "UPDATE outgoing SET state = ? WHERE id = ?",
            [(EXPIRES_AS[out.state], out.id) for out in expired],
        )
    return expired


def recover_interrupted(store: Store, check_at: datetime) -> list[int]:
    """Sends interrupted between the request and its answer: unknown, checked at `check_at`."""
    with store.transaction():
        ids = [
            int(row[0])
            for row in store.conn.execute(
                "SELECT id FROM outgoing WHERE state = ?", (OutgoingState.SENDING,)
            )
        ]
        store.conn.execute(
            "UPDATE outgoing SET state = ?, next_check_at = ?, "
            "reason = 'interrupted before its answer was recorded' WHERE state = ?",
            (OutgoingState.UNKNOWN, to_db(check_at), OutgoingState.SENDING),
        )
    return ids


def due_checks(store: Store, now: datetime) -> list[Outgoing]:
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM outgoing WHERE next_check_at IS NOT NULL "
        "AND next_check_at <= ? ORDER BY next_check_at",
        (to_db(now),),
    ).fetchall()
    return [_row(row) for row in rows]


def last_balance(store: Store) -> str | None:
    row = store.conn.execute(
        "SELECT balance FROM outgoing WHERE balance IS NOT NULL ORDER BY sent_at DESC LIMIT 1"
    ).fetchone()
    return None if row is None else str(row[0])


# -- history: what went out, beside the incoming SMS ------------------------------------


def _history(store: Store, where: str, args: Sequence[object], limit: int) -> list[Outgoing]:
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM outgoing WHERE {_WENT_OUT_SQL} AND {where} "
        "ORDER BY sent_at DESC LIMIT ?",
        (*args, limit),
    ).fetchall()
    return [_row(row) for row in reversed(rows)]


def went_out_between(store: Store, start: datetime, end: datetime, limit: int) -> list[Outgoing]:
    return _history(store, "sent_at >= ? AND sent_at < ?", (to_db(start), to_db_end(end)), limit)


def went_out_to(
    store: Store, phone: str, start: datetime | None, end: datetime | None, limit: int
) -> list[Outgoing]:
    """The SMS sent to a number as a person typed it (/from)."""
    where, args = "phone_key = ?", [typed_key(phone, store.region)]
    if start is not None and end is not None:
        where += " AND sent_at >= ? AND sent_at < ?"
        args += [to_db(start), to_db_end(end)]
    return _history(store, where, args, limit)


SEARCHED_AT_MOST = 10_000  # outgoing SMS looked through by a search (a few a day)


def went_out_with(
    store: Store, words: Sequence[str], start: datetime | None, end: datetime | None, limit: int
) -> list[Outgoing]:
    """Outgoing SMS containing every word, in any case (Cyrillic too, which SQL's LIKE
    would not fold): there are few of them, so the words are matched here."""
    if start is not None and end is not None:
        candidates = went_out_between(store, start, end, SEARCHED_AT_MOST)
    else:
        candidates = went_out_last(store, SEARCHED_AT_MOST)
    wanted = [word.casefold() for word in words]
    found = [o for o in candidates if all(w in o.text.casefold() for w in wanted)]
    return found[-limit:]


def went_out_last(store: Store, limit: int) -> list[Outgoing]:
    return _history(store, "1", (), limit)
