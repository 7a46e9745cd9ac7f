"""Calls, unit by unit: the plan of a chain, the spoken text, a masked number, the
outcome read from a status code, one send.php request per call, and the journal's rules
(a step is stored once, a take or an answer stops the chain, the daily cap)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.chat.feature import CoreParts
from bot.core.bridge_state import BridgeStatus
from bot.core.database import AsyncStore
from bot.core.metrics import Metrics
from bot.features.oncall.call_feature import build
from bot.features.oncall.call_plan import (
    Policy,
    callee_index,
    first_words,
    masked_phone,
    next_due,
    schedule,
    spoken_text,
    steps,
)
from bot.features.oncall.call_queue import ChainQueue
from bot.features.oncall.feature import build as build_oncall
from bot.features.oncall.team import Escalation, Member, Team
from bot.relay.chats import Chats
from bot.relay.hooks import Sent
from bot.routing.targets import ChatTarget
from bot.smsc.credentials import SmscCredentials
from bot.smsc.send_api import CallOutcome, SendUnknown, SmscOutbox, call_outcome
from bot.text.formatting import plain_text
from bot.text.i18n import in_language
from state import IncomingSms, Store, calls, messages, oncall
from state.calls import Callee, CallState, Claimed, Ended
from state.oncall import Person
from state.retention import purge_replies_batch
from tests.fakes.smsc import LOGIN, PASSWORD, FakeSmsc

T0 = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
MOSCOW = ZoneInfo("Europe/Moscow")
DAY = datetime(2026, 12, 3, 21, 0, tzinfo=UTC)  # midnight in Moscow
ANNA = Callee("anna", "Anna", "+79261234567")
BORIS = Callee("boris", "Boris", "+79037654321")


def policy(call: int = 10, nxt: int = 5, rounds: int = 1) -> Policy:
    return Policy(timedelta(minutes=call), timedelta(minutes=nxt), rounds)


@given(st.integers(1, 120), st.integers(1, 60), st.integers(0, 4), st.integers(0, 6))
def test_a_plan_calls_each_person_once_a_round_in_order(
    call: int, nxt: int, rounds: int, people: int
) -> None:
    plan = schedule(policy(call, nxt, rounds), people)
    assert len(plan) == rounds * people == steps(policy(call, nxt, rounds), people)
    assert [index for _, index in plan] == list(range(people)) * rounds
    assert all(later > earlier for (earlier, _), (later, _) in itertools.pairwise(plan))
    if plan:
        assert plan[0][0] == timedelta(minutes=call)


@given(st.integers(0, 20), st.integers(1, 5), st.integers(1, 3))
def test_the_last_step_has_no_next(step: int, people: int, rounds: int) -> None:
    due = next_due(policy(rounds=rounds), step, people, T0)
    assert (due is None) == (step + 1 >= rounds * people)
    assert due is None or due == T0 + timedelta(minutes=5)
    assert 0 <= callee_index(step, people) < people


def test_the_spoken_text_never_says_the_code_unless_the_policy_does() -> None:
    sms = "Sberbank: your code 482193, do not tell anyone. Payment 2500 RUB"
    with in_language("en"):
        said = spoken_text("900", sms, 600, read_code=False)
        assert said.startswith("SMS from 900, not taken for 10 min")
        assert said.endswith("Take it in Telegram.")
        assert "482193" not in said and "2500" in said
        assert "482193" in spoken_text("900", sms, 600, read_code=True)
    with in_language("ru"):
        assert "482193" not in spoken_text("900", sms, 600, read_code=False)


@given(st.text(min_size=0, max_size=300))
def test_first_words_are_few_and_never_a_code(text: str) -> None:
    said = first_words(text, read_code=False)
    assert len(said.replace("…", "").split()) <= 12


def test_a_number_is_masked_to_its_country_first_group_and_last_two_digits() -> None:
    assert masked_phone("+79261234567") == "+7 926 ***-**-67"
    assert "4567" not in masked_phone("+380671234567")
    assert masked_phone("+380671234567").endswith("67")


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        (1, CallOutcome.ANSWERED),
        (2, CallOutcome.ANSWERED),
        (-1, CallOutcome.RINGING),
        (0, CallOutcome.RINGING),
        (-3, CallOutcome.NEVER_WENT_OUT),
        (20, CallOutcome.NOT_ANSWERED),
        (25, CallOutcome.NOT_ANSWERED),
        (46, CallOutcome.UNKNOWN),  # a code SMSC's table does not name: never an answer
    ],
)
def test_only_delivered_or_read_is_an_answer(code: int, outcome: CallOutcome) -> None:
    assert call_outcome(code) is outcome


async def test_a_call_is_one_request_with_call_1_and_voice_and_param_only_when_set(
    smsc: FakeSmsc,
) -> None:
    outbox = SmscOutbox(smsc.url, SmscCredentials(LOGIN, PASSWORD))
    try:
        await outbox.call("79261234567", "hello", "abc1")
        await outbox.call("79261234568", "hello", "abc2", voice="w2", param="20,10,3")
        smsc.outbox.fail_next_send("drop")
        with pytest.raises(SendUnknown):
            await outbox.call("79261234569", "hello", "abc3")
    finally:
        await outbox.aclose()
    first, second, lost = smsc.outbox.call_requests
    assert first["call"] == "1" and "voice" not in first and "param" not in first
    assert (second["voice"], second["param"]) == ("w2", "20,10,3")
    assert lost["id"] == "abc3"
    assert len(smsc.outbox.calls) == 3  # the lost answer's call was placed, and only once


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store.open(tmp_path / "bridge.db")
    sms = IncomingSms(1, "900", "79031234567", "code 1234", T0)
    messages.save_incoming(store, [sms], ["-1001"])
    return store


def queued(store: Store, chat: str = "-1001", due: datetime = T0) -> calls.Chain:
    with store.transaction():
        calls.queue_chain(store, chat, [1], 77, T0 - timedelta(minutes=10), due)
    [chain] = calls.due_chains(store, due)
    return chain


def test_a_step_is_stored_once_and_a_second_claim_of_it_is_stale(store: Store) -> None:
    chain = queued(store)
    first = calls.claim_step(store, chain, ANNA, T0, DAY, 20, T0 + timedelta(minutes=5))
    again = calls.claim_step(store, chain, ANNA, T0, DAY, 20, T0 + timedelta(minutes=5))
    assert first.outcome is Claimed.CLAIMED and first.call is not None
    assert first.call.state is CallState.CALLING and first.call.send_id
    assert again.outcome is Claimed.STALE
    [next_step] = calls.due_chains(store, T0 + timedelta(minutes=5))
    assert next_step.step == 1


def test_a_take_stops_the_chain_before_the_next_call(store: Store) -> None:
    chain = queued(store)
    store.conn.execute(
        "INSERT INTO takes (message_id, user_id, user_name, taken_at) "
        "VALUES (1, 5, 'Boris', '2026-12-04T03:00:00')"
    )
    assert calls.claim_step(store, chain, ANNA, T0, DAY, 20, None).outcome is Claimed.TAKEN
    assert calls.due_chains(store, T0 + timedelta(days=1)) == []


def test_the_daily_cap_stops_calls_and_the_chat_is_told_once(store: Store) -> None:
    chain = queued(store)
    assert calls.claim_step(store, chain, ANNA, T0, DAY, 0, None).outcome is Claimed.CAPPED
    with store.transaction():
        store.conn.execute("UPDATE call_chains SET due_at = ?, ended = NULL", ("2026-12-04",))
    chain = calls.due_chains(store, T0)[0]
    assert calls.claim_step(store, chain, ANNA, T0, DAY, 0, None).outcome is Claimed.CAPPED_TOLD


def test_an_interrupted_call_becomes_unknown_never_calling_again(store: Store) -> None:
    chain = queued(store)
    claim = calls.claim_step(store, chain, ANNA, T0, DAY, 20, None)
    assert claim.call is not None
    assert calls.recover_interrupted(store, T0) == [claim.call.id]
    [left] = calls.unsettled(store)
    assert left.state is CallState.UNKNOWN
    assert calls.due_chains(store, T0 + timedelta(days=1)) == []  # it was the last step
    calls.end_chain(store, "-1001", 1, Ended.DONE)


@dataclass(frozen=True)
class CallsSettingsForTest:
    team: Team | None
    smsc_base_url: str
    display_zone: ZoneInfo = MOSCOW
    call_daily_limit: int = 20
    call_voice: str | None = None
    call_param: str | None = None
    oncall_buttons: bool = True
    oncall_user_ids: tuple[int, ...] = ()

    def smsc_auth(self) -> SmscCredentials:
        return SmscCredentials(LOGIN, PASSWORD)


def team_of(tmp_path: Path, call: timedelta | None) -> Team:
    anna = Member("anna", "Anna", 111, "+79261234567")
    boris = Member("boris", "Boris", 222, "+79037654321")
    policy = Escalation(None, call, timedelta(minutes=5), 1, False)
    return Team(tmp_path / "team.toml", {"anna": anna, "boris": boris}, {"-1001": policy}, {})


async def test_oncall_shows_the_call_plan_and_only_the_askers_own_number_masked(
    tmp_path: Path, store: Store, smsc: FakeSmsc
) -> None:
    db = AsyncStore(store)
    settings = CallsSettingsForTest(team_of(tmp_path, timedelta(minutes=10)), smsc.url)
    chats = Chats([ChatTarget(-1001)], None, db)  # type: ignore[arg-type]
    parts = CoreParts(db, chats, Metrics(), BridgeStatus())
    assert build(replace(settings, team=None), parts) is None
    assert build(replace(settings, team=team_of(tmp_path, None)), parts) is None
    assert build(replace(settings, oncall_buttons=False), parts) is None
    on_call = build_oncall(settings, parts)  # type: ignore[arg-type]
    feature = build(settings, parts)
    assert feature is not None and on_call is not None
    assert feature.roster is on_call.roster  # one roster: its calendars kept read once
    for person in (Person(111, "Anna"), Person(222, "Boris")):
        oncall.set_on_duty(store, "-1001", person, True, T0)
    with in_language("en"):
        mine = plain_text(await feature.plan_text(["-1001"], 111, T0))
        other = plain_text(await feature.plan_text(["-1001"], 999, T0))
    assert "after 10 minutes Anna, after 15 minutes Boris" in mine
    assert "+7 926 ***-**-67" in mine and "1234567" not in mine and "7654321" not in mine
    assert "***" not in other and "1234567" not in other
    assert await feature.plan_text(["-1002"], 111, T0) == ""
    await feature.stop()
    db.close()


def test_a_relayed_message_starts_one_chain_a_digest_too_and_a_muted_one_none(
    store: Store,
) -> None:
    more = [IncomingSms(n, "900", "79031234567", f"SMS {n}", T0) for n in (2, 3, 4)]
    messages.save_incoming(store, more, ["-1001", "-1002"])
    queue = ChainQueue({"-1001": policy()})

    def booked(chat: int, ids: tuple[int, ...], message_id: int, muted: bool = False) -> None:
        sent = Sent(ChatTarget(chat), ids, message_id, "", "", None, T0, muted)
        with store.transaction():
            queue.booked(store, sent)

    booked(-1001, (2, 3), 70)  # a digest of two
    booked(-1001, (4,), 71, muted=True)
    booked(-1002, (1,), 72)  # a chat that calls nobody
    [chain] = calls.due_chains(store, T0 + timedelta(minutes=10))
    assert (chain.chat, chain.smsc_id, chain.telegram_message_id) == ("-1001", 2, 70)
    assert calls.due_chains(store, T0 + timedelta(minutes=9)) == []


def test_retention_deletes_old_calls_but_never_one_being_placed(store: Store) -> None:
    chain = queued(store)
    claim = calls.claim_step(store, chain, ANNA, T0, DAY, 20, T0 + timedelta(minutes=5))
    assert claim.call is not None
    later = T0 + timedelta(days=2)
    assert purge_replies_batch(store, later) == 0  # still `calling`: SMSC may be answering
    calls.settle(store, claim.call.id, CallState.PLACED)
    assert purge_replies_batch(store, T0) == 0  # not older than the cutoff
    assert purge_replies_batch(store, later) == 1
    assert calls.calls_of(store, "-1001", 1) == []
