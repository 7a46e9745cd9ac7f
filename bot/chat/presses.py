"""Button presses: each routed by what its data says, every one answered.

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

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

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


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send / Cancel / Send again buttons go to the replies, take buttons to on-call.

    A press that fails (the disk, a bug) is still answered, with a pop-up to the presser
    alone: nothing is written into the chat, where the button's message may be an SMS.
    """
    query = update.callback_query
    if query is None:
        return
    try:
        await _route(query, update, context)
    except Exception as error:
        log.error(
            "a press by user %d in chat %s failed (button %r)",
            query.from_user.id,
            query.message.chat.id if query.message is not None else None,
            query.data,
            exc_info=error,
        )
        await answer_press(query, press_failed_text(), alert=True)


async def _route(query: CallbackQuery, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    from bot.chat.context import bridge_of
    from bot.features.oncall.presses import on_take_press

    if (query.data or "").startswith("sms:"):
        replies = bridge_of(context).replies
        if replies is None:
            await answer_press(
                query, _("Replies by SMS are off here; the admin can turn them on."), alert=True
            )
        else:
            await replies.on_press(query)
        return
    await on_take_press(update, context)
