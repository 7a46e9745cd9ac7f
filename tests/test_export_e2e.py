"""/export end to end: the real bridge sends a CSV file that, read back with the `csv`
module, holds exactly the stored SMS of the window, and who took them."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import GROUP
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram, SentMessage

pytestmark = pytest.mark.e2e
StartBridge = Callable[..., BridgeProcess]
MOSCOW = ZoneInfo("Europe/Moscow")
TEXTS = [
    "Ваш код подтверждения: 4821. Никому не сообщайте его.",
    'Boiler 3, "pressure" LOW, 1,2 bar',
    "Строка один\nстрока два\r\nстрока три",
]


def sent_file(telegram: FakeTelegram, kind: str) -> SentMessage:
    telegram.wait_for(
        lambda: any(m.kind == kind for m in telegram.messages(GROUP)), what=f"a {kind}"
    )
    return next(m for m in telegram.messages(GROUP) if m.kind == kind)


def test_export_sends_a_csv_of_exactly_what_was_stored(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge, tmp_path: Path
) -> None:
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    bridge.wait_for_log(FIRST_START_DONE)
    bridge.wait_for_log("answering chat commands")
    for n, text in enumerate(TEXTS):
        smsc.add_sms(text, phone="Sberbank" if n == 0 else "79261112233")
    telegram.wait_for(lambda: len(telegram.sms_texts(GROUP)) == len(TEXTS), what="the SMS")
    first = next(m for m in telegram.messages(GROUP) if "4821" in m.plain)
    telegram.user_presses(first, user_id=1001, name="Анна")
    bridge.wait_for_log("taken by user 1001")

    asked = telegram.user_sends(GROUP, "/export 1d")
    document = sent_file(telegram, "document")
    assert document.reply_to == asked and document.filename is not None
    assert document.filename.startswith("sms ") and document.filename.endswith(".csv")
    assert document.plain.startswith("SMS export\nthe last day (")
    assert document.document is not None and document.document.startswith(b"\xef\xbb\xbf")
    header, *rows = csv.reader(io.StringIO(document.document.decode("utf-8-sig"), newline=""))
    assert header[0] == "time" and header[-1] == "SMSC ID"

    with sqlite3.connect(tmp_path / "data" / "bridge.db") as db:
        kept = db.execute(
            "SELECT m.received_at, m.sender, m.recipient, m.text, t.user_name, m.id "
            "FROM messages m LEFT JOIN takes t ON t.message_id = m.id ORDER BY m.id"
        ).fetchall()
    assert len(rows) == len(kept) == len(TEXTS)
    for row, (received, sender, recipient, text, taken_by, smsc_id) in zip(rows, kept, strict=True):
        moment = datetime.fromisoformat(received + "+00:00").astimezone(MOSCOW)
        assert row[0] == moment.isoformat() and row[0].endswith("+03:00")
        assert row[1:6] == [
            "in",
            sender if sender == "Sberbank" else f"+{sender}",
            f"+{recipient}",
            "",
            text,
        ]
        assert row[6] == (taken_by or "") and row[8] == str(smsc_id)
    assert rows[0][6] == "Анна" and rows[0][7].endswith("+03:00")
    assert list(tmp_path.joinpath("data").glob(".export-*")) == []  # the file is gone


def test_an_empty_window_is_said_in_one_line_not_sent_as_a_file(
    telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    bridge.wait_for_log("answering chat commands")
    telegram.user_sends(GROUP, "/export 30m")
    telegram.wait_for(lambda: telegram.messages(GROUP), what="the answer")
    [answer] = telegram.messages(GROUP)
    assert answer.kind == "text"
    assert answer.plain.startswith("Nothing to export: no SMS in the last 30 minutes (")
