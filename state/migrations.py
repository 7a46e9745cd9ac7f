"""The migrations: how a database written by any earlier release reaches this one.

`PRAGMA user_version` holds the schema version. Each migration takes the database from
version N-1 to N and is idempotent, so a crash halfway through one is repaired by running
it again on the next start; the version is written only after the step finished. A later
release appends to MIGRATIONS and never edits a published step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlite_utils import Database

from state.phones import DEFAULT_REGION, sender_key
from state.schema import (
    FAILED_DELIVERY,
    FTS_TOKENIZER,
    OPEN_DELIVERY,
    UNCERTAIN_DELIVERY,
    chat_token,
)
from state.transactions import write_transaction

log = logging.getLogger(__name__)

# The index by sender (for /from), by name. A first start's fill of an empty store leaves
# it out and builds it at its end (state.first_fill); `migrate` builds it again at every
# open where a fill stopped by a crash left it out.
SENDER_INDEX = "idx_messages_sender_key_received_at"
CREATE_SENDER_INDEX = (
    f"CREATE INDEX IF NOT EXISTS {SENDER_INDEX} ON messages (sender_key, received_at)"
)


def _v1_initial(db: Database) -> None:
    """Messages keyed by SMSC ID, the per-chat outbox, and a key-value table for markers."""
    messages = db.table("messages")
    messages.create(
        {
            "id": int,  # the SMSC ID: the dedup key and the poll cursor
            "sender": str,
            "sender_key": str,  # sender normalised for /from (state.phones.sender_key)
            "recipient": str,
            "text": str,
            "received_at": str,  # UTC, state.times format
            "sent_at": str,
            "fetched_at": str,
        },
        pk="id",
        not_null={"sender", "sender_key", "recipient", "text", "received_at", "fetched_at"},
        if_not_exists=True,
    )
    messages.create_index(["received_at"], if_not_exists=True)
    messages.create_index(["sender_key", "received_at"], if_not_exists=True)
    db.table("deliveries").create(
        {
            "message_id": int,
            "chat": str,  # config.ChatTarget.key: "CHAT" or "CHAT:TOPIC"
            "status": str,  # models.DeliveryStatus
            "attempts": int,
            "uncertain": int,  # sends whose answer never came: a duplicate is possible
            "telegram_message_id": int,
            "error": str,
            "created_at": str,
            "updated_at": str,
            "sent_at": str,  # when Telegram accepted it; renamed delivered_at by v3
        },
        pk=("message_id", "chat"),
        not_null={"status", "attempts", "uncertain", "created_at", "updated_at"},
        defaults={"attempts": 0, "uncertain": 0},
        foreign_keys=[("message_id", "messages", "id")],
        if_not_exists=True,
    )
    # Partial indexes keep the relay's queue look-ups and /status counts small however
    # long the sent history grows.
    db.execute(
        "CREATE INDEX IF NOT EXISTS deliveries_open ON deliveries (chat, message_id) "
        f"WHERE {OPEN_DELIVERY}"
    )
    db.execute(
        f"CREATE INDEX IF NOT EXISTS deliveries_failed ON deliveries (chat) WHERE {FAILED_DELIVERY}"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS deliveries_uncertain ON deliveries (chat) "
        f"WHERE {UNCERTAIN_DELIVERY}"
    )
    db.table("meta").create({"key": str, "value": str}, pk="key", if_not_exists=True)
    db.table("chat_migrations").create(
        {"chat": str, "chat_id": int, "migrated_at": str}, pk="chat", if_not_exists=True
    )
    messages.enable_fts(["text"], create_triggers=True, tokenize=FTS_TOKENIZER, replace=True)


# The prefix lengths FTS5 indexes: "парол"* reads one doclist. Search makes a prefix of
# each word of 3+ letters (state.history.PREFIX_FROM); a longer one reads the terms that
# start with it from the main index (10 ms on a million SMS instead of 1.4).
FTS_PREFIXES = "3 4 5"


def _v2_fts_prefix_index(db: Database) -> None:
    """Rebuild the full-text index with prefix indexes.

    Search matches each word of 3+ letters as a prefix ("парол" finds "пароль",
    "пароля"). Without a prefix index FTS5 merges the doclists of every term with that
    prefix: 20 ms and more on a million SMS for a common word. With one, a prefix query
    costs what a whole-word query does. The index grows by about a third.
    """
    (sql,) = db.execute(
        "SELECT coalesce(max(sql), '') FROM sqlite_master WHERE name = 'messages_fts'"
    ).fetchone()
    if "prefix=" in sql:
        return  # done by an earlier, interrupted run of this step
    rebuild_text_index(db, "2 3 4 5 6")


def rebuild_text_index(db: Database, prefixes: str) -> None:
    """The full-text index made again with these prefix indexes and the columns it has
    (the text alone where there is none), from the stored rows."""
    columns = ", ".join(column.name for column in db["messages_fts"].columns) or "text"
    with write_transaction(db.conn):
        _make_text_index(db, prefixes, columns)


def _make_text_index(db: Database, prefixes: str, columns: str) -> None:
    db.execute("DROP TABLE IF EXISTS messages_fts")  # messages' triggers name it again
    # content="messages" in quotes, as sqlite-utils writes it, so that its
    # detect_fts() and table.search() keep recognising the index.
    db.execute(
        f"CREATE VIRTUAL TABLE messages_fts USING FTS5 ({columns}, "
        f"tokenize='{FTS_TOKENIZER}', prefix='{prefixes}', content=\"messages\")"
    )
    db.execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')")


def _v3_deliveries_delivered_at(db: Database) -> None:
    """Rename deliveries.sent_at to delivered_at: one meaning per name.

    `sent_at` in messages is when the subscriber sent the SMS; in deliveries it was when
    Telegram accepted it. The rename is one statement, atomic on its own; the check makes a
    second run (after a crash before the version was written) a no-op.
    """
    columns = {row[1] for row in db.execute("PRAGMA table_info(deliveries)").fetchall()}
    if "sent_at" in columns:
        db.execute("ALTER TABLE deliveries RENAME COLUMN sent_at TO delivered_at")


def _v4_receiving_numbers(db: Database) -> None:
    """The account's receiving numbers, one row each, kept as SMS are stored.

    A relayed SMS names the number it went to only when the account has several; asking
    `count(DISTINCT recipient)` of a million messages for every SMS would cost a scan.
    """
    with write_transaction(db.conn):
        db.execute(
            "CREATE TABLE IF NOT EXISTS receiving_numbers (number TEXT PRIMARY KEY) WITHOUT ROWID"
        )
        db.execute(
            "INSERT OR IGNORE INTO receiving_numbers (number) "
            "SELECT DISTINCT recipient FROM messages WHERE recipient != ''"
        )


def _v5_on_call(db: Database) -> None:
    """Who took which SMS, who is on duty where, what each button message shows, and the
    reminders that fall due for SMS nobody took.

    `takes` has one row per taken SMS: its primary key is what makes the first press win.
    `shown` keeps the HTML of each relayed message that carries a button, so that an edit
    after a press repeats exactly what the chat saw (the "2 minutes late" words included),
    after a restart too. `reminders_due` holds only what may still need a reminder, so the
    escalation loop reads a handful of rows, never the history.
    """
    with write_transaction(db.conn):
        db.execute(
            "CREATE TABLE IF NOT EXISTS takes (message_id INTEGER PRIMARY KEY "
            "REFERENCES messages(id), user_id INTEGER NOT NULL, user_name TEXT NOT NULL, "
            "taken_at TEXT NOT NULL)"
        )
        db.execute(
            "CREATE TABLE IF NOT EXISTS on_duty (chat TEXT NOT NULL, user_id INTEGER NOT NULL, "
            "user_name TEXT NOT NULL, since TEXT NOT NULL, PRIMARY KEY (chat, user_id)) "
            "WITHOUT ROWID"
        )
        db.execute(
            "CREATE TABLE IF NOT EXISTS shown (chat TEXT NOT NULL, "
            "telegram_message_id INTEGER NOT NULL, html TEXT NOT NULL, "
            "PRIMARY KEY (chat, telegram_message_id)) WITHOUT ROWID"
        )
        db.execute(
            "CREATE TABLE IF NOT EXISTS reminders_due (chat TEXT NOT NULL, "
            "message_id INTEGER NOT NULL REFERENCES messages(id), due_at TEXT NOT NULL, "
            "PRIMARY KEY (chat, message_id)) WITHOUT ROWID"
        )
        db.execute(
            "CREATE INDEX IF NOT EXISTS deliveries_by_telegram_message "
            "ON deliveries (chat, telegram_message_id)"
        )


def _add_column(db: Database, table: str, column: str, declaration: str) -> None:
    """ALTER TABLE ADD COLUMN, unless an earlier, interrupted run of the step added it."""
    columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})").fetchall()}
    if column not in columns:
        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


def _v6_routes(db: Database) -> None:
    """Routes (ROUTES_FILE): what decided where an SMS went, and whose history shows it.

    `messages.route` names the route that decided (NULL: none matched, or no routes) and
    `messages.label` is its label, shown with the SMS; `deliveries.silent` sends one
    without a notification sound. `message_chats` lists, per chat ID, the SMS routed to
    that chat (relayed, or kept as history on the first start), keyed so that one chat's
    history in received order is one index range: /last and /history walk it in order,
    /from looks a row up by its whole key, and /search, walking the full-text index by
    message ID, looks it up by (chat, ID) in a second index, without reading the message.
    It is written in the transaction that stores the SMS. SMS stored before this step have
    no rows: nothing reads the table unless routes are set.
    """
    with write_transaction(db.conn):
        _add_column(db, "messages", "route", "TEXT")
        _add_column(db, "messages", "label", "TEXT")
        _add_column(db, "deliveries", "silent", "INTEGER NOT NULL DEFAULT 0")
        db.execute(
            "CREATE TABLE IF NOT EXISTS message_chats ("
            "chat_id TEXT NOT NULL, "  # the configured chat's Telegram ID, as text
            "received_at TEXT NOT NULL, "  # the SMS's received_at, for the order
            "message_id INTEGER NOT NULL REFERENCES messages (id), "
            "PRIMARY KEY (chat_id, received_at, message_id)) WITHOUT ROWID"
        )
        db.execute(
            "CREATE INDEX IF NOT EXISTS message_chats_by_id ON message_chats (chat_id, message_id)"
        )


def _v7_outgoing(db: Database) -> None:
    """SMS the bridge sends for a person: one row from the preview to the final status.

    The row is written (state `sending`) before send.php is asked, so a crash between the
    request and its answer leaves a row that says "maybe sent": the next start checks
    status.php and never sends it again by itself. `id` is the ID SMSC gets with the send.
    """
    with write_transaction(db.conn):
        db.execute(
            "CREATE TABLE IF NOT EXISTS outgoing ("
            "id INTEGER PRIMARY KEY, phone TEXT NOT NULL, phone_key TEXT NOT NULL, "
            "text TEXT NOT NULL, sender_name TEXT, parts INTEGER NOT NULL, "
            "chat TEXT NOT NULL, topic_id INTEGER, preview_message_id INTEGER, "
            "answers_sms INTEGER, author_id INTEGER NOT NULL, author_name TEXT NOT NULL, "
            "created_at TEXT NOT NULL, expires_at TEXT NOT NULL, state TEXT NOT NULL, "
            "sent_at TEXT, smsc_id INTEGER, cost TEXT, balance TEXT, status_code INTEGER, "
            "checks INTEGER NOT NULL DEFAULT 0, next_check_at TEXT, reason TEXT)"
        )
        db.execute("CREATE INDEX IF NOT EXISTS outgoing_by_time ON outgoing (created_at)")
        db.execute("CREATE INDEX IF NOT EXISTS outgoing_by_phone ON outgoing (phone_key)")
        db.execute(
            "CREATE INDEX IF NOT EXISTS outgoing_to_check ON outgoing (next_check_at) "
            "WHERE next_check_at IS NOT NULL"
        )


REKEY_BATCH = 20_000  # messages re-keyed per write transaction by v8


def _v8_phone_numbers_read_by_phonenumbers(db: Database) -> None:
    """Sender and phone keys recomputed by `state.phones`, now that `phonenumbers` reads them.

    The keys were digits with a Russian `8` turned into `7`; now they are E.164 digits
    (`state.phones.sender_key`). Stored senders and sent-to numbers are as SMSC takes
    them, bare international digits, which read the same in every region, so the step
    needs no PHONE_REGION (it cannot know it) and reads them in the default, `RU`. Most
    keys do not change: only rows whose key differs are written, in batches of
    REKEY_BATCH messages by ID, each its own transaction, so a million SMS never hold the
    write lock long. A rerun after a crash finds the rows already done equal and skips
    them. Routes store no keys (they are read from the file at each start).
    """
    db.conn.create_function(
        "new_key", 1, lambda text: sender_key(text, DEFAULT_REGION), deterministic=True
    )
    last_id = -1
    while True:
        (batch_end,) = db.execute(
            "SELECT max(id) FROM (SELECT id FROM messages WHERE id > ? ORDER BY id LIMIT ?)",
            [last_id, REKEY_BATCH],
        ).fetchone()
        if batch_end is None:
            break
        with write_transaction(db.conn):
            db.execute(
                "UPDATE messages SET sender_key = new_key(sender) "
                "WHERE id > ? AND id <= ? AND sender_key IS NOT new_key(sender)",
                [last_id, batch_end],
            )
        last_id = batch_end
    with write_transaction(db.conn):
        db.execute(
            "UPDATE outgoing SET phone_key = new_key(phone) WHERE phone_key IS NOT new_key(phone)"
        )


def _v9_indexes_for_deleting_an_sms(db: Database) -> None:
    """Deleting an SMS (a purge) must not scan every chat's visibility rows: with foreign
    keys on, each deleted message looks up the rows naming it, and neither table had an
    index led by the SMS's ID (a batch of 200 took 4 to 5 s on a million-SMS file)."""
    with write_transaction(db.conn):
        db.execute(
            "CREATE INDEX IF NOT EXISTS message_chats_by_message ON message_chats (message_id)"
        )
        db.execute(
            "CREATE INDEX IF NOT EXISTS reminders_due_by_message ON reminders_due (message_id)"
        )


def _v10_outgoing_send_ids_and_not_found(db: Database) -> None:
    """The ID SMSC knows each send by, unique for the life of the install, and the
    "not found" answers of status.php counted apart from the other checks.

    `send_id` is what send.php's and status.php's `id` carry: status.php finds a send by
    the phone and this ID, so an ID used again (row IDs start over after a purge, and on a
    new database) let an old SMS to the same number settle a new one. New sends get the
    install's random prefix and a counter that never goes back (`state.outgoing`); a row
    from before keeps the ID it was sent with, its row ID. `not_found` and
    `first_not_found_at` are what "Send again" waits for (`bot.features.replies.tracking`).
    """
    with write_transaction(db.conn):
        _add_column(db, "outgoing", "send_id", "TEXT")
        _add_column(db, "outgoing", "not_found", "INTEGER NOT NULL DEFAULT 0")
        _add_column(db, "outgoing", "first_not_found_at", "TEXT")
        db.execute("UPDATE outgoing SET send_id = CAST(id AS TEXT) WHERE send_id IS NULL")


def _v11_damaged_and_kept_aside(db: Database) -> None:
    """An SMS with unreadable characters is stored with each replaced by U+FFFD and marked
    `damaged`; one the database still refuses is kept aside, as read, in `kept_aside`.

    The SMS after a refused one must not wait for it: the poll cursor is the largest ID
    of both tables, and an SMS kept aside counts as seen when it is fetched again (the
    re-read of the last hour), so it is neither retried at every poll nor alerted twice.
    `raw` is the record as read, in JSON with every non-ASCII character escaped (so it
    always fits in the table); `reason` the kind of error and SQLite's words.
    """
    with write_transaction(db.conn):
        _add_column(db, "messages", "damaged", "INTEGER NOT NULL DEFAULT 0")
        db.execute(
            "CREATE TABLE IF NOT EXISTS kept_aside (smsc_id INTEGER PRIMARY KEY, "
            "raw TEXT NOT NULL, reason TEXT NOT NULL, kept_at TEXT NOT NULL)"
        )


def _v12_outgoing_under_the_configured_chat(db: Database) -> None:
    """An SMS sent from a group that became a supergroup names the group by the ID it was
    configured with, as its history does (`message_chats`); earlier releases stored the
    new ID, so the group's /history and /export left out what it sent after the move."""
    with write_transaction(db.conn):
        db.execute(
            "UPDATE outgoing SET chat = (SELECT m.chat FROM chat_migrations m "
            "WHERE CAST(m.chat_id AS TEXT) = outgoing.chat) "
            "WHERE chat IN (SELECT CAST(chat_id AS TEXT) FROM chat_migrations)"
        )


def _v13_quiet_hours(db: Database) -> None:
    """A route's quiet hours (`quiet = "23:00-07:00"`), kept for each delivery they apply
    to, as the route wrote them: whether the SMS goes without a sound is decided when it
    is relayed (by the hour then), and editing the file later changes no queued SMS.

    A table beside `deliveries`, not a column of it: few deliveries have quiet hours, and
    a wider `deliveries` row turns SQLite's planner (which has no statistics) from the
    partial index of open deliveries to one that walks a chat's whole history. Written in
    the transaction that stores the SMS, deleted with it (`state.retention.SMS_TABLES`).
    """
    with write_transaction(db.conn):
        db.execute(
            "CREATE TABLE IF NOT EXISTS quiet_deliveries ("
            "message_id INTEGER NOT NULL REFERENCES messages (id), "
            "chat TEXT NOT NULL, "  # the delivery's target key
            "hours TEXT NOT NULL, "  # as bot.routing.quiet reads them
            "PRIMARY KEY (message_id, chat)) WITHOUT ROWID"
        )


def _v14_silences(db: Database) -> None:
    """Silences set from a chat (`/mute`): what they match, who set them, until when, how
    many SMS they muted, and whether the chat was told they ended (`state.silences`)."""
    with write_transaction(db.conn):
        db.execute(
            "CREATE TABLE IF NOT EXISTS silences ("
            "id INTEGER PRIMARY KEY, chat TEXT NOT NULL, match_text TEXT NOT NULL, "
            "match_key TEXT NOT NULL, set_by_id INTEGER NOT NULL, set_by_name TEXT NOT NULL, "
            "created_at TEXT NOT NULL, ends_at TEXT NOT NULL, "
            "muted INTEGER NOT NULL DEFAULT 0, told INTEGER NOT NULL DEFAULT 0)"
        )
        db.execute(
            "CREATE INDEX IF NOT EXISTS silences_in_force ON silences (chat, ends_at) "
            "WHERE told = 0"
        )


def _v15_collapsed_repeats(db: Database) -> None:
    """A route's `collapse` window, kept for each delivery it applies to (as `quiet` is,
    and for the same reasons: a table beside `deliveries`, written with the SMS), and the
    runs of repeats: a relayed message that later copies of its SMS fold into, with what
    it showed, how many it counts, and how many its text in the chat shows so far
    (`state.repeats`)."""
    with write_transaction(db.conn):
        db.execute(
            "CREATE TABLE IF NOT EXISTS collapse_deliveries ("
            "message_id INTEGER NOT NULL REFERENCES messages (id), "
            "chat TEXT NOT NULL, "  # the delivery's target key
            "seconds INTEGER NOT NULL, "
            "PRIMARY KEY (message_id, chat)) WITHOUT ROWID"
        )
        db.execute(
            "CREATE TABLE IF NOT EXISTS repeat_runs ("
            "chat TEXT NOT NULL, "  # the target key
            "telegram_message_id INTEGER NOT NULL, "
            "message_id INTEGER NOT NULL REFERENCES messages (id), "  # the first SMS
            "html TEXT NOT NULL, "  # the message as the relay made it, before any hook
            "started_at TEXT NOT NULL, "  # when it was relayed: the window runs from here
            "count INTEGER NOT NULL DEFAULT 1, "  # SMS it stands for
            "last_at TEXT NOT NULL, "  # when SMSC received the latest of them
            "shown INTEGER NOT NULL DEFAULT 1, "  # the count its text in the chat shows
            "closed INTEGER NOT NULL DEFAULT 0, "  # its message cannot be edited: no more
            "PRIMARY KEY (chat, telegram_message_id))"
        )
        db.execute(
            "CREATE INDEX IF NOT EXISTS repeat_runs_by_start ON repeat_runs (chat, started_at)"
        )
        db.execute("CREATE INDEX IF NOT EXISTS repeat_runs_by_sms ON repeat_runs (message_id)")


def _v16_text_indexed_a_page_at_a_time(db: Database) -> None:
    """New SMS enter the full-text index a page at a time (`state.messages`), not through
    a trigger row by row, which cost three times as much and four fifths of storing a
    catch-up (docs/benchmarks.md). Deleting and updating an SMS keep their triggers."""
    with write_transaction(db.conn):
        db.execute("DROP TRIGGER IF EXISTS messages_ai")


def _v17_duty_handovers(db: Database) -> None:
    """On-call schedules (`state.duty`): each handover a chat was told of, so a restart
    tells it once, and who said `/oncall off` when (an override of the schedule until its
    next handover, as `on_duty.since` is for `/oncall me`)."""
    with write_transaction(db.conn):
        db.execute(
            "CREATE TABLE IF NOT EXISTS duty_handovers ("
            "chat TEXT NOT NULL, at TEXT NOT NULL, told_at TEXT NOT NULL, "
            "PRIMARY KEY (chat, at))"
        )
        db.execute(
            "CREATE TABLE IF NOT EXISTS off_duty ("
            "chat TEXT NOT NULL, user_id INTEGER NOT NULL, since TEXT NOT NULL, "
            "PRIMARY KEY (chat, user_id))"
        )


def _v18_calls(db: Database) -> None:
    """Calls when nobody takes an SMS (`state.calls`): each chat's chain for an SMS (the
    next step and when it falls due, written with the delivery), and every call placed,
    stored before send.php is asked with an ID of its own; one row per chain step, so a
    step is never called twice."""
    with write_transaction(db.conn):
        db.execute(
            "CREATE TABLE IF NOT EXISTS call_chains ("
            "message_id INTEGER NOT NULL REFERENCES messages (id), "
            "chat TEXT NOT NULL, "  # the delivery's target key
            "telegram_message_id INTEGER, "  # the relayed message the chain replies to
            "relayed_at TEXT NOT NULL, "
            "step INTEGER NOT NULL DEFAULT 0, "  # the next step to call, from 0
            "due_at TEXT, "  # when it falls due; NULL: the chain is over
            "ended TEXT, "  # why it is over: taken, answered, done, capped, nobody
            "PRIMARY KEY (chat, message_id)) WITHOUT ROWID"
        )
        db.execute("CREATE INDEX IF NOT EXISTS call_chains_due ON call_chains (due_at)")
        db.execute(
            "CREATE TABLE IF NOT EXISTS calls ("
            "id INTEGER PRIMARY KEY, "
            "send_id TEXT NOT NULL UNIQUE, "  # ours, as for outgoing SMS: never used twice
            "chat TEXT NOT NULL, message_id INTEGER NOT NULL, step INTEGER NOT NULL, "
            "person TEXT NOT NULL, name TEXT NOT NULL, phone TEXT NOT NULL, "
            "created_at TEXT NOT NULL, "
            "state TEXT NOT NULL, "  # state.calls.CallState
            "status_code INTEGER, reason TEXT, smsc_id INTEGER, cost TEXT, "
            "next_check_at TEXT, checks INTEGER NOT NULL DEFAULT 0, "
            "told INTEGER NOT NULL DEFAULT 0, "  # the chat was told how it ended
            "UNIQUE (chat, message_id, step))"
        )
        db.execute("CREATE INDEX IF NOT EXISTS calls_by_day ON calls (created_at)")
        db.execute(
            "CREATE TABLE IF NOT EXISTS call_cap_notices (day TEXT NOT NULL, "
            "chat TEXT NOT NULL, PRIMARY KEY (day, chat)) WITHOUT ROWID"
        )


def _v19_fewer_prefix_indexes(db: Database) -> None:
    """Index the text's prefixes of 3, 4 and 5 letters, not 2 to 6 (FTS_PREFIXES).

    Each prefix index is written for every word of every new SMS. Search never asks for
    a 2-letter prefix; a 6-letter one now reads its terms from the main index, as a
    longer word always did (10 ms p95 on a million SMS instead of 1.4 ms, within the
    20 ms target), and storing a million SMS raw takes 61 s instead of 70
    (docs/benchmarks.md). The index is built again once, from the stored texts (15 s
    for a million SMS).
    """
    (sql,) = db.execute(
        "SELECT coalesce(max(sql), '') FROM sqlite_master WHERE name = 'messages_fts'"
    ).fetchone()
    if f"prefix='{FTS_PREFIXES}'" not in sql:
        rebuild_text_index(db, FTS_PREFIXES)


def _v20_indexed_words(db: Database) -> None:
    """A listing of the words the full-text index holds (`indexed_words`, an fts5vocab
    table: it stores nothing, it reads the index). Search asks for a word longer than the
    prefix indexes by its forms listed there, instead of as a prefix (`state.word_forms`)."""
    db.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS indexed_words USING fts5vocab(messages_fts, instance)"
    )


def _v21_chats_in_the_text_index(db: Database) -> None:
    """The full-text index gets a second column, `chats`: the tokens of the chats whose
    history shows the SMS (`state.schema.chat_tokens`), also kept in `messages.chats`,
    which the index reads them from when it deletes or rebuilds. A routed chat's /search
    asks for its token beside the words (FTS5 walks both lists), not each match's
    visibility row, so the index of `message_chats` by chat and ID, which only that
    look-up read, is dropped. Stored SMS get their tokens from `message_chats`; the
    index is built again once (about 15 s per million SMS). One transaction: a crash
    leaves the step undone, and the next start runs it whole.
    """
    db.conn.create_function("chat_token", 1, chat_token, deterministic=True)
    with write_transaction(db.conn):
        # The triggers name the index's columns; without them, filling the column does
        # not update the index row by row (it is built once, after).
        db.execute("DROP TRIGGER IF EXISTS messages_au")
        db.execute("DROP TRIGGER IF EXISTS messages_ad")
        _add_column(db, "messages", "chats", "TEXT")
        db.execute(
            "UPDATE messages SET chats = (SELECT group_concat(chat_token(v.chat_id), ' ') "
            "FROM message_chats v WHERE v.message_id = messages.id) "
            "WHERE id IN (SELECT message_id FROM message_chats)"
        )
        _make_text_index(db, FTS_PREFIXES, "text, chats")
        # The index named in quotes, as sqlite-utils writes it, so that its
        # disable_fts() (a rerun of step 1 after a crash) finds these triggers too.
        db.execute(
            'CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN INSERT INTO "messages_fts" '
            "(messages_fts, rowid, text, chats) VALUES ('delete', old.id, old.text, old.chats); "
            "END"
        )
        db.execute(
            "CREATE TRIGGER messages_au AFTER UPDATE OF text, chats ON messages BEGIN "
            'INSERT INTO "messages_fts" (messages_fts, rowid, text, chats) '
            "VALUES ('delete', old.id, old.text, old.chats); "
            'INSERT INTO "messages_fts" (rowid, text, chats) VALUES (new.id, new.text, new.chats); '
            "END"
        )
        db.execute("DROP INDEX IF EXISTS message_chats_by_id")


MIGRATIONS: list[Callable[[Database], None]] = [
    _v1_initial,
    _v2_fts_prefix_index,
    _v3_deliveries_delivered_at,
    _v4_receiving_numbers,
    _v5_on_call,
    _v6_routes,
    _v7_outgoing,
    _v8_phone_numbers_read_by_phonenumbers,
    _v9_indexes_for_deleting_an_sms,
    _v10_outgoing_send_ids_and_not_found,
    _v11_damaged_and_kept_aside,
    _v12_outgoing_under_the_configured_chat,
    _v13_quiet_hours,
    _v14_silences,
    _v15_collapsed_repeats,
    _v16_text_indexed_a_page_at_a_time,
    _v17_duty_handovers,
    _v18_calls,
    _v19_fewer_prefix_indexes,
    _v20_indexed_words,
    _v21_chats_in_the_text_index,
]
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(Exception):
    """The database was written by a newer release than this one."""


def schema_version(db: Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: Database) -> list[int]:
    """Bring the database to SCHEMA_VERSION; returns the versions applied."""
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"the database is at schema version {current}, this release knows up to "
            f"{SCHEMA_VERSION}: upgrade sms-bridge"
        )
    if 0 < current < SCHEMA_VERSION:  # a step may rebuild an index: a pause, said first
        log.info(
            "upgrading the database from schema %d to %d, once (a step that rebuilds an "
            "index takes about 15 s per million SMS stored)",
            current,
            SCHEMA_VERSION,
        )
    applied = []
    for version in range(current + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[version - 1](db)
        db.execute(f"PRAGMA user_version = {version}")
        applied.append(version)
    db.execute(CREATE_SENDER_INDEX)  # nothing to do unless a fill was stopped midway
    return applied
