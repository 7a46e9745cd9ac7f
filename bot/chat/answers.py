"""Answers to chat commands: lists of SMS as messages or, when long, as a file.

Answers state their window and time zone, say so when nothing matched, and are never cut
silently: entries with a long text are folded into an expandable quote so that a list
stays in a few messages; a longer list goes out as a text file named after its window,
saying how much of the match it holds. In groups every answer replies to the command it
answers, so two people's answers never mix. Every answer goes through the asker's chat
gateway, so it keeps the chat's pace and any `retry_after`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import BinaryIO

from telegram import ForceReply, Message, Update
from telegram.ext import ContextTypes

from bot.chat.context import bridge_of
from bot.chat.sent import history_entry, history_line
from bot.text.clock import FullMoments, short_moment
from bot.text.formatting import (
    ENTRY_SEPARATOR,
    TEXT_LIMIT,
    Packed,
    escape,
    pack_entries,
    short_name,
    visible_length,
)
from bot.text.i18n import _, number
from bot.text.sms_view import Look, entry_atoms, plain_entry
from state import Page, messages, oncall
from state.oncall import Take
from state.outgoing import Outgoing

MAX_ANSWER_MESSAGES = 3  # longer answers go out as a file
SHORTEN_UP_TO = 40  # entries: a list this short is shortened to stay in messages, not filed
MIN_ENTRY_HEAD = len("00:00 · : ") + len(ENTRY_SEPARATOR)  # the shortest head an entry has
SHORTENED_ENTRY = 280  # characters of each long SMS such a list shows
CAPTION_LIMIT = 1024  # characters of a file's or a picture's caption (Telegram)


def asked_in(update: Update) -> Message:
    message = update.effective_message
    assert message is not None
    return message


def _topic(message: Message) -> int | None:
    return message.message_thread_id if message.is_topic_message else None


def _reply_to(message: Message) -> int | None:
    """In groups an answer quotes its command; in a private chat there is no one to confuse."""
    return None if message.chat.type == "private" else message.message_id


async def reply(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    text: str,
    *,
    html: bool = True,
    force_reply: ForceReply | None = None,
) -> Message:
    """Answer in the asker's chat (and forum topic); raises WriteFailed."""
    asked = asked_in(update)
    gateway = bridge_of(context).chats.gateway(asked.chat_id)
    return await gateway.send_text(
        text,
        topic_id=_topic(asked),
        html=html,
        reply_to=_reply_to(asked),
        markup=force_reply,
        retry=True,
    )


async def look_now(context: ContextTypes.DEFAULT_TYPE) -> Look:
    """How SMS are shown right now: zone, today, whether to name receiving numbers, and
    whether codes are hidden until tapped."""
    bridge = bridge_of(context)
    several = await bridge.store.call(messages.receiving_numbers) > 1
    return Look(
        bridge.zone, datetime.now(UTC), several_numbers=several, hide_codes=bridge.hide_codes
    )


def showing(page: Page, oldest: bool = False) -> str:
    """How much of a truncated answer is shown, stated, never silent."""
    total = number(page.total)
    of = _("more than {total}").format(total=total) if page.total_is_lower_bound else total
    text = (
        _("Showing the oldest {shown} of {total}; narrow the window to see more.")
        if oldest
        else _("Showing the newest {shown} of {total}; narrow the window to see more.")
    )
    return text.format(shown=number(len(page.messages)), total=of)


def heading(title: str, scope: str, page: Page, oldest: bool = False) -> str:
    """The top of an answer: what was asked (bold), over which window, how much is shown."""
    lines = [f"<b>{escape(title)}</b>", escape(scope)]
    if page.truncated:
        lines.append(escape(showing(page, oldest)))
    return "\n".join(lines)


def taken_note(take: Take | None, look: Look) -> str:
    """Who took an SMS, for the head of its entry in a list: ` ✋ Anna 03:12`."""
    if take is None:
        return ""
    return f" ✋ {escape(short_name(take.by.name))} {short_moment(take.at, look.zone, look.now)}"


def answer_messages(
    title: str,
    scope: str,
    page: Page,
    look: Look,
    takes: Mapping[int, Take] | None = None,
    oldest: bool = False,
    sent: Sequence[Outgoing] = (),
) -> list[str] | None:
    """The answer as HTML messages, or None when it is too long and must be a file.

    Outgoing SMS (`sent`) are listed among the incoming ones, in time order, marked 📤.
    """
    top = heading(title, scope, page, oldest)
    if page.total == 0 and not sent:
        nothing = _("Nothing matched.")
        return [f"{top}\n\n{escape(nothing)}"]
    if _surely_a_file(page, sent):
        return None
    packed = _packed(top, _entries(page, look, takes or {}, sent))
    if len(packed) > MAX_ANSWER_MESSAGES and len(page.messages) + len(sent) <= SHORTEN_UP_TO:
        # A few long SMS: shortened, the list still reads in the chat; many: a file.
        shortened = _(
            "Long SMS are shortened here: each is whole in its relayed message and in /export."
        )
        top += "\n" + escape(shortened)
        packed = _packed(top, _entries(page, look, takes or {}, sent, SHORTENED_ENTRY))
    if len(packed) > MAX_ANSWER_MESSAGES:
        return None
    return [
        (top + ENTRY_SEPARATOR + message.html) if index == 0 else message.html
        for index, message in enumerate(packed)
    ]


def _surely_a_file(page: Page, sent: Sequence[Outgoing]) -> bool:
    """Whether the list cannot fit in the messages, told without drawing it: drawing two
    thousand SMS only to find they need a file took most of a /search's answer time.

    A lower bound: each entry shows its whole text (unshortened, escaping adds no visible
    character) after a head of at least `MIN_ENTRY_HEAD` characters. A short list may be
    shortened to fit, so it is always drawn.
    """
    if len(page.messages) + len(sent) <= SHORTEN_UP_TO:
        return False
    least = sum(len(sms.text) + MIN_ENTRY_HEAD for sms in page.messages)
    return least + MIN_ENTRY_HEAD * len(sent) > MAX_ANSWER_MESSAGES * TEXT_LIMIT


def _entries(
    page: Page,
    look: Look,
    takes: Mapping[int, Take],
    sent: Sequence[Outgoing],
    at_most: int | None = None,
) -> list[list[str]]:
    """The list's entries, incoming and outgoing SMS in time order."""
    timed = [
        (
            sms.received_at,
            entry_atoms(
                sms,
                look,
                fold=True,
                note=taken_note(takes.get(sms.smsc_id), look),
                at_most=at_most,
            ),
        )
        for sms in page.messages
    ]
    timed += [(out.sent_at or out.created_at, history_entry(out, look)) for out in sent]
    return [atoms for _moment, atoms in sorted(timed, key=lambda item: item[0])]


def _packed(top: str, entries: list[list[str]]) -> list[Packed]:
    return pack_entries(entries, TEXT_LIMIT, reserve=visible_length(top) + 2)


def answer_file(
    title: str,
    scope: str,
    page: Page,
    look: Look,
    takes: Mapping[int, Take],
    oldest: bool,
    sent: Sequence[Outgoing] = (),
) -> bytes:
    """The answer as a text file: every SMS whole, who took it, outgoing ones in place."""
    lines = [title, scope]
    if page.truncated:
        lines.append(showing(page, oldest))
    lines.append("")
    moments = FullMoments(look.zone)
    timed: list[tuple[datetime, str]] = []
    for sms in page.messages:
        taken = ""
        if (take := takes.get(sms.smsc_id)) is not None:
            when = moments(take.at)
            taken = " · " + _("taken by {name} at {time}").format(name=take.by.name, time=when)
        timed.append((sms.received_at, plain_entry(sms, moments) + taken + "\n"))
    timed += [(out.sent_at or out.created_at, history_line(out, moments) + "\n") for out in sent]
    lines += [line for _moment, line in sorted(timed, key=lambda item: item[0])]
    return "\n".join(lines).encode("utf-8")


async def send_answer(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    title: str,
    scope: str,
    page: Page,
    filename: str,
    *,
    oldest: bool = False,
    sent: Sequence[Outgoing] = (),
) -> None:
    """A list of SMS: in messages when it fits in a few, else as a file named `filename`.

    Each SMS says who took it, if anyone did.
    """
    look = await look_now(context)
    bridge = bridge_of(context)
    takes = await bridge.store.call(oncall.takes_of, [sms.smsc_id for sms in page.messages])
    texts = answer_messages(title, scope, page, look, takes, oldest, sent)
    if texts is not None:
        for text in texts:
            await reply(update, context, text)
        return
    caption = "\n".join(
        [
            title,
            scope,
            _("{count} SMS, too many for messages: here as a file.").format(
                count=number(len(page.messages))
            ),
        ]
        + ([showing(page, oldest)] if page.truncated else [])
    )
    file = answer_file(title, scope, page, look, takes, oldest, sent)
    await send_file(update, context, file, filename, caption)


async def send_file(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    content: bytes | BinaryIO,
    filename: str,
    caption: str,
) -> Message:
    """A file in the asker's chat (and topic), quoting the command in groups; raises
    WriteFailed. An open file is streamed from its start, not read into memory."""
    asked = asked_in(update)
    return await (
        bridge_of(context)
        .chats.gateway(asked.chat_id)
        .send_document(
            content,
            filename,
            caption=caption[:CAPTION_LIMIT],
            topic_id=_topic(asked),
            reply_to=_reply_to(asked),
            retry=True,
        )
    )


async def send_picture(
    update: Update, context: ContextTypes.DEFAULT_TYPE, png: bytes, caption: str
) -> Message:
    """A picture shown in the asker's chat (and topic), quoting the command in groups;
    raises WriteFailed."""
    asked = asked_in(update)
    return await (
        bridge_of(context)
        .chats.gateway(asked.chat_id)
        .send_photo(
            png,
            caption=caption[:CAPTION_LIMIT],
            topic_id=_topic(asked),
            reply_to=_reply_to(asked),
            retry=True,
        )
    )
