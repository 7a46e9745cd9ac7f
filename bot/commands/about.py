"""/help (and /start): what the bot does where it is asked, and every command.

In a group the bot relays SMS there and answers questions about the history; in a private
chat it only answers questions (SMS are relayed to the team's chats), so /start there says
that instead of promising SMS that will never come.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import ContextTypes

from bot.clock import zone_name
from bot.commands.answers import asked_in, reply
from bot.commands.context import bridge_of
from bot.commands.registry import ChatCommand
from bot.formatting import escape
from bot.i18n import N_, _
from bot.windows import WINDOW_FORMS


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain the bot and list the commands."""
    bridge = bridge_of(context)
    private = asked_in(update).chat.type == "private"
    text = help_text(bridge.commands, private=private, zone=bridge.zone, now=datetime.now(UTC))
    await reply(update, context, text)


def help_text(
    commands: Sequence[ChatCommand], *, private: bool, zone: ZoneInfo, now: datetime
) -> str:
    what = (
        _(
            "Here you can look back over every SMS the bridge has stored. New SMS are relayed "
            "to the team's chats, not here."
        )
        if private
        else _(
            "Every SMS that reaches the SMSC account is relayed to this chat within seconds. "
            "Ask me about older ones:"
        )
    )
    forms = _("WINDOW: {forms} (times in {zone})").format(
        forms=_(WINDOW_FORMS), zone=zone_name(zone, now)
    )
    lines = [
        f"<b>sms-bridge</b>: {escape(what)}",
        "",
        *(f"{escape(c.synopsis())} — {escape(_(c.summary))}" for c in commands if c.in_menu),
        "",
        escape(forms),
    ]
    return "\n".join(lines)


COMMANDS = [
    ChatCommand("help", N_("what this bot does and how to ask it"), help_command),
    ChatCommand("start", N_("what this bot does"), help_command, in_menu=False),
]
