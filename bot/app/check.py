"""`sms-bridge check`: is every part reachable with this configuration?

Prints one line per part (Telegram bot, each chat, SMSC inbox, database, routes, push
endpoint, heartbeat) with ✓ or ✗ and what to do about a failure, or neither for a part
that is not configured. Exit code 0 when nothing failed, 1 otherwise. Makes one inbox request, so it
stays inside SMSC's rate rule. The push endpoint is served by the running bridge: `check`
asks it for a path that is not the secret one (so nothing is woken) and never prints the
path; with HEARTBEAT_URL it sends one heartbeat (never printing the URL); nothing
listening on the push port is a warning, not a failure, since `check` is also run before
the first start, when no bridge runs yet. Warnings (a setting that works but may
surprise, a database file or a `.env` that others may read, a push endpoint nobody serves)
are `!` lines that leave the exit code alone.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import click
import httpx
from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.app.lock import lock_path
from bot.app.settings import ENV_FILE, Settings
from bot.features.heartbeat.beat import Receiver, english, why
from bot.smsc import SmscApiError, SmscClient, SmscError
from state import (
    DatabaseUnreadable,
    LoosePermissions,
    database_files,
    inspect_database,
    loose_permissions,
)

PUSH_PROBE_TIMEOUT = 5.0  # seconds
WILDCARD_HOSTS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}


@dataclass
class Finding:
    ok: bool | None  # None: neither works nor fails (not configured, or a warning)
    what: str
    detail: str
    warning: bool = False  # a `!` line: may be fine, may not; the exit code stays 0

    def line(self) -> str:
        mark = "! " if self.warning else {True: "✓ ", False: "✗ ", None: ""}[self.ok]
        return f"{mark}{self.what}: {self.detail}"


async def check_telegram(settings: Settings) -> list[Finding]:
    bot = Bot(settings.telegram_bot_token.get_secret_value(), base_url=settings.telegram_base_url)
    try:
        await bot.initialize()
    except InvalidToken:
        return [Finding(False, "Telegram", "the bot token was rejected (TELEGRAM_BOT_TOKEN)")]
    except TelegramError as error:
        return [Finding(False, "Telegram", f"not reachable: {error}")]
    except Exception as error:
        return [Finding(False, "Telegram", f"unreadable answer from the Bot API: {error!r}")]
    findings = [Finding(True, "Telegram", f"bot @{bot.username}")]
    try:
        for target in settings.relay_targets:
            try:
                chat = await bot.get_chat(target.chat_id)
                name = chat.title or chat.username or chat.first_name or chat.type
                where = f" topic {target.topic_id}" if target.topic_id else ""
                findings.append(Finding(True, f"chat {target.key}", f"{name}{where}"))
            except TelegramError as error:
                findings.append(
                    Finding(False, f"chat {target.key}", f"{error} (is the bot a member?)")
                )
            except Exception as error:  # an answer this python-telegram-bot cannot read
                findings.append(
                    Finding(False, f"chat {target.key}", f"unreadable answer: {error!r}")
                )
    finally:
        await bot.shutdown()
    return findings


async def check_smsc(settings: Settings) -> Finding:
    client = SmscClient(settings.smsc_base_url, settings.smsc_auth(), settings.smsc_zone)
    try:
        reply = await client.fetch_inbox(hours=1, count=1)
    except SmscApiError as error:
        return Finding(False, "SMSC", f"{error} ({error.policy.meaning})")
    except SmscError as error:
        return Finding(False, "SMSC", f"{settings.smsc_base_url}: {error}")
    finally:
        await client.aclose()
    return Finding(True, "SMSC", f"inbox readable ({reply.item_count} SMS in the last hour)")


def check_database(settings: Settings) -> Finding:
    path = settings.database_path
    try:
        summary = inspect_database(path)
    except DatabaseUnreadable as error:
        return Finding(False, "database", f"{path}: {error}")
    if summary is None:
        return Finding(True, "database", f"{path} will be created on the first run")
    version = summary.schema_version
    if summary.too_new:
        return Finding(False, "database", f"{path} is from a newer sms-bridge (schema {version})")
    return Finding(True, "database", f"{path}, schema {version}, {summary.sms_count} SMS stored")


def check_routes(settings: Settings) -> Finding:
    """The routes file, read and checked with the settings (a bad one never gets here)."""
    if settings.routes_file is None:
        return Finding(
            True, "routes", "not configured: every SMS goes to every chat of TELEGRAM_CHAT_IDS"
        )
    routes, chats = len(settings.routes), len(settings.router().chats)
    return Finding(
        True,
        "routes",
        f"{settings.routes_file}, {routes} route{'s' if routes != 1 else ''}, "
        f"{chats} chat{'s' if chats != 1 else ''}",
    )


def check_team(settings: Settings) -> Finding:
    """The team file, read and checked with the settings (a bad one never gets here)."""
    team = settings.team
    if team is None:
        return Finding(None, "team", "not configured: duty is only what /oncall me says")

    people = f"{len(team.people)} {'person' if len(team.people) == 1 else 'people'}"
    chats = f"{len(team.escalations)} chat{'s' if len(team.escalations) != 1 else ''}"
    schedules = f"{len(team.schedules)} schedule{'s' if len(team.schedules) != 1 else ''}"
    return Finding(True, "team", f"{team.path}, {people}, {chats}, {schedules}")


def permission_warnings(database_path: Path, env_file: Path = Path(ENV_FILE)) -> list[str]:
    """A line for each of the database's files (and its folder), and for `.env` (it holds
    the bot token and the SMSC password), that others may open."""
    paths = [database_path.parent, *database_files(database_path), lock_path(database_path)]
    warnings = [_loose_line("database", loose) for loose in loose_permissions(paths)]
    for loose in loose_permissions([env_file]):
        warnings.append(_loose_line(".env", loose, ", and it holds the bot token and passwords"))
    return warnings


def _loose_line(what: str, loose: LoosePermissions, why: str = "") -> str:
    access = "readable by" if loose.readable_by_others else "open to"
    return (
        f"{what}: {loose.path} is {access} others (mode {loose.mode:04o}){why}: "
        f"run chmod {loose.private_mode:o} {shlex.quote(str(loose.path))}"
    )


async def check_push_endpoint(settings: Settings) -> Finding:
    """Whether the running bridge listens on PUSH_PORT; the secret path is never shown.

    Nothing listening is a warning: before the first start no bridge runs to listen."""
    what = "push endpoint"
    if settings.push_port is None:
        return Finding(None, what, "not configured (polling only)")
    host = WILDCARD_HOSTS.get(settings.push_host, settings.push_host)
    probe = httpx.URL(scheme="http", host=host, port=settings.push_port, path="/")
    try:
        async with httpx.AsyncClient(timeout=PUSH_PROBE_TIMEOUT) as client:
            await client.get(probe)  # not the secret path: a 404 that wakes nothing
    except httpx.HTTPError:
        where = f"{probe.host}:{settings.push_port}"
        detail = f"configured; not listening on {where} (is the bridge running?)"
        return Finding(None, what, detail, warning=True)
    return Finding(True, what, f"listening on {probe}…")


async def check_heartbeat(settings: Settings) -> Finding:
    """One heartbeat, sent as the bridge sends it; HEARTBEAT_URL (its token) is never shown."""
    what = "heartbeat"
    if settings.heartbeat_url is None:
        return Finding(None, what, "not configured (no dead-man's switch)")
    url = settings.heartbeat_url.get_secret_value()
    host = urlsplit(url).hostname
    receiver = Receiver(url)
    try:
        await receiver.ping()
    except Exception as error:
        return Finding(False, what, f"the GET to {host} failed: {english(why(error))}")
    finally:
        await receiver.aclose()
    return Finding(True, what, f"{host} took one (its check now shows the bridge up)")


async def run_check(settings: Settings) -> int:
    findings = await check_telegram(settings)
    findings += [await check_smsc(settings), check_database(settings), check_routes(settings)]
    findings.append(check_team(settings))
    findings.append(await check_push_endpoint(settings))
    findings.append(await check_heartbeat(settings))
    for note in [*settings.warnings(), *permission_warnings(settings.database_path)]:
        click.echo(f"! {note}")
    for finding in findings:
        click.echo(finding.line())
    return 0 if all(f.ok is not False for f in findings) else 1
