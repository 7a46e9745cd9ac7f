"""/help (and /start): what the bot does, and every command from the registry."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.commands.answers import reply
from bot.commands.context import bridge_of
from bot.commands.registry import ChatCommand
from bot.formatting import escape
from bot.windows import WINDOW_FORMS


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain the bot and list the commands."""
    bridge = bridge_of(context)
    lines = [
        "<b>sms-bridge</b> relays every SMS received on the SMSC account to this chat, "
        "and answers questions about the stored history.",
        "",
        *(f"{escape(c.synopsis)} — {escape(c.summary)}" for c in bridge.commands if c.in_menu),
        "",
        f"WINDOW: {escape(WINDOW_FORMS)}; times are {escape(bridge.zone.key)}.",
    ]
    await reply(update, context, "\n".join(lines))


COMMANDS = [
    ChatCommand("help", "what this bot does and how to ask it", help_command),
    ChatCommand("start", "what this bot does", help_command, in_menu=False),
]
