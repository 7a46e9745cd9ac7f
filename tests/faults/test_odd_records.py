"""One odd SMS never stops the others: the real `sms-bridge run` fed SMS written to hurt.

Before, a lone surrogate in one SMS made SQLite refuse the page, which was fetched again at
every poll, so nothing after it was relayed until SMSC forgot it (7 days); a route pattern
that backtracks without end held the store's only thread. Now each costs one SMS at most,
the SMS after it arrive within two poll intervals, and the bridge says what it set aside.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from tests.conftest import GROUP, OPERATOR, OTHER_GROUP
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram
from tests.fakes.wait import wait_until
from tests.faults.checks import assert_delivered_exactly

StartBridge = Callable[..., BridgeProcess]
INTERVAL = 5  # seconds between polls; the chat takes about a message a second
REFUSE_POISON = (
    "CREATE TRIGGER refuse_poison BEFORE INSERT ON messages WHEN NEW.text LIKE '%poison%' "
    "BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END"
)


def polls_until_fetched(smsc: FakeSmsc, before: int, last_id: int) -> int:
    """How many polls after the first `before` it took to read the inbox past `last_id`.

    The poller asks for the SMS after its cursor: the first request whose `after_id` is
    `last_id` or more shows that the polls before it fetched every SMS up to it. Counting
    polls, not seconds, says "within two poll intervals" without a timed assertion."""
    wait_until(
        lambda: any(
            int(r.form.get("after_id", "0")) >= last_id for r in smsc.inbox_requests()[before:]
        ),
        timeout=4 * INTERVAL + 20,
        what=f"the cursor past SMS {last_id}",
    )
    later = smsc.inbox_requests()[before:]
    return next(n for n, r in enumerate(later) if int(r.form.get("after_id", "0")) >= last_id)


def arrive_within_two_polls(
    smsc: FakeSmsc, telegram: FakeTelegram, before: int, last_id: int, done: Callable[[], bool]
) -> None:
    """The SMS up to `last_id` are fetched by the second poll after `before` at the latest,
    and then delivered (however long the loaded machine takes to relay them)."""
    assert polls_until_fetched(smsc, before, last_id) <= 2
    telegram.wait_for(done, timeout=60, what=f"the SMS up to {last_id} delivered")


def test_a_page_with_a_record_sqlite_refuses_costs_that_record_alone(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge, tmp_path: Path
) -> None:
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP), SMSC_POLL_INTERVAL=str(INTERVAL))
    bridge.wait_for_log(FIRST_START_DONE)
    bridge.wait_for_log("connected to Telegram")
    database = tmp_path / "data" / "bridge.db"
    db = sqlite3.connect(database, isolation_level=None)  # a refusal as a constraint makes
    db.execute(REFUSE_POISON)
    db.close()

    polls = len(smsc.inbox_requests())
    sent = {smsc.add_sms("before"): "before"}
    sent[smsc.add_sms("code \ud800 5521")] = "code \ufffd 5521"  # SQLite cannot take it raw
    sent[smsc.add_sms("after")] = "after"
    poison = smsc.add_sms("poison: your code 734219")  # the largest ID of the page
    arrive_within_two_polls(
        smsc, telegram, polls, poison, lambda: telegram.sms_texts(GROUP) == list(sent.values())
    )
    polls = len(smsc.inbox_requests())
    later = smsc.add_sms("later")  # asked for after the SMS kept aside
    sent[later] = "later"
    arrive_within_two_polls(
        smsc, telegram, polls, later, lambda: telegram.sms_texts(GROUP) == list(sent.values())
    )
    assert_delivered_exactly(telegram, database, sent, {GROUP: str(GROUP)})

    # What it kept aside, it says: in the chat, in /status, in the log, and the raw is kept.
    telegram.wait_for(
        lambda: any(f"SMS {poison} could not be stored" in t for t in telegram.texts(GROUP)),
        what="the alert",
    )
    telegram.user_sends(GROUP, "/status", user_id=OPERATOR)
    telegram.wait_for(
        lambda: any("1 SMS could not be stored" in t for t in telegram.texts(GROUP)),
        what="/status",
    )
    [damaged] = [m.plain for m in telegram.messages(GROUP) if "5521" in m.plain]
    assert "some characters could not be read (�)" in damaged
    bridge.wait_for_log(rf"SMS {poison} could not be stored \(sqlite3.IntegrityError\)")
    assert "734219" not in bridge.log()  # an SMS is named by its ID
    with sqlite3.connect(database) as db:
        [(raw,)] = db.execute("SELECT raw FROM kept_aside WHERE smsc_id = ?", (poison,))
    assert "poison: your code 734219" in raw
    assert bridge.running


def test_a_route_pattern_that_never_ends_costs_that_sms_its_route_alone(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge, tmp_path: Path
) -> None:
    routes = f'[[route]]\nname = "as"\ntext = "(a|aa)+$"\nchats = ["{OTHER_GROUP}"]\n'
    (tmp_path / "routes.toml").write_text(routes, "utf-8")
    bridge = start_bridge(
        TELEGRAM_CHAT_IDS=str(GROUP), ROUTES_FILE="routes.toml", SMSC_POLL_INTERVAL=str(INTERVAL)
    )
    bridge.wait_for_log(FIRST_START_DONE)
    bridge.wait_for_log("connected to Telegram")

    endless = "a" * 50 + "b"  # Python's `re` would take hours: the pattern backtracks
    polls = len(smsc.inbox_requests())
    first = smsc.add_sms(endless)
    smsc.add_sms("aaaa")  # the route takes it, as it should
    smsc.add_sms(endless + " again")
    last = smsc.add_sms("hello")
    expected = {GROUP: [endless, endless + " again", "hello"], OTHER_GROUP: ["aaaa"]}
    arrive_within_two_polls(
        smsc,
        telegram,
        polls,
        last,
        lambda: {chat: telegram.sms_texts(chat) for chat in expected} == expected,
    )
    log = bridge.log().splitlines()
    timed_out = [line for line in log if "ran over" in line and " DEBUG " not in line]
    assert len(timed_out) == 1, timed_out  # said once for the pattern, not per SMS
    assert (
        f'route 1 "as": its text pattern ran over 0.25 s, stopped, on SMS {first}' in (timed_out[0])
    )
    bridge.wait_for_log(rf"fetched SMS {first}, .*routing failed \(see the log\)")
    assert bridge.running
