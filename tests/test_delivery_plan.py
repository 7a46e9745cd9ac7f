"""What a chat's relay sends next: pure rules, no servers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.relay.plan import (
    DIGEST_HEAD,
    default_digest_threshold,
    head_size,
    in_backlog,
    plan_next,
)
from bot.text.formatting import TEXT_LIMIT
from bot.text.i18n import in_language
from bot.text.sms_view import Look
from state import PendingDelivery, StoredSms
from tests.fakes.telegram import parse_telegram_html, relayed_text, utf16_length

MOSCOW = ZoneInfo("Europe/Moscow")
WHEN = datetime(2026, 11, 27, 13, 5, 3, tzinfo=UTC)
LOOK = Look(MOSCOW, WHEN)


def queued(*texts: str, uncertain: int = 0) -> list[PendingDelivery]:
    return [
        PendingDelivery(
            StoredSms(n, "79261234567", "79031234567", t, WHEN, None, WHEN), "-1", uncertain
        )
        for n, t in enumerate(texts, start=1)
    ]


def test_a_group_goes_into_backlog_above_what_it_takes_in_a_minute() -> None:
    assert default_digest_threshold(-1001) == 20 and default_digest_threshold(4040) == 60
    assert not in_backlog(20, 20, was_in_backlog=False)
    assert in_backlog(21, 20, was_in_backlog=False)


def test_a_backlog_lasts_until_the_queue_is_empty() -> None:
    assert in_backlog(1, 20, was_in_backlog=True)
    assert not in_backlog(0, 20, was_in_backlog=True)


def test_threshold_zero_turns_digests_off() -> None:
    assert not in_backlog(10_000, 0, was_in_backlog=False)


def test_how_much_of_the_queue_is_read() -> None:
    assert head_size(queued=50, backlog=False) == 1
    assert head_size(queued=1, backlog=True) == 1
    assert head_size(queued=50, backlog=True) == DIGEST_HEAD


def test_a_digest_is_silent_only_when_every_sms_in_it_is() -> None:
    loud, *quiet = queued("one", "two", "three")
    quiet = [replace(delivery, silent=True) for delivery in quiet]
    now, zone = LOOK.now, LOOK.zone
    assert plan_next(quiet, queued=2, backlog=True, look=LOOK).silent_at(now, zone)
    assert not plan_next([loud, *quiet], queued=3, backlog=True, look=LOOK).silent_at(now, zone)
    assert plan_next(quiet[:1], queued=1, backlog=False, look=LOOK).silent_at(now, zone)


def test_live_traffic_is_one_message_per_sms() -> None:
    plan = plan_next(queued("only this"), queued=1, backlog=False, look=LOOK)
    assert plan.ids == [1]
    assert relayed_text(plan.texts[0]) == "only this"


def test_a_resend_after_an_uncertain_send_says_it_is_a_possible_duplicate() -> None:
    [alone] = plan_next(queued("again", uncertain=1), queued=1, backlog=False, look=LOOK).texts
    assert "↻ possible duplicate" in parse_telegram_html(alone)
    digest = plan_next(queued("a", "b", uncertain=1), queued=2, backlog=True, look=LOOK)
    assert parse_telegram_html(digest.texts[0]).count("↻") == 2


def test_a_late_digest_says_how_old_its_sms_are_on_its_first_line() -> None:
    """After an outage a digest's codes are old: its notification (one line) says so."""
    hours_later = Look(MOSCOW, WHEN + timedelta(hours=2, minutes=5))
    head = queued("Your code 4821", "Your code 5522")
    head[1] = replace(head[1], sms=head[1].sms._replace(received_at=WHEN + timedelta(minutes=5)))
    digest = plan_next(head, queued=2, backlog=True, look=hours_later)
    first = parse_telegram_html(digest.texts[0]).split("\n")[0]
    assert first.startswith("📦 ⏳ 2 h 0 min – 2 h 5 min old · Backlog: 2 SMS")
    with in_language("ru"):
        russian = plan_next(head, queued=2, backlog=True, look=hours_later)
    assert parse_telegram_html(russian.texts[0]).startswith("📦 ⏳ 2 ч 0 мин – 2 ч 5 мин назад · ")
    fresh = plan_next(queued("a", "b"), queued=2, backlog=True, look=LOOK)
    assert parse_telegram_html(fresh.texts[0]).startswith("📦 Backlog: 2 SMS")


def test_a_backlog_packs_consecutive_sms_into_one_digest() -> None:
    head = queued(*(f"alarm {n}" for n in range(30)))
    plan = plan_next(head, queued=45, backlog=True, look=LOOK)
    assert plan.ids == list(range(1, 31))
    [text] = plan.texts
    assert parse_telegram_html(text).startswith(
        "📦 Backlog: 30 SMS · oldest first · 16:05 – 16:05 MSK"
    )
    assert "15 more follow" in parse_telegram_html(text)


def test_an_sms_that_fills_a_message_alone_goes_the_usual_way() -> None:
    head = queued("x" * 5000, "short")
    plan = plan_next(head, queued=2, backlog=True, look=LOOK)
    assert plan.ids == [1] and len(plan.texts) == 2
    assert parse_telegram_html(plan.texts[0]).startswith("📩 +7 926 123-45-67 (1/2): ")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=1500), min_size=1, max_size=40))
def test_a_plan_carries_a_prefix_of_the_queue_in_order_within_the_limit(texts: list[str]) -> None:
    head = queued(*texts)
    plan = plan_next(head, queued=len(head), backlog=True, look=LOOK)
    assert plan.ids == list(range(1, len(plan.ids) + 1)) and plan.ids
    assert all(utf16_length(parse_telegram_html(text)) <= TEXT_LIMIT for text in plan.texts)
