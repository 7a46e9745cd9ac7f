"""Telegram HTML: the one place that escapes, tags codes, measures and splits text.

SMS text is untrusted and must arrive exactly as typed: every `<`, `>` and `&` is escaped,
and the only tags are the ones the bridge adds. Telegram takes at most 4096 characters a
message, counted *after* entity parsing (what the reader sees, not the HTML), in UTF-16
code units (an emoji weighs two). So text is cut into "atoms" (one escaped character, or
one whole `<code>` span) that are never split, and measured by what they show.

With HIDE_CODES a code is also a spoiler, hidden until tapped: `<tg-spoiler>` around the
`<code>`. Telegram lets a spoiler contain a code (bold, italic, underline, strikethrough
and spoiler entities may contain any other entity; only pre and code contain nothing), so
the code stays tap-to-copy once shown.
"""

from __future__ import annotations

import functools
import html as html_module
import re
from collections.abc import Sequence
from dataclasses import dataclass

import phonenumbers

from bot.text.codes import code_spans
from state.phones import e164_digits, parse_phone

TEXT_LIMIT = 4096  # telegram.constants.MessageLimit.MAX_TEXT_LENGTH
ENTRY_SEPARATOR = "\n\n"
MIN_SHOWN_INTERNATIONAL = 7  # bare digits this long are an international number, shown with +
NAME_LIMIT = 32  # characters of a person's name shown in a chat (Telegram allows 64 + 64)
PLAIN_PART_LIMIT = TEXT_LIMIT // 2  # a plain-text last resort: half what Telegram takes

_ESCAPES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
_TAG = re.compile(r"<[^>]*>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def escape(text: str) -> str:
    """Text made safe for Telegram HTML (the attribute quotes need no escaping here)."""
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


def utf16_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def visible_length(html: str) -> int:
    """How long `html` is once Telegram has parsed it: tags weigh nothing, `&lt;` one."""
    if "<" not in html and "&" not in html:
        return utf16_length(html)
    return utf16_length(_ENTITY.sub("x", _TAG.sub("", html)))


def short_name(name: str, limit: int = NAME_LIMIT) -> str:
    """A person's name as chats show it: one line of at most `limit` characters (as
    Telegram counts them), cut with `…`.

    A Telegram name is a first and a last name of up to 64 characters each (an emoji
    weighs two), and it is shown beside an SMS that must still fit in one message.
    """
    one_line = " ".join(name.split()) or "?"
    if utf16_length(one_line) <= limit:
        return one_line
    kept: list[str] = []
    size = 0
    for ch in one_line:
        size += utf16_length(ch)
        if size > limit - 1:  # room for the `…`
            break
        kept.append(ch)
    return "".join(kept).rstrip() + "…"


def plain_text(html: str) -> str:
    """What a reader sees of the bridge's own HTML: the text without tags, entities read.

    Only for HTML the bridge wrote: every `<` and `&` of the text itself is escaped.
    """
    return html_module.unescape(_TAG.sub("", html))


def plain_parts(html_parts: Sequence[str], limit: int = PLAIN_PART_LIMIT) -> list[str]:
    """Messages the bridge wrote in HTML, as plain text in parts of at most `limit`.

    The last resort when Telegram refuses a message as written: it reads the same, without
    formatting, with a wide margin under the length limit. Nothing of the text is lost; a
    part of whitespace only, which Telegram would trim to nothing, is left out.
    """
    parts: list[str] = []
    for html in html_parts:
        parts += split_atoms(list(plain_text(html)), limit)
    return [part for part in parts if part.strip()]


@functools.lru_cache(maxsize=4096)
def display_phone(number: str) -> str:
    """A number as people read it: `+7 926 123-45-67`; names and odd forms as written.

    SMSC writes numbers as bare international digits (and so does the bridge, for the
    numbers it sends to), so bare digits get a `+` and, when `phonenumbers` knows them as
    a valid number, its international format, the groups as that country writes them
    (`+380 67 123 4567`, `+1 212-555-0100`). Short numbers (`900`) and names stay as sent.
    """
    bare = number.isascii() and number.isdigit()
    if not bare or len(number) < MIN_SHOWN_INTERNATIONAL:
        return number
    try:
        parsed = phonenumbers.parse("+" + number, None)
    except phonenumbers.NumberParseException:
        return f"+{number}"
    if not phonenumbers.is_valid_number(parsed):
        return f"+{number}"
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def e164_phone(number: str) -> str:
    """A number for machines (exports): bare international digits get their `+`, nothing
    else changes, so a spreadsheet column sorts and matches; names stay as sent."""
    bare = number.isascii() and number.isdigit()
    return f"+{number}" if bare and len(number) >= MIN_SHOWN_INTERNATIONAL else number


def display_typed_phone(text: str, region: str) -> str:
    """A number as a person typed it, shown as the bridge reads it (`/from 067 123 45 67`
    with PHONE_REGION=UA: `+380 67 123 4567`); a name or a short number as typed."""
    number = parse_phone(text, region, typed=True)
    if number is None or not phonenumbers.is_valid_number(number):
        return text
    return display_phone(e164_digits(number))


def code_html(code: str, hidden: bool = False) -> str:
    """A one-time code (digits only) tap-to-copy, hidden until tapped when `hidden`."""
    return f"<tg-spoiler><code>{code}</code></tg-spoiler>" if hidden else f"<code>{code}</code>"


def text_atoms(text: str, hide_codes: bool = False) -> list[str]:
    """The SMS text as escaped pieces that must not be cut: characters and code spans.

    Only likely one-time codes (`bot.text.codes`) are tap-to-copy; hidden too with `hide_codes`.
    """
    atoms: list[str] = []
    position = 0
    for span in code_spans(text):
        atoms.extend(_ESCAPES.get(ch, ch) for ch in text[position : span.start])
        atoms.append(code_html(text[span.start : span.end], hide_codes))
        position = span.end
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
        weight = visible_length(atom)
        if size + weight > limit and current:
            cut = _break_point(current)
            chunks.append("".join(current[:cut]))
            current = current[cut:]
            size = sum(visible_length(a) for a in current)
        current.append(atom)
        size += weight
    if current or not chunks:
        chunks.append("".join(current))
    return chunks


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
        weight = visible_length(text)
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
