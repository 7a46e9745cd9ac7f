"""The dispatcher: every Telegram update (command, reply, press) to its handler.

`COMMANDS` is the one list. The command menu (`bot_commands`), /help, the usage answers
and the handlers are all derived from it; see `bot.chat.commands.registry`.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.chat.commands import about, export, history, stats, status
from bot.chat.commands.registry import Access, ChatCommand, UsageError
from bot.chat.context import BOT_DATA_KEY, BridgeContext
from bot.chat.guard import error_handler, guarded, unknown_command
from bot.chat.presses import on_press
from bot.features.oncall import commands as oncall
from bot.features.replies import commands as sms
from bot.relay.gateway import WriteFailed
from bot.text.i18n import Language, _, in_language

COMMANDS: list[ChatCommand] = [
    *about.COMMANDS,
    *history.COMMANDS,
    *export.COMMANDS,
    *stats.COMMANDS,
    *oncall.COMMANDS,
    *sms.COMMANDS,
    *status.COMMANDS,
]

log = logging.getLogger("bot.chat.dispatcher")

__all__ = [
    "COMMANDS",
    "Access",
    "BridgeContext",
    "ChatCommand",
    "UsageError",
    "bot_commands",
    "register",
]


def register(application: Application[Any, Any, Any, Any, Any, Any], bridge: BridgeContext) -> None:
    """Give the application every command's guarded handler, and the error handler."""
    bridge.commands = COMMANDS
    application.bot_data[BOT_DATA_KEY] = bridge
    handlers = {command.name: guarded(command) for command in COMMANDS}
    for name, handler in handlers.items():
        application.add_handler(CommandHandler(name, handler))
    application.add_handler(
        MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, unknown_command)
    )

    async def on_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A reply to one of the bot's messages: a prompt's answer, or an SMS to send back.

        A reply to the bot's "what should I look for?" runs the command it asked for; a
        reply to a relayed SMS by someone allowed to send is a preview of an SMS back.
        Any other reply is conversation, and left alone.
        """
        message = update.effective_message
        replied = message.reply_to_message if message else None
        if message is None or replied is None or replied.from_user is None:
            return
        if replied.from_user.id != context.bot.id:
            return
        name = history.answered_prompt(replied.text or "")
        if name is not None:
            context.args = (message.text or "").split()
            await handlers[name](update, context)
            return
        try:
            await sms.sms_reply(update, context, replied)
        except WriteFailed as refused:
            log.warning("could not answer a reply in chat %s: %s", message.chat_id, refused)

    application.add_handler(
        MessageHandler(filters.REPLY & filters.TEXT & ~filters.COMMAND, on_reply)
    )
    application.add_handler(CallbackQueryHandler(on_press))
    application.add_error_handler(error_handler)


def bot_commands(language: Language) -> list[BotCommand]:
    """The command menu Telegram clients show, in one language."""
    with in_language(language):
        return [BotCommand(c.name, _(c.summary)) for c in COMMANDS if c.in_menu]
