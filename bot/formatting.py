"""SMS as Telegram HTML: the one place that escapes, tags codes and splits long text.

SMS text is untrusted and must arrive exactly as typed: every `<`, `>` and `&` is escaped,
and the only tags are the ones added here (`b`, `i`, `code`). Telegram takes at most 4096
characters a message, so text is split *after* escaping, between "atoms" (one escaped
character, or one whole `<code>` span), never inside an entity or a tag. Lengths are
counted in UTF-16 code units, as Telegram counts them, so an emoji weighs two.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from state import StoredSms

TEXT_LIMIT = 4096  # telegram.constants.MessageLimit.MAX_TEXT_LENGTH
ENTRY_SEPARATOR = "\n\n"

_ESCAPES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
# A standalone run of 4 to 8 digits: an OTP or a PIN, shown tap-to-copy.
_CODE = re.compile(r"(?<!\d)\d{4,8}(?!\d)")


def escape(text: str) -> str:
    """Text made safe for Telegram HTML (the attribute quotes need no escaping here)."""
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def format_time(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%d.%m.%Y %H:%M:%S %Z")


def display_phone(number: str) -> str:
    """A bare international number gets its `+`; names and odd forms stay as written."""
    bare = number.isascii() and number.isdigit()
    return f"+{number}" if bare and len(number) >= 7 else number


def text_atoms(text: str) -> list[str]:
    """The SMS text as escaped pieces that must not be cut: characters and code spans."""
    atoms: list[str] = []
    position = 0
    for match in _CODE.finditer(text):
        atoms.extend(_ESCAPES.get(ch, ch) for ch in text[position : match.start()])
        atoms.append(f"<code>{match.group()}</code>")
        position = match.end()
    atoms.extend(_ESCAPES.get(ch, ch) for ch in text[position:])
    return atoms


def _break_point(atoms: Sequence[str]) -> int:
    """Where to end a full chunk: after the last line break or space in its second half."""
    half = len(atoms) // 2
    for wanted in ("\n", " "):
        for index in range(len(atoms) - 1, half, -1):
            if atoms[index] == wanted:
                return index + 1
    return len(atoms)


def split_atoms(atoms: Sequence[str], limit: int = TEXT_LIMIT) -> list[str]:
    """Join atoms into chunks of at most `limit`, breaking at whitespace where it can."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for atom in atoms:
        weight = telegram_length(atom)
        if size + weight > limit and current:
            cut = _break_point(current)
            chunks.append("".join(current[:cut]))
            current = current[cut:]
            size = sum(telegram_length(a) for a in current)
        current.append(atom)
        size += weight
    if current or not chunks:
        chunks.append("".join(current))
    return chunks


def _sms_header(sms: StoredSms, zone: ZoneInfo, part: str = "") -> str:
    return (
        f"📩 SMS from <b>{escape(display_phone(sms.sender))}</b>{part}\n"
        f"to {escape(display_phone(sms.recipient))} · {format_time(sms.received_at, zone)}"
    )


def render_sms(sms: StoredSms, zone: ZoneInfo, limit: int = TEXT_LIMIT) -> list[str]:
    """One relayed SMS: a header (sender, receiving number, time) and the text as written.

    Usually one message; a text too long for one comes as numbered parts, nothing cut.
    """
    header = _sms_header(sms, zone)
    body = text_atoms(sms.text)
    whole = header + ENTRY_SEPARATOR + "".join(body)
    if telegram_length(whole) <= limit:
        return [whole.rstrip("\n") if not sms.text else whole]
    widest_header = _sms_header(sms, zone, " (999/999)") + ENTRY_SEPARATOR
    parts = split_atoms(body, limit - telegram_length(widest_header))
    return [
        _sms_header(sms, zone, f" ({number}/{len(parts)})") + ENTRY_SEPARATOR + part
        for number, part in enumerate(parts, start=1)
    ]


def entry_atoms(sms: StoredSms, zone: ZoneInfo) -> list[str]:
    """One SMS as an item of a list (history answers, backlog digests): header line + text."""
    header = (
        f"<b>{format_time(sms.received_at, zone)}</b> · "
        f"{escape(display_phone(sms.sender))} → {escape(display_phone(sms.recipient))}\n"
    )
    return [header, *text_atoms(sms.text)]


def plain_entry(sms: StoredSms, zone: ZoneInfo) -> str:
    """One SMS as plain text, for answers sent as a file."""
    return (
        f"{format_time(sms.received_at, zone)} · {display_phone(sms.sender)} → "
        f"{display_phone(sms.recipient)} · id {sms.smsc_id}\n{sms.text}"
    )


@dataclass(frozen=True)
class Packed:
    """One message of a packed list, and which entries (by index) it carries."""

    html: str
    entries: tuple[int, ...]


def pack_entries(
    entries: Sequence[Sequence[str]], limit: int = TEXT_LIMIT, reserve: int = 0
) -> list[Packed]:
    """Pack whole entries into as few messages as fit, order kept.

    An entry is split over several messages only when it alone is longer than a message.
    `reserve` leaves room in every message for a heading added by the caller.
    """
    room = limit - reserve
    messages: list[Packed] = []
    current: list[str] = []
    members: list[int] = []
    size = 0

    def flush() -> None:
        nonlocal current, members, size
        if current:
            messages.append(Packed(ENTRY_SEPARATOR.join(current), tuple(members)))
        current, members, size = [], [], 0

    for index, atoms in enumerate(entries):
        text = "".join(atoms)
        weight = telegram_length(text)
        extra = weight + (len(ENTRY_SEPARATOR) if current else 0)
        if size + extra <= room:
            current.append(text)
            members.append(index)
            size += extra
            continue
        flush()
        if weight <= room:
            current, members, size = [text], [index], weight
        else:
            messages.extend(Packed(part, (index,)) for part in split_atoms(atoms, room))
    flush()
    return messages


DIGEST_HEADER_RESERVE = 160  # room kept in each digest message for digest_header()


def digest_header(first: StoredSms, last: StoredSms, count: int, left: int, zone: ZoneInfo) -> str:
    """The heading of a backlog digest: how many SMS, their time span, what still waits."""
    span = f"{format_time(first.received_at, zone)} – {format_time(last.received_at, zone)}"
    waiting = f"; {left} more waiting" if left else ""
    return f"📦 <b>Backlog: {count} SMS</b>, oldest first\n{escape(span)}{waiting}"
