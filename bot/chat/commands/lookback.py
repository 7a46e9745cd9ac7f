"""The one query path of /last, /history, /search and /from: incoming SMS, outgoing SMS,
what this chat may see of them, and the heading that says what was looked through.

Each command only says what it asks (`Newest`, `Within`, `Containing`, `FromSender`);
`look_back` runs both queries, keeps the outgoing SMS the asking chat may see (with routes,
those sent from it, as the store does for incoming ones), and titles the answer. So a
rule about what an answer holds, such as who sees what, is written once, not four times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import assert_never
from zoneinfo import ZoneInfo

from bot.chat.windows import Window
from bot.core.database import AsyncStore
from bot.text.clock import zone_name
from bot.text.formatting import display_typed_phone
from bot.text.i18n import _, ngettext
from state import Page, Store, history, outgoing
from state.outgoing import Outgoing

LAST_MAX = 100  # most SMS one /last shows
ANSWER_ROWS = 2000  # most SMS one answer carries; more are counted and the user told


@dataclass(frozen=True)
class Newest:
    """/last: the `count` newest SMS, incoming and outgoing together."""

    count: int
    capped: bool = False  # more than LAST_MAX were asked for


@dataclass(frozen=True)
class Within:
    """/history: the SMS of a window."""

    window: Window


@dataclass(frozen=True)
class Containing:
    """/search: the SMS containing every word of `text`, in a window or all history."""

    text: str
    window: Window | None


@dataclass(frozen=True)
class FromSender:
    """/from: the SMS from (and replies to) one number or name, however it was typed."""

    sender: str
    window: Window | None


Asked = Newest | Within | Containing | FromSender


@dataclass(frozen=True)
class Found:
    """An answer before it is drawn: the SMS, and the heading that says what they are."""

    page: Page  # incoming
    sent: list[Outgoing]  # outgoing, those the asking chat may see
    title: str
    scope: str  # the window and the zone the answer covers
    filename: str  # for an answer too long for messages


async def look_back(
    store: AsyncStore,
    asked: Asked,
    *,
    visible_to: str | None,
    zone: ZoneInfo,
    region: str,
    now: datetime,
) -> Found:
    """What one history command found for a chat (`visible_to`: None sees everything)."""
    page, found = await store.call(_query, asked, visible_to)
    sent = [o for o in found if visible_to is None or o.chat == visible_to]
    if isinstance(asked, Newest):
        page, sent = newest_of(page, sent, asked.count)
    title, scope, filename = _heading(asked, len(page.messages) + len(sent), zone, region, now)
    return Found(page, sent, title, scope, filename)


def _query(store: Store, asked: Asked, visible_to: str | None) -> tuple[Page, list[Outgoing]]:
    """Both queries, on the store's thread: incoming for the chat, then every outgoing."""
    match asked:
        case Newest(count):
            return history.last(store, count, visible_to), outgoing.went_out_last(store, count)
        case Within(window):
            return (
                history.between(store, window.start, window.end, ANSWER_ROWS, visible_to),
                outgoing.went_out_between(store, window.start, window.end, ANSWER_ROWS),
            )
        case Containing(text, window):
            start, end = _bounds(window)
            return (
                history.search(store, text, start, end, ANSWER_ROWS, visible_to),
                outgoing.went_out_with(store, text.split(), start, end, ANSWER_ROWS),
            )
        case FromSender(sender, window):
            start, end = _bounds(window)
            return (
                history.from_sender(store, sender, start, end, ANSWER_ROWS, visible_to),
                outgoing.went_out_to(store, sender, start, end, ANSWER_ROWS),
            )
        case _:
            assert_never(asked)


def _bounds(window: Window | None) -> tuple[datetime | None, datetime | None]:
    return (window.start, window.end) if window else (None, None)


def _heading(
    asked: Asked, shown: int, zone: ZoneInfo, region: str, now: datetime
) -> tuple[str, str, str]:
    """The title, the scope and the file name of an answer showing `shown` SMS."""
    match asked:
        case Newest(count, capped):
            title, scope = last_heading(shown, capped, zone, now)
            return title, scope, f"sms last {count}.txt"
        case Within(window):
            return _("SMS received"), window.label(), _filename(window)
        case Containing(text, window):
            title = _("SMS containing “{text}”").format(text=text)
            return title, _scope(window, zone, now), _filename(window)
        case FromSender(sender, window):
            title = from_title(sender, region)
            return title, _scope(window, zone, now), _filename(window)
        case _:
            assert_never(asked)


def newest_of(page: Page, sent: list[Outgoing], count: int) -> tuple[Page, list[Outgoing]]:
    """The `count` newest of the incoming and outgoing SMS together (for /last)."""
    moments = sorted(
        [*(sms.received_at for sms in page.messages), *(o.sent_at for o in sent if o.sent_at)]
    )
    if len(moments) <= count:
        return page, sent
    since = moments[-count]
    kept = [sms for sms in page.messages if sms.received_at >= since]
    return Page(kept, len(kept)), [o for o in sent if o.sent_at and o.sent_at >= since]


def last_heading(shown: int, capped: bool, zone: ZoneInfo, now: datetime) -> tuple[str, str]:
    """The title of a /last answer, and its scope: the zone, and the cap when it applied.

    The title counts what is shown, not what was asked: with 3 SMS stored, a bare /last
    (10) says "The last 3 SMS"."""
    if shown:
        title = ngettext("The last {n} SMS", "The last {n} SMS", shown).format(n=shown)
    else:
        title = _("The last SMS")
    scope = _("times in {zone}").format(zone=zone_name(zone, now))
    if capped:
        scope += " · " + _("at most {max} at a time").format(max=LAST_MAX)
    return title, scope


def from_title(sender: str, region: str) -> str:
    """The title of a /from answer: the number as the bridge read it, or the name as typed."""
    return _("SMS from {sender}").format(sender=display_typed_phone(sender, region))


def _scope(window: Window | None, zone: ZoneInfo, now: datetime) -> str:
    if window is None:
        return _("all stored history, times in {zone}").format(zone=zone_name(zone, now))
    return window.label()


def _filename(window: Window | None) -> str:
    """An answer file named after its window: `sms 2026-11-28 1405 - 2026-11-28 1605.txt`."""
    return "sms all.txt" if window is None else window.file_name(".txt")
