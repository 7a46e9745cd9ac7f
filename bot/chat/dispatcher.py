"""The dispatcher: every Telegram update (command, reply, press) to its handler.

It routes by three registries the wiring hands it in the `BridgeContext`, and names no
feature: the commands (`ChatCommand`s, the built-in ones and the features', in the order
`chat_commands` gives; the menu, /help, the usage answers and the handlers all derive from
that one list), the button kinds (`ButtonKinds`, by the prefix of a button's data), and the
reply handlers. A reply to the bot's prompt is told by the prompt's message
(`bot.chat.prompts`); any other reply to the bot is offered to each feature in turn.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from telegram import BotCommand, CallbackQuery, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.chat.commands import about, export, history, stats, status
from bot.chat.commands.registry import ChatCommand, Handler
from bot.chat.context import BOT_DATA_KEY, BridgeContext, bridge_of
from bot.chat.guard import error_handler, guarded, unknown_command
from bot.chat.presses import answer_press, press_failed_text
from bot.relay.gateway import WriteFailed
from bot.text.i18n import Language, _, in_language

log = logging.getLogger(__name__)


def chat_commands(feature_commands: Sequence[ChatCommand] = ()) -> list[ChatCommand]:
    """Every command in the menu's order: the built-in ones, the features', /status last."""
    return [
        *about.COMMANDS,
        *history.COMMANDS,
        *export.COMMANDS,
        *stats.COMMANDS,
        *feature_commands,
        *status.COMMANDS,
    ]


def register(application: Application[Any, Any, Any, Any, Any, Any], bridge: BridgeContext) -> None:
    """Give the application every command's guarded handler, replies, presses, and the
    error handler."""
    application.bot_data[BOT_DATA_KEY] = bridge
    handlers = {command.name: guarded(command) for command in bridge.commands}
    for name, handler in handlers.items():
        application.add_handler(CommandHandler(name, handler))
    application.add_handler(
        MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, unknown_command)
    )

    async def on_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await answer_reply(update, context, handlers)

    application.add_handler(
        MessageHandler(filters.REPLY & filters.TEXT & ~filters.COMMAND, on_reply)
    )
    application.add_handler(CallbackQueryHandler(on_press))
    application.add_error_handler(error_handler)


async def answer_reply(
    update: Update, context: ContextTypes.DEFAULT_TYPE, commands: dict[str, Handler]
) -> None:
    """A reply to one of the bot's messages: a prompt's answer, or a feature's business.

    A reply to the bot's "what should I look for?" runs the command it asked for; any
    other reply to the bot goes to each feature's reply handler until one takes it (a
    reply to a relayed SMS may be an SMS to send back). A reply nobody takes is
    conversation, and left alone.
    """
    message = update.effective_message
    replied = message.reply_to_message if message else None
    if message is None or replied is None or replied.from_user is None:
        return
    if replied.from_user.id != context.bot.id:
        return
    bridge = bridge_of(context)
    name = await bridge.prompts.answered(replied.chat_id, replied.message_id)
    if name is not None and name in commands:
        context.args = (message.text or "").split()
        await commands[name](update, context)
        return
    try:
        for handler in bridge.reply_handlers:
            if await handler(update, context, replied):
                return
    except WriteFailed as refused:
        log.warning("could not answer a reply in chat %s: %s", message.chat_id, refused)


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A press, to the handler of its button's kind; every press answered.

    A press that fails (the disk, a bug) is still answered, with a pop-up to the presser
    alone: nothing is written into the chat, where the button's message may be an SMS.
    """
    query = update.callback_query
    if query is None:
        return
    try:
        await _route(query, context)
    except Exception as error:
        log.error(
            "a press by user %d in chat %s failed (button %r)",
            query.from_user.id,
            query.message.chat.id if query.message is not None else None,
            query.data,
            exc_info=error,
        )
        await answer_press(query, press_failed_text(), alert=True)


async def _route(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE) -> None:
    bridge = bridge_of(context)
    found = bridge.buttons.read(query.data)
    if found is None:
        bridge.metrics.presses.labels(outcome="unknown").inc()
        await answer_press(query, _("This button no longer works."), alert=True)
        log.info(
            "turned away a press by user %d in chat %s: button %r no longer works",
            query.from_user.id,
            query.message.chat.id if query.message is not None else None,
            query.data,
        )
        return
    kind, value = found
    refusal = await kind.who(context, value, query.from_user.id)
    if refusal is not None:
        await answer_press(query, refusal, alert=True)
        return
    await kind.handler(query, value, context)


def bot_commands(commands: Sequence[ChatCommand], language: Language) -> list[BotCommand]:
    """The command menu Telegram clients show, in one language."""
    with in_language(language):
        return [BotCommand(c.name, _(c.summary)) for c in commands if c.in_menu]
