"""/help (and /start): what the bot does where it is asked, and every command.

In a chat SMS are relayed to (a group, or a person's private chat listed in
TELEGRAM_CHAT_IDS) the bot relays SMS there, all of them or with ROUTES_FILE those routed
there, and answers questions about the history. In any other private chat it only answers
questions, so /start there says that instead of promising SMS that will never come.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import ContextTypes

from bot.chat.answers import asked_in, reply
from bot.chat.commands.registry import ChatCommand
from bot.chat.context import bridge_of
from bot.chat.windows import WINDOW_FORMS
from bot.text.clock import zone_name
from bot.text.formatting import escape
from bot.text.i18n import N_, _


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain the bot and list the commands."""
    bridge = bridge_of(context)
    relayed_here = bridge.chats.configured(asked_in(update).chat.id) is not None
    text = help_text(
        bridge.commands,
        relayed_here=relayed_here,
        routed=bridge.routed,
        zone=bridge.zone,
        now=datetime.now(UTC),
    )
    await reply(update, context, text)


def _what_happens_here(relayed_here: bool, routed: bool) -> str:
    """Whether SMS come into this chat, and which: what a newcomer must learn first."""
    if not relayed_here:
        return _(
            "Here you can look back over every SMS the bridge has stored. New SMS are relayed "
            "to the team's chats, not here."
        )
    if routed:
        return _(
            "The SMS routed to this chat are relayed here within seconds. Ask me about older ones:"
        )
    return _(
        "Every SMS that reaches the SMSC account is relayed to this chat within seconds. "
        "Ask me about older ones:"
    )


def help_text(
    commands: Sequence[ChatCommand],
    *,
    relayed_here: bool,
    zone: ZoneInfo,
    now: datetime,
    routed: bool = False,
) -> str:
    what = _what_happens_here(relayed_here, routed)
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
