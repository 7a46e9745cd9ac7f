"""Answering button presses: every one answered, in a pop-up, at once.

Presses are routed in `bot.chat.dispatcher`, by the button kinds of
`bot.chat.button_kinds`; this module holds what every kind's handler answers with.

Telegram shows a spinner on a pressed button until the bot answers the press
(`answerCallbackQuery`), so every press gets an answer, an unreadable one too, one that
failed on the bridge's side too, and an answer goes out before any slow work (an edit, a
send) begins. Answers go straight to Telegram, not through the chat's gateway
(`bot.relay.gateway`): a pop-up is no message in the chat, Telegram does not count it against
the chat's limits, and it must come within a second, never behind the chat's queue.

A button's data comes from the client, and a client can send any: a press acts only on
what the message it was pressed on shows (`refuse_foreign_press` for the rest), never on
what its data names alone. So a member of one group cannot take, release or send what
only another group was shown, nor learn who holds it there.
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery

from bot.text.i18n import _

log = logging.getLogger(__name__)


async def answer_press(query: CallbackQuery, text: str, *, alert: bool = False) -> None:
    """Answer a press; a failure here loses only the pop-up, never what the press did."""
    try:
        await query.answer(text, show_alert=alert)
    except Exception as error:
        log.warning("could not answer a button press: %r", error)


def press_failed_text() -> str:
    return _("⚠️ That failed on the bridge's side; try again in a moment.")


def not_here_text() -> str:
    return _("This button does not belong here.")


async def refuse_foreign_press(query: CallbackQuery) -> None:
    """A press whose data names what its message does not show (forged, most likely):
    nothing is done, and the pop-up tells nothing of what the data names."""
    log_foreign_press(query)
    await answer_press(query, not_here_text(), alert=True)


def log_foreign_press(query: CallbackQuery) -> None:
    message = query.message
    log.warning(
        "refused a press by user %d in chat %s on message %s: button %r does not belong there",
        query.from_user.id,
        message.chat.id if message is not None else None,
        message.message_id if message is not None else None,
        query.data,
    )
