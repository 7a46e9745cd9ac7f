"""Who gets an answer, and what happens when a handler fails.

Every command answers only where its `Access` allows: the configured chats and, in
private chats, TELEGRAM_ALLOWED_USER_IDS. Anyone else gets no data, only their chat and
user IDs (tap to copy) to pass on to an operator, and the attempt is logged. A
`UsageError` becomes the command's one-line usage answer. An answer Telegram refuses (the
bot may not write there) is one warning line in the log, not a traceback: there is nobody
to tell in the chat. No exception text ever reaches a chat: it is in the log.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.chat.answers import reply
from bot.chat.commands.registry import ChatCommand, Handler, UsageError
from bot.chat.context import bridge_of
from bot.chat.presses import answer_press, press_failed_text
from bot.relay.gateway import WriteFailed
from bot.text.formatting import escape
from bot.text.i18n import _

log = logging.getLogger("bot.chat.dispatcher")


def guarded(command: ChatCommand) -> Handler:
    """The command's handler behind access control, usage answers and refused writes."""

    async def guarded_handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        bridge = bridge_of(context)
        chat, user = update.effective_chat, update.effective_user
        if chat is None or update.effective_message is None:
            return
        user_id = user.id if user else None
        try:
            if not bridge.may_use(command.access, chat.id, chat.type, user_id):
                await _refuse(update, context, command.name, user_id)
                return
            log.info("/%s from user %s in chat %s", command.name, user_id, chat.id)
            try:
                await command.handler(update, context)
            except UsageError as usage:
                await reply(update, context, command.usage_answer(str(usage)), html=False)
        except WriteFailed as refused:
            log.warning("could not answer /%s in chat %s: %s", command.name, chat.id, refused)

    guarded_handler.__doc__ = command.handler.__doc__
    return guarded_handler


async def _refuse(
    update: Update, context: ContextTypes.DEFAULT_TYPE, name: str, user_id: int | None
) -> None:
    chat = update.effective_chat
    assert chat is not None
    log.warning(
        "refused /%s from user %s in %s chat %s: not a configured chat or allowed user",
        name,
        user_id,
        chat.type,
        chat.id,
    )
    await reply(update, context, refusal_text(chat.id, user_id))


def refusal_text(chat_id: int, user_id: int | None) -> str:
    """No data for strangers: only their IDs, each tap-to-copy on a line of its own."""
    operator = _(
        "To use it here, send these IDs to the bot's admin: they can add the chat to "
        "TELEGRAM_CHAT_IDS, or you to TELEGRAM_ALLOWED_USER_IDS."
    )
    lines = [
        escape(_("This bot answers only in its configured chats.")),
        escape(_("Chat ID:")) + f" <code>{chat_id}</code>",
        escape(_("Your user ID:")) + f" <code>{user_id}</code>",
        escape(operator),
    ]
    return "\n".join(lines)


def unknown_command_text() -> str:
    return _("I do not know that command; /help lists mine.")


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the bot does not know, in a private chat: point an allowed user at /help.

    Strangers get silence (they get their IDs from any known command), and groups too:
    there a command may be meant for another bot.
    """
    bridge = bridge_of(context)
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or not bridge.is_member(chat.id, chat.type, user.id):
        return
    try:
        await reply(update, context, unknown_command_text(), html=False)
    except WriteFailed as refused:
        log.warning("could not answer an unknown command in chat %s: %s", chat.id, refused)


async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log any handler failure, and tell the asker, without the exception's text.

    A failed button press is told in a pop-up to the presser: its `effective_message` is
    the message with the button (a relayed SMS), which a reply would answer in the chat.
    """
    error = context.error
    log.error("command failed: %r", error, exc_info=error)
    if isinstance(update, Update) and update.callback_query is not None:
        await answer_press(update.callback_query, press_failed_text(), alert=True)
        return
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            text = _("⚠️ That failed on the bridge's side; the details are in its log.")
            await reply(update, context, text, html=False)
        except Exception as reply_error:  # the reply itself may be what failed
            log.error("could not report the failure to the chat: %r", reply_error)
