"""`sms-bridge demo`: the real bridge, on a simulated SMSC, with only a bot token and a chat.

The bridge runs through the same entry point as `sms-bridge run` (`run_bridge`), so the
relay, the commands, the buttons and replies are the real ones. What changes is what it
talks to and where it writes: SMSC_BASE_URL is a simulated account on 127.0.0.1 in this
process (`bot.demo.simulated_smsc`), the database is `demo.db` beside the real one and
starts afresh each time, and the parts that reach outside or change the real setup are
off (push and health endpoints, routes). Replies by SMS are on, for the chats' admins and
the users the settings name; they go to the simulated outbox and nowhere else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from telegram import Bot
from telegram.error import TelegramError

from bot.app.lifecycle import run_bridge
from bot.app.lock import InstanceLock
from bot.app.settings import Settings, load_settings
from bot.demo.script import NIGHT, answer_replies, fill_history, play
from bot.demo.simulated_smsc import LOGIN, PASSWORD, SimulatedSmsc

log = logging.getLogger(__name__)

POLL_INTERVAL = 2.0  # seconds: the simulated SMSC has no rate rule to keep
DIGEST_THRESHOLD = 5  # the night's burst of eight becomes a digest in any chat
DEMO_DATABASE = "demo.db"

# What the demo sets whatever the environment says: no real SMSC account, nothing served
# or routed as the real bridge is. SMSC_BASE_URL is replaced once the simulation listens.
OVERRIDES: dict[str, Any] = {
    "smsc_base_url": "http://127.0.0.1",
    "smsc_login": LOGIN,
    "smsc_password": PASSWORD,
    "smsc_api_key": None,
    "smsc_poll_interval": POLL_INTERVAL,
    "smsc_backfill_hours": 24,
    "smsc_relay_backfill": False,
    "relay_digest_threshold": DIGEST_THRESHOLD,
    "routes_file": None,
    "team_file": None,
    "heartbeat_url": None,
    "push_port": None,
    "push_path": None,
    "health_port": None,
}


def load_demo_settings() -> Settings:
    """The settings with the demo's in place; ConfigError names what is missing (the bot
    token or TELEGRAM_CHAT_IDS: nothing else is needed)."""
    settings = load_settings(**OVERRIDES)
    return settings.model_copy(update={"database_path": demo_database(settings.database_path)})


def demo_database(real: Path) -> Path:
    """`demo.db` beside the real database, and never the real one."""
    name = DEMO_DATABASE if real.name != DEMO_DATABASE else "demo-" + DEMO_DATABASE
    return real.with_name(name)


def start_afresh(database: Path) -> None:
    """Delete the last demo's database, unless a demo is running on it (AlreadyRunning)."""
    lock = InstanceLock(database)
    lock.acquire()
    try:
        for suffix in ("", "-wal", "-shm", "-journal"):
            database.with_name(database.name + suffix).unlink(missing_ok=True)
    finally:
        lock.release()


async def reply_users(settings: Settings) -> list[int]:
    """Who may reply by SMS in the demo: SMS_REPLY_USER_IDS, TELEGRAM_ALLOWED_USER_IDS, the
    users of private chats in TELEGRAM_CHAT_IDS, and the administrators of its groups."""
    users = [*settings.sms_reply_user_ids, *settings.telegram_allowed_user_ids]
    users += [target.chat_id for target in settings.telegram_chat_ids if target.chat_id > 0]
    groups = [target.chat_id for target in settings.telegram_chat_ids if target.chat_id < 0]
    if not groups:
        return list(dict.fromkeys(users))
    token = settings.telegram_bot_token.get_secret_value()
    try:
        async with Bot(token, base_url=settings.telegram_base_url) as bot:
            for group in dict.fromkeys(groups):
                admins = await bot.get_chat_administrators(group)
                users += [admin.user.id for admin in admins if not admin.user.is_bot]
    except TelegramError as error:
        log.warning("could not ask Telegram who administers the demo's groups: %s", error)
    return list(dict.fromkeys(users))


async def run_demo(settings: Settings, say: Callable[[str], None], speed: float = 1.0) -> int:
    """Serve the simulated SMSC, play the night into it, run the bridge until a signal."""
    smsc = SimulatedSmsc(settings.smsc_zone)
    url = await smsc.start()
    try:
        start_afresh(settings.database_path)
        settings = settings.model_copy(
            update={"smsc_base_url": url, "sms_reply_user_ids": await reply_users(settings)}
        )
        fill_history(smsc, settings.ui_language)
        answer_replies(smsc, settings.ui_language, speed=speed)
        introduce(settings, url, say, NIGHT[-1].at / speed)
        night = asyncio.create_task(play(smsc, settings.ui_language, say, speed=speed))
        try:
            code = await run_bridge(settings)
        finally:
            night.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await night
    finally:
        await smsc.stop()
    say(
        f"demo over: the simulated SMSC answered {smsc.inbox_polls} inbox polls and "
        f"took {len(smsc.outbox)} SMS into its outbox, none sent to a phone"
    )
    return code


def introduce(settings: Settings, url: str, say: Callable[[str], None], lasts: float) -> None:
    chats = ", ".join(target.key for target in settings.relay_targets)
    say(f"sms-bridge demo: a simulated SMSC on {url} (no SMSC account, no real SMS)")
    say(f"relaying to {chats}; database {settings.database_path} (started afresh)")
    if settings.sms_reply_user_ids:
        users = ", ".join(map(str, settings.sms_reply_user_ids))
        say(f"replies by SMS (to the simulated outbox) for users {users}")
    else:
        say(
            "replies by SMS are off: no user known; set SMS_REPLY_USER_IDS to your user ID "
            "(`sms-bridge chats` shows it)"
        )
    say(f"the night plays in about {lasts:.0f} s, then the bridge keeps running: Ctrl-C stops it")
