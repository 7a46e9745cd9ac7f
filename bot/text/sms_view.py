"""How an SMS reads in a chat: relayed alone, in a backlog digest, in a list answer.

A phone's notification preview shows about one line, so that line carries what matters:
the one-time code in front when the SMS clearly carries one, the sender, and the start of
the text. What is left follows the text, short: the receiving number only when the
account has several, the time, the date only when it is not today. An SMS relayed more
than LATE_AFTER after SMSC received it says how old it is first of all, on the first line
(`⏳ 3 h 10 min old · 🔑 4821 · ...`): a notification shows no more, and after an outage an
old code must not look fresh. A resend after an uncertain send says it is a possible
duplicate.

The text itself is always whole and exactly as written (`bot.text.formatting` escapes and
splits it); the bridge's own words around it come from the catalogue (`bot.text.i18n`). An SMS
SMSC sent with characters that could not be read (each stored as �) says so, in a few
words after the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.text.clock import FullMoments, moment_in_zone, short_moment, zone_name
from bot.text.codes import code_spans, first_code
from bot.text.durations import short_duration
from bot.text.formatting import (
    ENTRY_SEPARATOR,
    TEXT_LIMIT,
    code_html,
    display_phone,
    escape,
    split_atoms,
    text_atoms,
    visible_length,
)
from bot.text.i18n import _, ngettext
from state import StoredSms

LATE_AFTER = timedelta(minutes=2)
FOLD_LONGER_THAN = 200  # list entries with more text than this fold into a quote...
FOLD_AT_MOST = 3000  # ...that fits in one message (a fold cannot be split across two)


@dataclass(frozen=True)
class Look:
    """What a rendering depends on besides the SMS."""

    zone: ZoneInfo
    now: datetime
    several_numbers: bool = False  # the account receives on more than one number
    hide_codes: bool = False  # HIDE_CODES: one-time codes hidden until tapped (spoilers)


def _sender(sms: StoredSms) -> str:
    return escape(display_phone(sms.sender))


def _is_late(sms: StoredSms, look: Look) -> bool:
    return look.now - sms.received_at > LATE_AFTER


def age_text(newest: datetime, now: datetime, oldest: datetime | None = None) -> str:
    """`⏳ 3 h 10 min old`, or for several SMS `⏳ 12 min – 1 h 5 min old`: how old, in
    the words a first line can hold."""
    young = short_duration((now - newest).total_seconds())
    old = short_duration((now - oldest).total_seconds()) if oldest is not None else young
    age = young if old == young else f"{young} – {old}"
    return "⏳ " + _("{age} old").format(age=age)


def _lead(sms: StoredSms, look: Look, part: str = "", with_code: bool = True) -> str:
    """The start of the first line: the age of a late SMS, the code if any, the sender,
    `: `. The age comes first, before the code: a notification shows this line only, and
    an old code must not look fresh to someone half awake."""
    code = first_code(sms.text) if with_code else None
    if _is_late(sms, look):
        icon = age_text(sms.received_at, look.now) + " · "
    else:
        icon = "" if code else "📩 "
    if code:
        icon += f"🔑 {code_html(code, look.hide_codes)} · "
    return f"{icon}<b>{_sender(sms)}</b>{part}: "


def _label(sms: StoredSms) -> str:
    """The label of the route that took it (which line, which team: ROUTES_FILE), or nothing.

    A relayed SMS has it first in the footer, after the text, so that the notification
    preview still starts with the code and the sender; a list entry ends its head with it.
    """
    return _("🏷 {label}").format(label=escape(sms.label)) if sms.label else ""


def _damaged(sms: StoredSms) -> str:
    """A few words on an SMS whose unreadable characters were replaced by �, or nothing."""
    return escape(_("some characters could not be read (�)")) if sms.damaged else ""


def _recipient(sms: StoredSms) -> str:
    """`to +7 903 123-45-67`: the account's number it came to (an arrow read "forwarded")."""
    return _("to {phone}").format(phone=display_phone(sms.recipient))


def _footer(sms: StoredSms, look: Look, repeat: bool) -> str:
    """After the text: its label, where it went (if the account has several numbers), when
    (a late SMS: when SMSC received it; its age is on the first line)."""
    items = [_label(sms)] if sms.label else []
    if look.several_numbers and sms.recipient:
        items.append(escape(_recipient(sms)))
    received = moment_in_zone(sms.received_at, look.zone, look.now)
    if _is_late(sms, look):
        items.append(_("received {moment}").format(moment=received))
    else:
        items.append(received)
    if sms.damaged:
        items.append(_damaged(sms))
    if repeat:
        items.append(_("↻ possible duplicate"))
    return ENTRY_SEPARATOR + "<i>" + " · ".join(items) + "</i>"


def render_sms(
    sms: StoredSms, look: Look, *, repeat: bool = False, limit: int = TEXT_LIMIT
) -> list[str]:
    """One relayed SMS as HTML messages: usually one; a long text in numbered parts."""
    footer = _footer(sms, look, repeat)
    body = text_atoms(sms.text, look.hide_codes)
    whole = _lead(sms, look) + "".join(body) + footer
    if visible_length(whole) <= limit:
        return [whole]
    widest = _lead(sms, look, " (999/999)") + footer
    parts = split_atoms(body, limit - visible_length(widest))
    count = len(parts)
    return [
        _lead(sms, look, f" ({number}/{count})", with_code=number == 1)
        + part
        + (footer if number == count else "")
        for number, part in enumerate(parts, start=1)
    ]


def with_repeats(html: str, count: int, last: datetime, look: Look) -> str:
    """A relayed message that stands for `count` copies of its SMS (a route's `collapse`):
    `🔁 ×3, last 03:12 MSK` under it, the latest copy's time as SMSC received it."""
    moment = moment_in_zone(last, look.zone, look.now)
    line = _("🔁 ×{count}, last {moment}").format(count=count, moment=moment)
    return f"{html}\n<i>{escape(line)}</i>"


def entry_atoms(
    sms: StoredSms,
    look: Look,
    *,
    fold: bool = False,
    note: str = "",
    at_most: int | None = None,
) -> list[str]:
    """One SMS as an item of a list (digests, answers): `14:05 · sender: text`.

    `fold` puts a long text in an expandable quote, so that a list of long SMS stays
    short to scroll; `note` is added to the head (who took it, a repeat); `at_most`
    shortens a longer text to its first characters and `…` (never cutting a code).
    """
    head = short_moment(sms.received_at, look.zone, look.now) + " · " + _sender(sms)
    if look.several_numbers and sms.recipient:
        head += " · " + escape(_recipient(sms))
    if sms.label:
        head += " · " + _label(sms)
    if sms.damaged:
        head += " · " + _damaged(sms)
    head = f"<b>{head}</b>{note}: "
    if at_most is not None and len(sms.text) > at_most:
        return [head, *text_atoms(_start_of(sms.text, at_most), look.hide_codes), "…"]
    body = text_atoms(sms.text, look.hide_codes)
    if fold and FOLD_LONGER_THAN < len(sms.text) <= FOLD_AT_MOST:
        return [head, "\n<blockquote expandable>" + "".join(body) + "</blockquote>"]
    return [head, *body]


def _start_of(text: str, length: int) -> str:
    """The first `length` characters of `text`, cut after a word if one ends near there,
    or up to the end of a code that would be cut."""
    cut = length
    space = text.rfind(" ", length - 20, length + 1)
    if space > 0:
        cut = space
    for span in code_spans(text):
        if span.start < cut < span.end:
            cut = span.end
    return text[:cut].rstrip()


def digest_header(first: StoredSms, last: StoredSms, count: int, left: int, look: Look) -> str:
    """The heading of a backlog digest: how old (when late: the first line is all a
    notification shows), how many SMS, their time span, what still waits."""
    span = (
        f"{short_moment(first.received_at, look.zone, look.now)} – "
        f"{short_moment(last.received_at, look.zone, look.now)} "
        f"{zone_name(look.zone, last.received_at)}"
    )
    title = ngettext("Backlog: {n} SMS", "Backlog: {n} SMS", count).format(n=count)
    parts = [f"<b>{title}</b>", _("oldest first"), escape(span)]
    if _is_late(last, look):
        age = age_text(last.received_at, look.now, first.received_at)
        parts.insert(0, f"<b>{escape(age)}</b>")
    parts[0] = "📦 " + parts[0]
    if left:
        parts.append(ngettext("{n} more follow", "{n} more follow", left).format(n=left))
    return " · ".join(parts)


def plain_entry(sms: StoredSms, moments: FullMoments) -> str:
    """One SMS as plain text, for answers sent as a file (read later: full dates), its
    moment written by the writer the file's entries share."""
    return (
        f"{moments(sms.received_at)} · {display_phone(sms.sender)} → "
        f"{display_phone(sms.recipient)} · id {sms.smsc_id}\n{sms.text}"
    )
