"""/mute, /mutes, /unmute and the end button: silences set from the chat.

`/mute WINDOW [TEXT or FROM]` (`/mute 2h door 7`, `/mute 30m +7 926 111-22-33`) mutes the
SMS that match, in the chat where it is asked (all its topics), for that long: they come
without a sound, a take button or reminders, and are kept as always. `/mutes` lists the
chat's silences with who set them and until when, each with a button that ends it;
`/unmute N` ends one. Who may set or end one: whoever may press the take button there
(ONCALL_USER_IDS when set, else every member). When a silence ends the chat is told, in
one line, how many SMS it muted (`feature.SilenceEnds`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

from bot.chat.answers import asked_in, reply
from bot.chat.button_kinds import ButtonKind
from bot.chat.commands.registry import ChatCommand, UsageError
from bot.chat.context import BridgeContext, bridge_of
from bot.chat.presses import answer_press
from bot.features.silences.feature import SilencesFeature
from bot.features.silences.matching import MuteError, parse_mute
from bot.features.silences.texts import (
    END_PREFIX,
    end_buttons,
    muted_text,
    silences_text,
    write_end,
)
from bot.text.formatting import escape
from bot.text.i18n import N_, _
from state import silences

log = logging.getLogger(__name__)

MAX_IN_FORCE = 10  # silences in force in one chat: /mutes lists them all in one message


def too_many_text() -> str:
    text = _("A chat keeps at most {n} silences at once: /mutes lists them, /unmute ends one.")
    return text.format(n=MAX_IN_FORCE)


def off_text() -> str:
    return _("⛔ Silences are off: they come with the take buttons (ONCALL_BUTTONS).")


def _chat_of(bridge: BridgeContext, chat_id: int) -> str | None:
    """The chat a silence names: the ID it was configured with; None outside them."""
    gateway = bridge.chats.configured(chat_id)
    return None if gateway is None else str(gateway.configured_id)


async def _may(
    update: Update, context: ContextTypes.DEFAULT_TYPE
) -> tuple[SilencesFeature, str] | None:
    """The running feature and the chat, when the asker may set silences here; else the
    asker was answered why not."""
    bridge = bridge_of(context)
    feature = bridge.feature(SilencesFeature)
    chat = _chat_of(bridge, asked_in(update).chat_id)
    user = update.effective_user
    if feature is None:
        await reply(update, context, escape(off_text()))
        return None
    if chat is None or user is None:
        await reply(update, context, escape(_("Silences work in the chats SMS are relayed to.")))
        return None
    if not feature.may_mute(user.id):
        await reply(update, context, escape(_("Only the on-call team may set silences here.")))
        return None
    return feature, chat


async def mute_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Mute the SMS that match here for a while: no sound, no take button, no reminders."""
    allowed = await _may(update, context)
    if allowed is None:
        return
    feature, chat = allowed
    try:
        length, text, key = parse_mute(list(context.args or []), feature.region)
    except MuteError as error:
        raise UsageError(str(error)) from None
    user = update.effective_user
    assert user is not None
    now = datetime.now(UTC)
    by = (user.id, user.full_name or user.username or str(user.id))
    store = bridge_of(context).store
    if len(await store.call(silences.active, chat, now)) >= MAX_IN_FORCE:
        await reply(update, context, escape(too_many_text()))
        return
    number = await store.call(silences.add, chat, text, key, by, now, now + length)
    [silence] = [s for s in await store.call(silences.active, chat, now) if s.number == number]
    log.info(
        "silence %d set in chat %s by user %d until %s",
        number,
        chat,
        user.id,
        silence.ends_at.isoformat(),
    )
    feature.ends.wake.set()
    await reply(update, context, muted_text(silence, feature.zone, now))


async def mutes_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The chat's silences in force, each with a button to end it."""
    bridge = bridge_of(context)
    feature = bridge.feature(SilencesFeature)
    asked = asked_in(update)
    chat = _chat_of(bridge, asked.chat_id)
    if feature is None or chat is None:
        text = (
            off_text() if feature is None else _("Silences work in the chats SMS are relayed to.")
        )
        await reply(update, context, escape(text))
        return
    now = datetime.now(UTC)
    found = await bridge.store.call(silences.active, chat, now)
    gateway = bridge.chats.gateway(asked.chat_id)
    await gateway.send_text(
        silences_text(found, feature.zone, now),
        topic_id=asked.message_thread_id if asked.is_topic_message else None,
        reply_to=None if asked.chat.type == "private" else asked.message_id,
        markup=end_buttons(found),
        retry=True,
    )


async def _end(bridge: BridgeContext, feature: SilencesFeature, chat: str, number: int) -> bool:
    ended = await bridge.store.call(silences.end, chat, number, datetime.now(UTC))
    if ended is None:
        return False
    log.info("silence %d in chat %s ended early", number, chat)
    feature.ends.wake.set()  # its task tells the chat, with the count
    return True


async def unmute_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """End a silence now (its number, as /mutes shows it)."""
    allowed = await _may(update, context)
    if allowed is None:
        return
    feature, chat = allowed
    args = list(context.args or [])
    if len(args) != 1 or not args[0].isdigit():
        raise UsageError("")
    if not await _end(bridge_of(context), feature, chat, int(args[0])):
        text = _("No silence {number} in force here: /mutes lists them.")
        await reply(update, context, escape(text.format(number=args[0])))


def read_end(data: str) -> int | None:
    prefix, _sep, number = data.partition(":")
    return int(number) if prefix == END_PREFIX and number.isdigit() else None


async def may_end(context: ContextTypes.DEFAULT_TYPE, _number: int, user_id: int) -> str | None:
    feature = bridge_of(context).feature(SilencesFeature)
    if feature is None or feature.may_mute(user_id):
        return None
    return _("Only the on-call team may set silences here.")


async def on_end_press(
    query: CallbackQuery, number: int, context: ContextTypes.DEFAULT_TYPE
) -> None:
    """End the silence the button names, in the chat where it was pressed."""
    bridge = bridge_of(context)
    feature = bridge.feature(SilencesFeature)
    message = query.message
    chat = _chat_of(bridge, message.chat.id) if message is not None else None
    if feature is None or chat is None:
        await answer_press(query, _("This button no longer works."), alert=True)
        return
    if not await _end(bridge, feature, chat, number):
        await answer_press(query, _("That silence has ended already."), alert=True)
        return
    await answer_press(query, _("🔔 Ended."))


COMMANDS = [
    ChatCommand(
        "mute",
        N_("relay matching SMS here without a sound or take button for a while"),
        mute_command,
        args=N_("WINDOW [TEXT or FROM]"),
        examples=(N_("/mute 2h door 7"), N_("/mute 30m +7 926 111-22-33")),
    ),
    ChatCommand("mutes", N_("this chat's silences, each with a button to end it"), mutes_command),
    ChatCommand(
        "unmute",
        N_("end a silence now"),
        unmute_command,
        args=N_("N"),
        examples=(N_("/unmute 3"), N_("/unmute 12")),
    ),
]

BUTTONS = [
    ButtonKind(
        prefix=END_PREFIX,
        shape=f"{END_PREFIX}:NUMBER",
        write=write_end,
        read=read_end,
        handler=on_end_press,
        examples=(3,),
        who=may_end,
    )
]
