"""The `sms-bridge` command."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import sys
from collections.abc import Callable, Coroutine
from typing import Any, NoReturn, TypeVar

import click

from bot import __version__
from bot.app.lock import AlreadyRunning
from bot.app.settings import ConfigError, Settings, load_settings
from bot.core.logs import setup_logging
from bot.text.i18n import set_language
from state import SchemaTooNew, deliveries

log = logging.getLogger("bot")
Loaded = TypeVar("Loaded")


def _settings() -> Settings:
    """Settings, or exit 2 with one line naming what is wrong (no traceback)."""
    return _loaded(load_settings)


def _loaded(load: Callable[[], Loaded]) -> Loaded:
    """What `load` reads, or exit 2 with one line naming what is wrong (no traceback)."""
    try:
        return load()
    except ConfigError as error:
        click.echo(f"sms-bridge: {error}", err=True)
        sys.exit(2)


@click.group()
@click.version_option(__version__, prog_name="sms-bridge")
def main() -> None:
    """Relay SMS from an SMSC inbox into Telegram chats."""


@main.command()
def run() -> None:
    """Run the bridge in the foreground until SIGINT or SIGTERM."""
    from bot.app.lifecycle import run_bridge  # imported late: `--help` and config errors stay fast

    settings = _settings()
    setup_logging(settings.log_level, settings.secrets)
    set_language(settings.ui_language)
    for note in settings.warnings():
        log.warning("%s", note)
    _run_to_exit(run_bridge(settings))


def _run_to_exit(bridge: Coroutine[Any, Any, int]) -> NoReturn:
    """Run a bridge to its end and exit with its code; one line when it cannot start."""
    try:
        code = asyncio.run(bridge)
    except (AlreadyRunning, SchemaTooNew) as error:
        click.echo(f"sms-bridge: {error}", err=True)
        sys.exit(1)
    except (sqlite3.Error, OSError) as error:  # the database, HEALTH_PORT or PUSH_PORT
        log.debug("start-up failed", exc_info=error)
        click.echo(f"sms-bridge: cannot start: {error}", err=True)
        sys.exit(1)
    sys.exit(code)


@main.command()
@click.option(
    "--speed",
    type=click.FloatRange(0.1, 100),
    default=1.0,
    show_default=True,
    help="play the night this many times faster",
)
def demo(speed: float) -> None:
    """Run the bridge on a simulated SMSC: only the bot token and a chat ID are needed."""
    from bot.demo.command import load_demo_settings, run_demo

    settings = _loaded(load_demo_settings)
    setup_logging(settings.log_level, settings.secrets)
    set_language(settings.ui_language)
    _run_to_exit(run_demo(settings, click.echo, speed))


@main.command()
def chats() -> None:
    """Print the chats the bot is in and who writes to it, until Ctrl-C (needs the token)."""
    from bot.app.settings import BotSettings, read_settings
    from bot.demo.chats import ChatsFailed, list_chats

    settings = _loaded(lambda: read_settings(BotSettings))
    setup_logging(logging.WARNING, [settings.telegram_bot_token.get_secret_value()])
    try:
        asyncio.run(list_chats(settings, click.echo))
    except ChatsFailed as error:
        click.echo(f"sms-bridge: {error}", err=True)
        sys.exit(1)


@main.command()
def check() -> None:
    """Check the settings, and that Telegram, each chat and SMSC answer."""
    from bot.app.check import run_check

    settings = _settings()
    setup_logging(logging.WARNING, settings.secrets)
    sys.exit(asyncio.run(run_check(settings)))


@main.command()
@click.option("--from", "sender", default="", help="the sender: a phone number or a name")
@click.option("--to", "recipient", default="", help="the receiving number (SMSC's to_phone)")
@click.option("--text", default="", help="the SMS text")
def route(sender: str, recipient: str, text: str) -> None:
    """Say which route takes such an SMS and where it goes, without running the bridge."""
    settings = _settings()
    decision = settings.router().decide(sender, recipient, text)
    if settings.routes_file is None:
        chats = ", ".join(target.key for target in decision.targets)
        click.echo(f"no ROUTES_FILE: every SMS → TELEGRAM_CHAT_IDS: {chats}")
    else:
        click.echo(decision.describe())


@main.command("retry-failed")
@click.option("--chat", help="only this chat (as written in TELEGRAM_CHAT_IDS)")
def retry_failed(chat: str | None) -> None:
    """Queue deliveries that Telegram refused again (e.g. after re-adding the bot).

    A running bridge picks them up within seconds.
    """
    from state import Store

    settings = _settings()
    store = Store.open(settings.database_path, settings.phone_region)
    try:
        count = deliveries.requeue_failed(store, chat)
    finally:
        store.close()
    click.echo(f"{count} deliveries queued again")
