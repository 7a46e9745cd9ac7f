"""Privacy, end to end: codes hidden until tapped, and old SMS deleted with everything
about them. The real `sms-bridge run` against the fake SMSC and Bot API."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from state import IncomingSms, Store, deliveries, markers, messages, retention
from tests.conftest import GROUP, OPERATOR
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram, TgFault, is_relayed_sms
from tests.fakes.wait import wait_until

pytestmark = pytest.mark.e2e
StartBridge = Callable[..., BridgeProcess]
SPOILER = "<tg-spoiler><code>4821</code></tg-spoiler>"


def test_with_hide_codes_the_code_is_a_spoiler_in_the_relayed_sms_and_in_answers(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP), HIDE_CODES="true")
    bridge.wait_for_log(FIRST_START_DONE)
    bridge.wait_for_log("answering chat commands")
    smsc.add_sms("Ваш код подтверждения: 4821. Никому не сообщайте его.", phone="Sberbank")
    telegram.wait_for(lambda: len(telegram.sms_texts(GROUP)) == 1, what="the SMS relayed")
    [relayed] = telegram.messages(GROUP)
    assert relayed.text.startswith(f"🔑 {SPOILER} · <b>Sberbank</b>: ")
    assert relayed.text.count(SPOILER) == 2  # in front, and in the text
    assert relayed.plain.startswith("🔑 4821 · Sberbank: Ваш код подтверждения: 4821.")
    assert telegram.refused == []

    telegram.user_sends(GROUP, "/last")
    telegram.wait_for(
        lambda: any(not is_relayed_sms(m.plain) for m in telegram.messages(GROUP)),
        what="the answer to /last",
    )
    answer = next(m for m in telegram.messages(GROUP) if not is_relayed_sms(m.plain))
    assert SPOILER in answer.text and "4821" in answer.plain
    assert telegram.refused == []


def test_retention_deletes_old_sms_at_start_but_not_one_still_waiting_for_a_chat(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge, tmp_path: Path
) -> None:
    database = tmp_path / "data" / "bridge.db"
    now = datetime.now(UTC)
    store = Store.open(database)
    markers.mark_first_start_done(store, now - timedelta(days=60))
    old = [
        IncomingSms(n, "79261234567", "79031234567", f"old SMS {n}", now - timedelta(days=40))
        for n in (1, 2, 3)
    ]
    messages.save_incoming(store, old, [str(GROUP)])
    deliveries.mark_sending(store, str(GROUP), [1, 2])
    deliveries.mark_sent(store, str(GROUP), [1, 2], 77)  # SMS 3 still waits for the group
    messages.save_incoming(store, [IncomingSms(4, "79261234567", "79031234567", "recent", now)], [])
    store.close()
    telegram.fail_next(TgFault("retry_after", 60), chat_id=GROUP)  # SMS 3 keeps waiting

    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP), RETENTION_DAYS="30")
    bridge.wait_for_log(
        r"retention: 2 SMS received, 0 sent and 0 kept aside before .* deleted "
        r"\(RETENTION_DAYS=30\)"
    )
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT id FROM messages ORDER BY id").fetchall() == [(3,), (4,)]
        assert db.execute("SELECT message_id FROM deliveries").fetchall() == [(3,)]
    bridge.wait_for_log("answering chat commands")
    telegram.user_sends(OPERATOR, "/status", user_id=OPERATOR)  # the group waits out a 429
    telegram.wait_for(
        lambda: any("oldest SMS kept" in m.plain for m in telegram.messages(OPERATOR)),
        what="the answer to /status",
    )
    answer = next(m for m in telegram.messages(OPERATOR) if "oldest SMS kept" in m.plain)
    oldest = (now - timedelta(days=40)).astimezone(ZoneInfo("Europe/Moscow"))
    assert f"oldest SMS kept: {oldest:%d.%m.%Y} (RETENTION_DAYS=30)" in answer.plain


def test_with_a_one_day_retention_a_week_of_history_keeps_only_the_last_day(
    smsc: FakeSmsc, start_bridge: StartBridge, tmp_path: Path
) -> None:
    """The start-up purge runs beside the first poll, whichever comes first: an SMS older
    than RETENTION_DAYS is never stored, so never searchable, not even until the next
    day's purge."""
    now = datetime.now(UTC)
    old = smsc.add_sms("your code 1111", received=now - timedelta(days=3))
    recent = smsc.add_sms("door opened", received=now - timedelta(hours=2))
    bridge = start_bridge(RETENTION_DAYS="1", SMSC_BACKFILL_HOURS="168")
    bridge.wait_for_log(FIRST_START_DONE)
    with sqlite3.connect(tmp_path / "data" / "bridge.db") as db:
        assert db.execute("SELECT id FROM messages").fetchall() == [(recent,)]
        assert db.execute(
            "SELECT count(*) FROM messages_fts WHERE text MATCH 'code'"
        ).fetchone() == (0,)
    log = bridge.log()
    assert (
        "retention: 1 SMS already older than RETENTION_DAYS when fetched, for no chat: "
        f"not stored: {old}"
    ) in log
    assert "SMSC_BACKFILL_HOURS=168 reaches further back than RETENTION_DAYS=1" in log


def test_a_button_of_a_purged_sms_says_it_is_no_longer_kept(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge, tmp_path: Path
) -> None:
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    bridge.wait_for_log(FIRST_START_DONE)
    bridge.wait_for_log("answering chat commands")
    smsc.add_sms("Door 2 opened")
    smsc.add_sms("Door 2 closed")
    telegram.wait_for(lambda: len(telegram.sms_texts(GROUP)) == 2, what="both SMS")
    store = Store.open(tmp_path / "data" / "bridge.db")  # beside the bridge, as WAL allows
    wait_until(lambda: deliveries.count_pending(store, str(GROUP)) == 0, what="both booked sent")
    assert retention.purge_batch(store, datetime.now(UTC) + timedelta(days=1)) == 1
    store.close()
    opened = next(m for m in telegram.messages(GROUP) if "opened" in m.plain)
    query = telegram.user_presses(opened, user_id=1001, name="Anna")
    telegram.wait_for(lambda: telegram.answer_to(query) is not None, what="the press answered")
    answer = telegram.answer_to(query)
    assert answer is not None and answer.text == "This SMS is no longer kept."
