"""Telegram refusing connections, answering 502, timing out, and a 429 storm."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from tests.conftest import GROUP, OTHER_GROUP, TOPIC, TOPIC_CHAT
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram, TgFault
from tests.fakes.wait import wait_until
from tests.faults.checks import assert_delivered_exactly

CHATS = {GROUP: str(GROUP), OTHER_GROUP: str(OTHER_GROUP), TOPIC_CHAT: f"{TOPIC_CHAT}:{TOPIC}"}


def all_arrived(telegram: FakeTelegram, sent: dict[int, str]) -> bool:
    return all(set(sent.values()) <= set(telegram.sms_texts(chat)) for chat in CHATS)


def test_outage_502s_and_timeouts_then_everything_arrives_in_order(
    smsc: FakeSmsc,
    telegram: FakeTelegram,
    start_bridge: Callable[..., BridgeProcess],
    tmp_path: Path,
) -> None:
    bridge = start_bridge()
    bridge.wait_for_log(FIRST_START_DONE)
    bridge.wait_for_log("connected to Telegram")
    sent = {smsc.add_sms(f"before the outage {n}"): f"before the outage {n}" for n in range(3)}
    telegram.wait_for(lambda: all_arrived(telegram, sent), what="first SMS")

    telegram.stop()  # connection refused
    for n in range(30):
        sent[smsc.add_sms(f"during the outage {n}")] = f"during the outage {n}"

    def failed_attempts(chat: str) -> int:
        return len(re.findall(rf"chat {chat}: SMS [\d,]+ not sent: NetworkError", bridge.log()))

    wait_until(  # a stretch of outage: several failed attempts in every chat
        lambda: all(failed_attempts(chat) >= 3 for chat in CHATS.values()),
        what="three failed attempts in every chat",
    )
    telegram.fail_next(
        TgFault("status", 502),
        TgFault("status", 502),
        TgFault("delay", 6),  # longer than the read timeout: posted, but the answer is late
        TgFault("lost_answer"),  # posted, connection cut before the answer
        TgFault("status", 500),
    )
    telegram.start()
    for n in range(5):
        sent[smsc.add_sms(f"after the outage {n}")] = f"after the outage {n}"
    telegram.wait_for(lambda: all_arrived(telegram, sent), timeout=120, what="everything")
    database = tmp_path / "data" / "bridge.db"
    wait_until(lambda: "pending" not in bridge_statuses(database), what="all recorded")
    duplicates = assert_delivered_exactly(telegram, database, sent, CHATS)
    # The late and the cut-off answer each repeat what their message carried (a whole
    # digest, during the backlog); the checker above matched every repeat to a record.
    assert sum(duplicates.values()) > 0
    assert bridge.running


def bridge_statuses(database: Path) -> set[str]:
    import sqlite3

    with sqlite3.connect(database) as db:
        return {row[0] for row in db.execute("SELECT DISTINCT status FROM deliveries")}


def test_a_429_storm_is_waited_out_and_no_chat_is_asked_early(
    smsc: FakeSmsc,
    telegram: FakeTelegram,
    start_bridge: Callable[..., BridgeProcess],
    tmp_path: Path,
) -> None:
    bridge = start_bridge()
    bridge.wait_for_log(FIRST_START_DONE)
    bridge.wait_for_log("connected to Telegram")
    telegram.fail_next(*[TgFault("retry_after", 1)] * 8)  # whichever chat asks next
    telegram.fail_next(TgFault("retry_after", 3), TgFault("retry_after", 2), chat_id=GROUP)
    sent = {smsc.add_sms(f"storm {n}"): f"storm {n}" for n in range(12)}
    telegram.wait_for(lambda: all_arrived(telegram, sent), timeout=90, what="everything")
    assert telegram.violations == []
    assert_delivered_exactly(telegram, tmp_path / "data" / "bridge.db", sent, CHATS)
    throttled = [r for r in telegram.requests if r.method == "sendMessage"]
    assert len(throttled) >= len(sent) * 3 + 10  # the 429s really happened
