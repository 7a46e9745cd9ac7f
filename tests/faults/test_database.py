"""The database under pressure: locked by another process, shared by a second bridge,
written by an older release."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from sqlite_utils import Database

from state import SCHEMA_VERSION
from state.migrations import MIGRATIONS
from tests.conftest import GROUP
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram
from tests.fakes.wait import wait_until

HOLD_LOCK = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("COMMIT")
"""


def test_a_database_locked_for_seconds_is_waited_for(
    smsc: FakeSmsc,
    telegram: FakeTelegram,
    start_bridge: Callable[..., BridgeProcess],
    tmp_path: Path,
) -> None:
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    bridge.wait_for_log(FIRST_START_DONE)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(tmp_path / "data" / "bridge.db"), "6"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    smsc.add_sms("arrived while the database was locked")
    bridge.wait_for_log("database is locked by another process; waiting")
    assert holder.wait(30) == 0
    telegram.wait_for(
        lambda: telegram.sms_texts(GROUP) == ["arrived while the database was locked"],
        what="the SMS after the lock",
    )
    assert bridge.running


def test_a_second_bridge_on_the_same_database_refuses_to_start(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: Callable[..., BridgeProcess]
) -> None:
    first = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    first.wait_for_log(FIRST_START_DONE)
    second = start_bridge(name="second", TELEGRAM_CHAT_IDS=str(GROUP))
    assert second.process is not None and second.process.wait(30) == 1
    assert "another sms-bridge (pid" in second.log() and "already running" in second.log()
    smsc.add_sms("sent once")
    telegram.wait_for(lambda: telegram.sms_texts(GROUP) == ["sent once"], what="one relay")
    assert first.running


def test_a_first_release_database_is_upgraded_in_place_by_the_bridge(
    smsc: FakeSmsc,
    telegram: FakeTelegram,
    start_bridge: Callable[..., BridgeProcess],
    tmp_path: Path,
) -> None:
    path = tmp_path / "data" / "bridge.db"
    path.parent.mkdir()
    conn = sqlite3.connect(path)
    MIGRATIONS[0](Database(conn))  # written by the first release
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO meta VALUES ('initialized_at', '2026-11-20 09:00:00')")
    conn.execute(
        "INSERT INTO messages VALUES (900, '79261234567', '79261234567', '79031234567', "
        "'queued before the upgrade', '2026-11-27 10:00:00', NULL, '2026-11-27 10:00:01')"
    )
    conn.execute(
        "INSERT INTO deliveries (message_id, chat, status, attempts, uncertain, created_at, "
        "updated_at) VALUES (900, ?, 'pending', 0, 0, '2026-11-27 10:00:01', "
        "'2026-11-27 10:00:01')",
        (str(GROUP),),
    )
    conn.commit()
    conn.close()
    smsc.next_id = 900
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    telegram.wait_for(
        lambda: telegram.sms_texts(GROUP) == ["queued before the upgrade"], what="old queue"
    )
    smsc.add_sms("after the upgrade")
    telegram.wait_for(lambda: "after the upgrade" in telegram.sms_texts(GROUP), what="new SMS")
    telegram.user_sends(GROUP, "/search upgrad")
    telegram.wait_for(
        lambda: any(
            "SMS containing" in t and "before the upgrade" in t for t in telegram.texts(GROUP)
        ),
        what="search across old and new rows",
    )
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert bridge.running


def test_an_unexpected_database_error_mid_send_does_not_end_the_relay(
    smsc: FakeSmsc,
    telegram: FakeTelegram,
    start_bridge: Callable[..., BridgeProcess],
    tmp_path: Path,
) -> None:
    path = tmp_path / "data" / "bridge.db"
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    bridge.wait_for_log(FIRST_START_DONE)
    # Another process makes recording "sent" fail, as a full or broken disk would.
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TRIGGER broken_disk BEFORE UPDATE ON deliveries WHEN NEW.status = 'sent' "
            "BEGIN SELECT RAISE(ABORT, 'disk I/O error (injected)'); END"
        )
    smsc.add_sms("sent, but not recorded")
    bridge.wait_for_log(r"chat -1001: unexpected error, retrying in 10 s")
    bridge.wait_for_log(r"chat -1001: 1 SMS requeued as possibly shown")
    with sqlite3.connect(path) as db:
        db.execute("DROP TRIGGER broken_disk")
    telegram.wait_for(
        lambda: telegram.sms_texts(GROUP) == ["sent, but not recorded"] * 2, what="the retry"
    )
    wait_until(
        lambda: (
            sqlite3.connect(path).execute("SELECT status, uncertain FROM deliveries").fetchall()
            == [("sent", 1)]
        ),
        what="recorded sent, with its duplicate counted",
    )
    smsc.add_sms("and on it goes")
    telegram.wait_for(lambda: "and on it goes" in telegram.sms_texts(GROUP), what="next SMS")
