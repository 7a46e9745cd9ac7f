"""Chat commands: the registry of every command, and their registration with the bot.

`COMMANDS` is the one list. The command menu (`bot_commands`), /help, the usage answers
and the handlers are all derived from it; see `bot.commands.registry`.
"""

from __future__ import annotations

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

from bot.commands import about, export, history, oncall, stats, status
from bot.commands.context import BOT_DATA_KEY, BridgeContext
from bot.commands.guard import error_handler, guarded, unknown_command
from bot.commands.registry import Access, ChatCommand, UsageError
from bot.i18n import Language, _, in_language
from bot.oncall.presses import on_press

COMMANDS: list[ChatCommand] = [
    *about.COMMANDS,
    *history.COMMANDS,
    *export.COMMANDS,
    *stats.COMMANDS,
    *oncall.COMMANDS,
    *status.COMMANDS,
]

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

    async def prompt_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A reply to the bot's "what should I look for?": the command it asked for, run."""
        message = update.effective_message
        prompt = message.reply_to_message if message else None
        if message is None or prompt is None or prompt.from_user is None:
            return
        name = history.answered_prompt(prompt.text or "")
        if prompt.from_user.id != context.bot.id or name is None:
            return  # a reply to anything else is not for this handler
        context.args = (message.text or "").split()
        await handlers[name](update, context)

    application.add_handler(
        MessageHandler(filters.REPLY & filters.TEXT & ~filters.COMMAND, prompt_reply)
    )
    application.add_handler(CallbackQueryHandler(on_press))
    application.add_error_handler(error_handler)


def bot_commands(language: Language) -> list[BotCommand]:
    """The command menu Telegram clients show, in one language."""
    with in_language(language):
        return [BotCommand(c.name, _(c.summary)) for c in COMMANDS if c.in_menu]
