"""Collapsed repeats: how long a route's repeated SMS fold into the message already shown.

A route's `collapse = "10m"` says: an SMS with the same sender and the same text as one
relayed into the same chat less than ten minutes ago makes no new message; the earlier
message counts it (`×3, last 03:12`, `bot.relay.repeats`). The window runs from when the
earlier message was relayed, not from the last repeat, so an alarm repeated every minute
for an hour still sounds once every window: folded, not silenced. Pure: no I/O.

A window is a whole number with a unit: `90s`, `10m`, `2h`, from one second to a day.
"""

from __future__ import annotations

import re

MAX_WINDOW = 24 * 3600  # a day: a repeat after that is news again

_WINDOW = re.compile(r"^\s*(\d+)\s*(s|m|h)\s*$", re.IGNORECASE)
_SECONDS = {"s": 1, "m": 60, "h": 3600}


class CollapseError(ValueError):
    """A `collapse` value that cannot be read; the message says why, in one line."""


def parse_collapse(text: str) -> int:
    """The window of `collapse = "10m"`, in seconds."""
    found = _WINDOW.match(text)
    if found is None:
        raise CollapseError(f"{text!r}: write a number and a unit, such as 90s, 10m or 2h")
    seconds = int(found[1]) * _SECONDS[found[2].lower()]
    if not 1 <= seconds <= MAX_WINDOW:
        raise CollapseError(f"{text!r}: give from 1 second to 24 hours")
    return seconds


def window_text(seconds: int) -> str:
    """A window as a route would write it: `10m`, `90s`, `2h`."""
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
