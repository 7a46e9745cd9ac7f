"""Chat commands: the registry of every command, and their registration with the bot.

`COMMANDS` is the one list. The command menu (`bot_commands`), /help, the usage answers
and the handlers are all derived from it; see `bot.commands.registry`.
"""

from __future__ import annotations

from typing import Any

from telegram import BotCommand
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot.commands import about, history, status
from bot.commands.context import BOT_DATA_KEY, BridgeContext
from bot.commands.guard import error_handler, guarded, unknown_command
from bot.commands.registry import Access, ChatCommand, UsageError

COMMANDS: list[ChatCommand] = [*about.COMMANDS, *history.COMMANDS, *status.COMMANDS]

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
    for command in COMMANDS:
        application.add_handler(CommandHandler(command.name, guarded(command)))
    application.add_handler(
        MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, unknown_command)
    )
    application.add_error_handler(error_handler)


def bot_commands() -> list[BotCommand]:
    """The command menu Telegram clients show."""
    return [BotCommand(c.name, c.summary) for c in COMMANDS if c.in_menu]
