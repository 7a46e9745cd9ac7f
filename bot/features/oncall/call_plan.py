"""The pure part of calling: when each step of a chain falls due and whom it calls, what
the call says, and a number as its owner may see it. No I/O.

A chain's steps: step 0 falls due `call` after the SMS was relayed, each later one `next`
after the step before was placed (a late step, after a restart, gives the next person
their full `next`). Step `k` calls `order[k % len(order)]`, the call order as it stands
when the step falls due (who is on duty may change meanwhile), for at most `rounds`
times through it: `rounds * len(order)` steps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.text.codes import code_spans
from bot.text.durations import minutes_in_words
from bot.text.formatting import display_phone
from bot.text.i18n import _

SPOKEN_WORDS = 12  # words of the SMS a call reads out


@dataclass(frozen=True)
class Policy:
    """A chat's calling policy, as the team file's `Escalation` gives it."""

    call: timedelta
    next: timedelta
    rounds: int
    read_code: bool = False


def day_start(now: datetime, zone: ZoneInfo) -> datetime:
    """Midnight of `now`'s day in the display zone: where CALL_DAILY_LIMIT starts over
    (as SMS_DAILY_LIMIT does)."""
    local = now.astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def steps(policy: Policy, people: int) -> int:
    """How many calls a chain makes at most with `people` in the call order."""
    return max(policy.rounds, 0) * max(people, 0)


def callee_index(step: int, people: int) -> int:
    return step % people


def next_due(policy: Policy, step: int, people: int, placed_at: datetime) -> datetime | None:
    """When the step after `step` falls due, `step` placed at `placed_at`; None: it was
    the last."""
    return placed_at + policy.next if step + 1 < steps(policy, people) else None


def schedule(policy: Policy, people: int) -> list[tuple[timedelta, int]]:
    """The plan as /oncall shows it: for each step, how long after the SMS was relayed it
    falls due at the earliest, and whom of the order it calls (an index)."""
    return [
        (policy.call + step * policy.next, callee_index(step, people))
        for step in range(steps(policy, people))
    ]


def first_words(text: str, read_code: bool) -> str:
    """The start of an SMS to be read aloud: one-time codes left out unless `read_code`."""
    if not read_code:
        for span in reversed(code_spans(text)):
            text = text[: span.start] + text[span.end :]
    text = re.sub(r"\s+([,.;:!?])", r"\1", re.sub(r"\s+", " ", text))
    words = text.strip().split(" ")
    said = " ".join(words[:SPOKEN_WORDS]).rstrip(" ,.;:!?-")
    return said + ("…" if len(words) > SPOKEN_WORDS else "")


def spoken_text(sender: str, text: str, waited: float, read_code: bool) -> str:
    """What the call says, in the UI language."""
    return _("SMS from {sender}, not taken for {minutes}: {words}. Take it in Telegram.").format(
        sender=display_phone(sender),
        minutes=minutes_in_words(waited),
        words=first_words(text, read_code),
    )


def masked_phone(e164: str) -> str:
    """A number as its owner may see it in a chat: `+7 926 ***-**-67` (the country and the
    first group, the last two digits; every other digit a star)."""
    shown = display_phone(e164.lstrip("+"))
    groups = shown.split(" ")
    if len(groups) < 3:
        head, tail = shown[:4], shown[4:]
    else:
        head, tail = " ".join(groups[:2]) + " ", " ".join(groups[2:])
    digits = sum(ch.isdigit() for ch in tail)
    kept = 0
    out = []
    for ch in reversed(tail):
        if ch.isdigit():
            kept += 1
            out.append(ch if kept <= 2 and digits > 2 else "*")
        else:
            out.append(ch)
    return head + "".join(reversed(out))
