"""What a take button carries, and how a message reads once its SMS are taken. Pure.

A button's data names the SMS it takes (`t:<SMSC ID>`), or for a digest the first and last
SMS of it (`d:<first>:<last>`), never an object in memory: a button pressed after a
restart, or in a group that became a supergroup, still says what it is for. Telegram
allows 64 bytes; SMSC IDs are at most 19 digits, so `d:` and two IDs fit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.text.clock import moment_in_zone
from bot.text.formatting import TEXT_LIMIT, escape, short_name, utf16_length, visible_length
from bot.text.i18n import _, ngettext
from bot.text.numbers import ascii_int
from state.oncall import Take

TAKE_RESERVE = 160  # room kept in a relayed message for the "taken by" line
LINE_GAP = "\n\n"  # between the message and its "taken by" line
TAKERS_LISTED = 3  # a digest's line names its first takers, and counts the others


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
    takes: Mapping[int, Take],
    smsc_ids: Sequence[int],
    zone: ZoneInfo,
    now: datetime,
    room: int = TAKE_RESERVE - len(LINE_GAP),
) -> str | None:
    """`✋ Taken by Anna at 03:12 MSK`, for a digest `✋ 3 of 5 taken: Anna (2), Boris`.

    Never longer than `room` characters (as Telegram counts them), whoever took what: a
    name is cut (`short_name`), a digest names its first few takers and counts the others,
    and where even that does not fit the line only counts, or is left out.
    """
    held = [takes[smsc_id] for smsc_id in smsc_ids if smsc_id in takes]
    if not held:
        return None
    for text in _taken_texts(held, smsc_ids, zone, now):
        if utf16_length(text) <= room:
            return f"<b>{escape(text)}</b>"
    return None


def _taken_texts(
    held: Sequence[Take], smsc_ids: Sequence[int], zone: ZoneInfo, now: datetime
) -> Iterator[str]:
    """The taken line in each of its forms, the fullest first."""
    holders = {take.by.user_id for take in held}
    if len(smsc_ids) == 1 or (len(held) == len(smsc_ids) and len(holders) == 1):
        first = held[0]
        yield _("✋ Taken by {name} at {time}").format(
            name=short_name(first.by.name), time=moment_in_zone(first.at, zone, now)
        )
        yield _("✋ Taken")
        return
    counts: dict[int, tuple[str, int]] = {}  # by user ID: two people may share a name
    for take in held:
        name, n = counts.get(take.by.user_id, (short_name(take.by.name), 0))
        counts[take.by.user_id] = (name, n + 1)
    takers = [f"{name} ({n})" if n > 1 else name for name, n in counts.values()]
    for listed in range(min(len(takers), TAKERS_LISTED), 0, -1):
        who = takers[:listed]
        if len(takers) > listed:
            left = len(takers) - listed
            who.append(ngettext("+{n} more", "+{n} more", left).format(n=left))
        text = ngettext(
            "✋ {n} of {total} taken: {who}", "✋ {n} of {total} taken: {who}", len(held)
        )
        yield text.format(n=len(held), total=len(smsc_ids), who=", ".join(who))
    text = ngettext("✋ {n} of {total} taken", "✋ {n} of {total} taken", len(held))
    yield text.format(n=len(held), total=len(smsc_ids))


def message_after_press(
    html: str, takes: Mapping[int, Take], smsc_ids: Sequence[int], zone: ZoneInfo, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    """A relayed message as it reads now: what it showed, who took it, the button left.

    It stays within Telegram's limit: the line gets the room the message has left (all of
    TAKE_RESERVE for a message the relay rendered), never a character of the SMS.
    """
    room = min(TAKE_RESERVE, TEXT_LIMIT - visible_length(html)) - len(LINE_GAP)
    line = taken_line(takes, smsc_ids, zone, now, room)
    first, last = smsc_ids[0], smsc_ids[-1]
    text = html if line is None else f"{html}{LINE_GAP}{line}"
    if all(smsc_id in takes for smsc_id in smsc_ids):
        return text, release_markup(first, last)
    return text, take_markup(first, last, len(smsc_ids))
