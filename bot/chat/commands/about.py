"""/help (and /start): what the bot does where it is asked, and every command.

In a chat SMS are relayed to (a group, or a person's private chat listed in
TELEGRAM_CHAT_IDS) the bot relays SMS there, all of them or with ROUTES_FILE those routed
there, and answers questions about the history. In any other private chat it only answers
questions, so /start there says that instead of promising SMS that will never come.

Before the commands come the two things people most need and cannot guess from the menu:
tap ✋ to take an SMS (in a group with take buttons), reply to an SMS to answer it by SMS
(where replies are on). A command that cannot work where it is asked is not listed:
`/sms` with replies off, `/oncall` in a private chat.
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
    chat = asked_in(update).chat
    relayed_here = bridge.chats.configured(chat.id) is not None
    text = help_text(
        bridge.commands,
        relayed_here=relayed_here,
        routed=bridge.routed,
        zone=bridge.zone,
        now=datetime.now(UTC),
        private=chat.type == "private",
        takes=bridge.running("oncall"),
        replies=bridge.running("replies"),
    )
    await reply(update, context, text)


def _what_happens_here(relayed_here: bool, routed: bool) -> str:
    """Whether SMS come into this chat, and which: what a newcomer must learn first."""
    if not relayed_here:
        return _(
            "Here you can look back over every SMS the bot has stored. New SMS are relayed "
            "to the team's chats, not here."
        )
    if routed:
        return _("The SMS routed to this chat are relayed here within seconds.")
    return _("Every SMS that reaches the SMSC account is relayed to this chat within seconds.")


def _actions(relayed_here: bool, takes: bool, replies: bool) -> list[str]:
    """What to do with a relayed SMS: nothing in the menu says it."""
    lines = []
    if relayed_here and takes:
        lines.append(
            _("✋ Tap Take under an SMS to say you are handling it: everyone sees who took it.")
        )
    if relayed_here and replies:
        lines.append(
            _(
                "↩️ Reply to an SMS to answer its sender by SMS (if the admin allowed you): "
                "you see a preview first, and it goes when you press Send."
            )
        )
    return lines


def help_text(
    commands: Sequence[ChatCommand],
    *,
    relayed_here: bool,
    zone: ZoneInfo,
    now: datetime,
    routed: bool = False,
    private: bool = False,
    takes: bool = True,
    replies: bool = True,
) -> str:
    """What happens in this chat, what to do with an SMS, then the commands that work here."""
    what = _what_happens_here(relayed_here, routed)
    forms = _("WINDOW: {forms} (times in {zone})").format(
        forms=_(WINDOW_FORMS), zone=zone_name(zone, now)
    )
    hidden = {"sms"} if not replies else set()
    if private:
        hidden.add("oncall")
    listed = [c for c in commands if c.in_menu and c.name not in hidden]
    actions = _actions(relayed_here, takes and not private, replies)
    lines = [
        f"<b>sms-bridge</b>: {escape(what)}",
        *(escape(action) for action in actions),
        "",
        escape(_("Earlier SMS and more, by command:")),
        *(f"{escape(c.synopsis())} — {escape(_(c.summary))}" for c in listed),
        "",
        escape(forms),
    ]
    return "\n".join(lines)


COMMANDS = [
    ChatCommand("help", N_("what this bot does and how to ask it"), help_command),
    ChatCommand("start", N_("what this bot does"), help_command, in_menu=False),
]
