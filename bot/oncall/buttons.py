"""What a take button carries, and how a message reads once its SMS are taken. Pure.

A button's data names the SMS it takes (`t:<SMSC ID>`), or for a digest the first and last
SMS of it (`d:<first>:<last>`), never an object in memory: a button pressed after a
restart, or in a group that became a supergroup, still says what it is for. Telegram
allows 64 bytes; SMSC IDs are at most 19 digits, so `d:` and two IDs fit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.clock import moment_in_zone
from bot.formatting import escape
from bot.i18n import _, ngettext
from bot.numbers import ascii_int
from state.oncall import Take

TAKE_RESERVE = 160  # room kept in a relayed message for the "taken by" line


@dataclass(frozen=True)
class Press:
    """What a pressed button asks for."""

    take: bool  # take (True) or release (False)
    first: int  # the SMS, or the first SMS of a digest
    last: int  # the same SMS, or the last SMS of a digest

    @property
    def digest(self) -> bool:
        return self.first != self.last

    def data(self) -> str:
        verb = "t" if self.take else "r"
        if self.digest:
            return f"{verb}d:{self.first}:{self.last}"
        return f"{verb}:{self.first}"


def read_press(data: str | None) -> Press | None:
    """The button's data, or None when it is not one of ours (or unreadable)."""
    verb, _sep, rest = (data or "").partition(":")
    if verb not in ("t", "r", "td", "rd"):
        return None
    ids = [ascii_int(part) for part in rest.split(":")]
    if not ids or None in ids or len(ids) != (2 if verb.endswith("d") else 1):
        return None
    first, last = ids[0], ids[-1]
    assert first is not None and last is not None
    if last < first:
        return None
    return Press(take=verb.startswith("t"), first=first, last=last)


def take_markup(first: int, last: int, count: int = 1) -> InlineKeyboardMarkup:
    """The button on a relayed message: take this SMS, or every SMS of a digest."""
    label = _("✋ Take") if count == 1 else _("✋ Take all {n}").format(n=count)
    press = Press(take=True, first=first, last=last)
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=press.data())]])


def release_markup(first: int, last: int) -> InlineKeyboardMarkup:
    press = Press(take=False, first=first, last=last)
    button = InlineKeyboardButton(_("↩️ Release"), callback_data=press.data())
    return InlineKeyboardMarkup([[button]])


def taken_line(
    takes: Mapping[int, Take], smsc_ids: Sequence[int], zone: ZoneInfo, now: datetime
) -> str | None:
    """`✋ Taken by Anna at 03:12 MSK`, for a digest `✋ 3 of 5 taken: Anna (2), Boris`."""
    held = [takes[smsc_id] for smsc_id in smsc_ids if smsc_id in takes]
    if not held:
        return None
    if len(smsc_ids) == 1 or (len(held) == len(smsc_ids) and len({t.by for t in held}) == 1):
        first = held[0]
        text = _("✋ Taken by {name} at {time}").format(
            name=first.by.name, time=moment_in_zone(first.at, zone, now)
        )
        return f"<b>{escape(text)}</b>"
    counts: dict[str, int] = {}
    for take in held:
        counts[take.by.name] = counts.get(take.by.name, 0) + 1
    who = ", ".join(f"{name} ({n})" if n > 1 else name for name, n in counts.items())
    text = ngettext("✋ {n} of {total} taken: {who}", "✋ {n} of {total} taken: {who}", len(held))
    return f"<b>{escape(text.format(n=len(held), total=len(smsc_ids), who=who))}</b>"


def message_after_press(
    html: str, takes: Mapping[int, Take], smsc_ids: Sequence[int], zone: ZoneInfo, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    """A relayed message as it reads now: what it showed, who took it, the button left."""
    line = taken_line(takes, smsc_ids, zone, now)
    first, last = smsc_ids[0], smsc_ids[-1]
    if line is None:
        return html, take_markup(first, last, len(smsc_ids))
    text = f"{html}\n\n{line}"
    if all(smsc_id in takes for smsc_id in smsc_ids):
        return text, release_markup(first, last)
    return text, take_markup(first, last, len(smsc_ids))
