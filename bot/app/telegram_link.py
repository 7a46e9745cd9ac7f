"""Getting onto Telegram: the bot-wide rate limiter, connecting until the Bot API answers,
then fetching chat commands.

Connecting and fetching retry with backoff for as long as it takes; only Telegram's own
answer can reject the token (`InvalidToken`), which no retry would fix. Fetching commands
is apart from relaying on purpose: a Bot API that refuses deleteWebhook or getUpdates (a
proxy, a partial test server) costs the commands, never the SMS.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.error import NetworkError, TelegramError
from telegram.ext import AIORateLimiter, Application
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_never,
    wait_exponential_jitter,
)

from bot.chat.commands.registry import ChatCommand
from bot.chat.dispatcher import bot_commands
from bot.text.i18n import current_language

log = logging.getLogger("bot.app.lifecycle")

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


def rate_limiter() -> AIORateLimiter:
    """Telegram's overall limit (30 requests a second) for the whole bot, and no more.

    The group limit (20 messages a minute) is kept in one place, each chat's pace
    (`bot.relay.chat_pace`): it must know the minute to pack a backlog into digests and
    to give edits their share, and the relay waits for it before it records an SMS as
    handed to Telegram. A second group limit here would hold writes the pace has already
    granted, with the SMS recorded as sent meanwhile; it would count requests that post
    nothing (getChat); and as a leaky bucket (20 at once, then one every 3 s) it lets up to
    40 through in a minute anyway. max_retries=0: a 429 is raised to the chat's gateway,
    which waits it out for that chat alone.
    """
    return AIORateLimiter(group_max_rate=0, max_retries=0)


async def connect(application: AnyApplication) -> None:
    """getMe until the Bot API answers; raises InvalidToken if it rejects the token."""

    def report(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning("Telegram not reachable (%s); retrying in %.0f s", error, state.upcoming_sleep)

    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(NetworkError),
        wait=wait_exponential_jitter(multiplier=1, max=60),
        stop=stop_never,
        before_sleep=report,
        reraise=True,
    ):
        with attempt:
            await application.initialize()


async def serve_commands(application: AnyApplication, commands: Sequence[ChatCommand]) -> None:
    """Fetch chat commands (long polling), retrying until it works; then set the menu."""

    def report(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning(
            "cannot fetch chat commands (%r); retrying in %.0f s", error, state.upcoming_sleep
        )

    assert application.updater is not None
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(Exception),
        wait=wait_exponential_jitter(multiplier=2, max=300),
        stop=stop_never,
        before_sleep=report,
    ):
        with attempt:
            await application.updater.start_polling(
                allowed_updates=ALLOWED_UPDATES, error_callback=_polling_error
            )
    try:  # the command menu is a nicety; a server without setMyCommands is fine
        await application.bot.set_my_commands(bot_commands(commands, current_language()))
        # Russian-language apps show Russian whatever UI_LANGUAGE is.
        await application.bot.set_my_commands(bot_commands(commands, "ru"), language_code="ru")
    except Exception as error:
        log.warning("could not set the command menu: %r", error)
    log.info("answering chat commands")


def _polling_error(error: TelegramError) -> None:
    log.warning("fetching chat commands from Telegram failed: %s", error)
