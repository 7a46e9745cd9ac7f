"""Collapsed repeats, the pure parts and the store: a route's `collapse` window, how two
routes naming one chat combine, and the runs a repeat folds into (`state.repeats`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.routing.collapse import MAX_WINDOW, CollapseError, parse_collapse, window_text
from bot.routing.routes import Route, Router, RoutesFileError, RouteSpec, combine, load_routes
from bot.routing.targets import ChatTarget
from state import IncomingSms, Placement, Store, deliveries, messages, repeats, retention
from state.messages import sms_by_id

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
CHAT = "-1001"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("10m", 600), ("10 M", 600), ("2h", 7200), ("24h", MAX_WINDOW), ("1s", 1)],
)
def test_a_window_is_a_number_and_a_unit(text: str, seconds: int) -> None:
    assert parse_collapse(text) == seconds


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("10", "write a number and a unit"),
        ("ten minutes", "write a number and a unit"),
        ("1.5h", "write a number and a unit"),
        ("-5m", "write a number and a unit"),
        ("0m", "from 1 second to 24 hours"),
        ("25h", "from 1 second to 24 hours"),
    ],
)
def test_a_bad_window_says_why(text: str, why: str) -> None:
    with pytest.raises(CollapseError, match=why):
        parse_collapse(text)


@given(st.integers(min_value=1, max_value=MAX_WINDOW))
def test_a_window_written_back_reads_the_same(seconds: int) -> None:
    assert parse_collapse(window_text(seconds)) == seconds


@given(st.text(max_size=12))
def test_any_text_is_a_window_or_a_one_line_error(text: str) -> None:
    try:
        seconds = parse_collapse(text)
    except CollapseError as error:
        assert "\n" not in str(error).replace(repr(text), "")
    else:
        assert 1 <= seconds <= MAX_WINDOW


def route(number: int, chats: list[str], **fields: Any) -> Route:
    spec = RouteSpec.model_validate({"text": "door", "chats": chats, **fields})
    assert spec.problem() is None, spec.problem()
    return Route.from_spec(number, spec)


def test_a_chat_collapses_only_if_every_route_naming_it_does_over_the_shortest_window() -> None:
    a, b, c = ChatTarget(-1), ChatTarget(-2), ChatTarget(-3)
    slow = route(1, ["-1", "-2", "-3"], collapse="10m", **{"continue": True})
    fast = route(2, ["-1"], collapse="90s", **{"continue": True})
    every = route(3, ["-2"])
    decision = combine([slow, fast, every])
    assert dict(decision.collapse) == {a: 90, c: 600}  # -2: one route wants each SMS seen
    assert decision.placement(relay=True).collapse == (("-1", 90), ("-3", 600))
    assert decision.placement(relay=False).collapse == ()
    assert "-1 (collapse 90s), -2, -3 (collapse 10m)" in decision.describe()
    assert b not in dict(decision.collapse)


def test_the_routers_placement_keeps_the_window_of_each_target() -> None:
    router = Router([route(1, ["-5"], collapse="2h")], [ChatTarget(-9)])
    sms = IncomingSms(1, "79261234567", "79030000001", "door 7", NOW, None)
    assert router.placement(sms, relay=True).collapse == (("-5", 7200),)


def test_a_bad_collapse_in_the_routes_file_stops_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "routes.toml").write_text(
        '[[route]]\nname = "doors"\ntext = "door"\nchats = ["-1"]\ncollapse = "soon"\n', "utf-8"
    )
    with pytest.raises(RoutesFileError) as raised:
        load_routes(tmp_path / "routes.toml")
    message = str(raised.value)
    assert "\n" not in message
    assert message.endswith(
        "routes.toml: route 1 (\"doors\"): collapse: 'soon': write a number and a unit, "
        "such as 90s, 10m or 2h"
    )


def test_a_dropping_route_takes_no_collapse() -> None:
    spec = RouteSpec.model_validate({"text": "door", "drop": True, "collapse": "10m"})
    assert spec.problem() == (
        "collapse: a dropped route's SMS make no message to fold into; remove collapse"
    )


# -- the store -------------------------------------------------------------------------


def save(store: Store, smsc_id: int, text: str, sender: str = "79261234567") -> None:
    sms = IncomingSms(smsc_id, sender, "79031234567", text, NOW + timedelta(seconds=smsc_id))
    placement = Placement(((CHAT, False),), (CHAT,), collapse=((CHAT, 600),))
    messages.save_incoming(store, [sms], lambda _: placement)


def relay_alone(store: Store, smsc_id: int, telegram_message_id: int, at: datetime) -> None:
    """Booked sent as the relay books a message that starts a run."""
    (sms,) = sms_by_id(store, [smsc_id])

    def start(store: Store) -> None:
        repeats.start_run(store, CHAT, telegram_message_id, sms, f"<b>{sms.text}</b>", at)

    deliveries.mark_sending(store, CHAT, [smsc_id])
    deliveries.mark_sent(store, CHAT, [smsc_id], telegram_message_id, also=start)


def test_a_delivery_keeps_its_routes_window(store: Store) -> None:
    save(store, 1, "Door 7 open")
    assert [d.collapse for d in deliveries.pending(store, CHAT, 5)] == [600]


def test_a_run_is_found_for_the_same_sender_and_text_within_the_window(store: Store) -> None:
    save(store, 1, "Door 7 open")
    relay_alone(store, 1, 501, NOW)
    save(store, 2, "Door 7 open", sender="+7 (926) 123-45-67")  # the same number, written so
    save(store, 3, "Door 7 opened")
    save(store, 4, "Door 7 open", sender="79035550000")
    two, three, four = sms_by_id(store, [2, 3, 4])
    found = repeats.open_run(store, CHAT, two, since=NOW - timedelta(minutes=1))
    assert found is not None and (found.telegram_message_id, found.count) == (501, 1)
    assert repeats.open_run(store, CHAT, three, since=NOW) is None  # another text
    assert repeats.open_run(store, CHAT, four, since=NOW) is None  # another sender
    assert repeats.open_run(store, "-1002", two, since=NOW) is None  # another chat
    assert repeats.open_run(store, CHAT, two, since=NOW + timedelta(seconds=1)) is None


def test_a_counted_repeat_is_behind_until_shown_and_a_closed_run_takes_no_more(
    store: Store,
) -> None:
    save(store, 1, "Door 7 open")
    relay_alone(store, 1, 501, NOW)
    save(store, 2, "Door 7 open")
    (two,) = sms_by_id(store, [2])
    run = repeats.open_run(store, CHAT, two, since=NOW)
    assert run is not None and repeats.runs_behind(store, CHAT) == []
    with store.transaction():
        counted = repeats.count_repeat(store, run, two.received_at)
    assert (counted.count, counted.last_at) == (2, two.received_at)
    assert [r.count for r in repeats.runs_behind(store, CHAT)] == [2]
    repeats.mark_shown(store, CHAT, 501, 2)
    assert repeats.runs_behind(store, CHAT) == []
    repeats.mark_shown(store, CHAT, 501, 1)  # never back
    assert repeats.runs_behind(store, CHAT) == []
    repeats.mark_shown(store, CHAT, 501, 2, close=True)
    assert repeats.open_run(store, CHAT, two, since=NOW) is None


def test_a_run_is_written_only_in_the_booking_transaction(store: Store) -> None:
    save(store, 1, "Door 7 open")
    (one,) = sms_by_id(store, [1])
    with pytest.raises(RuntimeError, match="inside the transaction"):
        repeats.start_run(store, CHAT, 501, one, "x", NOW)


def test_a_run_goes_with_its_first_sms_when_that_is_purged(store: Store) -> None:
    save(store, 1, "Door 7 open")
    relay_alone(store, 1, 501, NOW)
    save(store, 2, "Door 7 closed")  # the newest stays: it is the poll cursor
    assert retention.purge_batch(store, NOW + timedelta(days=400)) == 1
    for table in ("repeat_runs", "collapse_deliveries"):
        found = store.conn.execute(f"SELECT count(*) FROM {table} WHERE message_id = 1")
        assert found.fetchone() == (0,), table
