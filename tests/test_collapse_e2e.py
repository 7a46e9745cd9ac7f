"""Collapsed repeats end to end: the real `sms-bridge run` with a route's `collapse`.

An alarm repeated by the equipment makes one message that counts the copies; every copy
is still stored and delivered (as that message). A copy after the window, after a take,
or of another text is a new message; a count a crash kept from the chat is shown after
the restart. The window is passed by moving the run's start back in the database, not by
waiting ten minutes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import GROUP
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram, SentMessage, is_relayed_sms
from tests.fakes.wait import wait_until

pytestmark = pytest.mark.e2e

StartBridge = Callable[..., BridgeProcess]
ANNA = 1001
DOOR = "Door 7 open"
ROUTES = f"""
[[route]]
name = "doors"
text = "(?i)door"
chats = ["{GROUP}"]
collapse = "10m"
"""


@pytest.fixture
def bridge(tmp_path: Path, start_bridge: StartBridge) -> BridgeProcess:
    (tmp_path / "routes.toml").write_text(ROUTES, "utf-8")
    started = start_bridge(ROUTES_FILE="routes.toml")
    started.wait_for_log(FIRST_START_DONE)
    return started


def database(tmp_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(tmp_path / "data" / "bridge.db")


def relayed(telegram: FakeTelegram, text: str) -> list[SentMessage]:
    with telegram.lock:
        return [
            replace(m)
            for m in telegram.messages(GROUP)
            if text in m.plain and is_relayed_sms(m.plain)
        ]


def delivered(tmp_path: Path, sms_id: int) -> bool:
    with database(tmp_path) as db:
        row = db.execute(
            "SELECT status FROM deliveries WHERE message_id = ? AND chat = ?", (sms_id, str(GROUP))
        ).fetchone()
    return row is not None and row[0] == "sent"


def first_one(smsc: FakeSmsc, telegram: FakeTelegram, tmp_path: Path) -> SentMessage:
    """The first alarm relayed, and booked (its run started) in the database."""
    sms_id = smsc.add_sms(DOOR)
    wait_until(lambda: delivered(tmp_path, sms_id), what="the first alarm booked")
    return relayed(telegram, DOOR)[0]


def reads(telegram: FakeTelegram, message: SentMessage, part: str) -> None:
    def now_reads() -> bool:
        with telegram.lock:
            return any(
                part in m.plain
                for m in telegram.messages(GROUP)
                if m.message_id == message.message_id
            )

    telegram.wait_for(now_reads, what=f"message {message.message_id} reads {part!r}")


def test_repeats_fold_into_one_message_that_counts_them_and_keeps_its_button(
    bridge: BridgeProcess, smsc: FakeSmsc, telegram: FakeTelegram, tmp_path: Path
) -> None:
    first = first_one(smsc, telegram, tmp_path)
    ids = [smsc.add_sms(DOOR) for _ in range(2)]
    other = smsc.add_sms("Door 7 closed")  # the same sender, another text: news
    telegram.wait_for(lambda: relayed(telegram, "Door 7 closed"), what="the other text relayed")
    reads(telegram, first, "🔁 ×3, last ")
    assert len(relayed(telegram, DOOR)) == 1  # one message for three SMS
    with database(tmp_path) as db:  # each stored and delivered, as that one message
        shown_in = db.execute(
            "SELECT DISTINCT telegram_message_id FROM deliveries d JOIN messages m "
            "ON m.id = d.message_id WHERE m.text = ? AND d.status = 'sent'",
            (DOOR,),
        ).fetchall()
    assert shown_in == [(first.message_id,)]
    wait_until(lambda: all(delivered(tmp_path, sms_id) for sms_id in [*ids, other]))
    with telegram.lock:
        now = next(m for m in telegram.messages(GROUP) if m.message_id == first.message_id)
        assert now.plain.startswith(first.plain)  # what it showed, exactly, then the count
        assert now.markup is not None  # the take button is still there, for all three
        button = now.markup["inline_keyboard"][0][0]
    assert button["text"] == "✋ Take all 3"

    bridge.wait_for_log("answering chat commands")
    telegram.user_presses(now, user_id=ANNA, name="Anna")
    reads(telegram, first, "Taken by Anna")
    reads(telegram, first, "🔁 ×3, last ")  # the press keeps the count

    smsc.add_sms(DOOR)  # taken: the next copy is news for whoever took it
    telegram.wait_for(lambda: len(relayed(telegram, DOOR)) == 2, what="a new message")


def test_a_repeat_after_the_window_is_a_new_message(
    bridge: BridgeProcess, smsc: FakeSmsc, telegram: FakeTelegram, tmp_path: Path
) -> None:
    first_one(smsc, telegram, tmp_path)
    with database(tmp_path) as db:  # relayed eleven minutes ago, as far as the run knows
        db.execute("UPDATE repeat_runs SET started_at = datetime(started_at, '-11 minutes')")
    smsc.add_sms(DOOR)
    telegram.wait_for(lambda: len(relayed(telegram, DOOR)) == 2, what="a new message")
    assert not any("🔁" in m.plain for m in relayed(telegram, DOOR))


def test_a_count_a_crash_kept_from_the_chat_is_shown_after_the_restart(
    bridge: BridgeProcess,
    smsc: FakeSmsc,
    telegram: FakeTelegram,
    tmp_path: Path,
    start_bridge: StartBridge,
) -> None:
    first = first_one(smsc, telegram, tmp_path)
    bridge.stop()
    with database(tmp_path) as db:  # a repeat booked, the process gone before its edit
        db.execute("UPDATE repeat_runs SET count = 2")
    start_bridge("again", ROUTES_FILE="routes.toml")
    reads(telegram, first, "🔁 ×2, last ")
    assert len(relayed(telegram, DOOR)) == 1
