"""Answers to chat commands: lists of SMS as messages or, when long, as a file.

Answers state their window and time zone, say so when nothing matched, and are never cut
silently: a long answer goes out as several messages or, when longer still, as a text
file that says how much of the match it holds. Every answer goes through the asker's
chat gateway, so it keeps the chat's pace and any `retry_after`.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.commands.context import bridge_of
from bot.formatting import (
    TEXT_LIMIT,
    entry_atoms,
    escape,
    pack_entries,
    plain_entry,
    telegram_length,
)
from state import Page

MAX_ANSWER_MESSAGES = 3  # longer answers go out as a file


def _asked_in(update: Update) -> Message:
    message = update.effective_message
    assert message is not None
    return message


def _topic(message: Message) -> int | None:
    return message.message_thread_id if message.is_topic_message else None


async def reply(
    update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, *, html: bool = True
) -> None:
    """Answer in the asker's chat (and forum topic); raises WriteFailed."""
    asked = _asked_in(update)
    gateway = bridge_of(context).chats.gateway(asked.chat_id)
    await gateway.send_text(text, topic_id=_topic(asked), html=html, retry=True)


def showing(page: Page) -> str:
    """How much of a truncated answer is shown, stated, never silent."""
    of = f"more than {page.total:,}" if page.total_is_lower_bound else f"{page.total:,}"
    return f"Showing the newest {len(page.messages):,} of {of}; narrow the window to see more."


def answer_messages(title: str, page: Page, zone: ZoneInfo) -> list[str] | None:
    """The answer as HTML messages, or None when it is too long and must be a file."""
    heading = f"<b>{escape(title)}</b>"
    if page.total == 0:
        return [f"{heading}\nNo SMS matched."]
    if page.truncated:
        heading += f"\n{showing(page)}"
    entries = [entry_atoms(sms, zone) for sms in page.messages]
    reserve = telegram_length(heading) + 2
    packed = pack_entries(entries, TEXT_LIMIT, reserve)
    if len(packed) > MAX_ANSWER_MESSAGES:
        return None
    return [
        (heading + "\n\n" + message.html) if index == 0 else message.html
        for index, message in enumerate(packed)
    ]


def answer_file(title: str, page: Page, zone: ZoneInfo) -> bytes:
    lines = [title]
    if page.truncated:
        lines.append(showing(page))
    lines += ["", *(plain_entry(sms, zone) + "\n" for sms in page.messages)]
    return "\n".join(lines).encode("utf-8")


async def send_answer(
    update: Update, context: ContextTypes.DEFAULT_TYPE, title: str, page: Page
) -> None:
    """A list of SMS: in messages when it fits in a few, else as a file."""
    zone = bridge_of(context).zone
    texts = answer_messages(title, page, zone)
    if texts is not None:
        for text in texts:
            await reply(update, context, text)
        return
    asked = _asked_in(update)
    caption = f"{title}\n{len(page.messages)} SMS, too many for messages: here as a file."
    if page.truncated:
        caption += f"\n{showing(page)}"
    await (
        bridge_of(context)
        .chats.gateway(asked.chat_id)
        .send_document(
            answer_file(title, page, zone),
            "sms.txt",
            caption=caption[:1024],
            topic_id=_topic(asked),
            retry=True,
        )
    )
