"""/status: is the bridge polling and delivering, and what is queued where."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import Update
from telegram.ext import ContextTypes

from bot import __version__
from bot.commands.answers import reply
from bot.commands.context import BridgeContext, bridge_of
from bot.commands.registry import ChatCommand
from bot.durations import short_duration
from bot.formatting import escape, format_time
from state import Store


async def status_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Uptime, polling, errors, queue per chat, version."""
    await reply(update, context, await render_status(bridge_of(context)))


async def render_status(bridge: BridgeContext) -> str:
    now = datetime.now(UTC)
    status = bridge.health.status
    stored = await bridge.store.call(Store.count_messages)
    targets = {target.key: target for target in bridge.chats.targets}
    queues = await bridge.store.call(Store.queues, list(targets))
    uptime = short_duration((now - status.started_at).total_seconds())
    lines = [f"<b>sms-bridge {escape(__version__)}</b>, up {uptime}"]
    if status.last_poll_ok_at is None:
        lines.append("SMSC: no successful poll yet")
    else:
        ago = (now - status.last_poll_ok_at).total_seconds()
        lines.append(
            f"SMSC: last successful poll {format_time(status.last_poll_ok_at, bridge.zone)} "
            f"({short_duration(ago)} ago)"
        )
    if status.last_error is not None:
        error = status.last_error
        lines.append(
            f"Last SMSC error: {format_time(error.at, bridge.zone)}, "
            f"{escape(bridge.redactor.redact(error.message))}"
        )
    if status.failing_since is not None:
        lines.append(f"⚠️ polling has failed for {short_duration(status.failing_for(now))}")
    telegram = (
        "connected"
        if status.telegram_ready
        else f"not connected ({status.telegram_error or 'connecting'})"
    )
    lines.append(f"Telegram: {escape(telegram)}")
    lines.append(f"SMS stored: {stored}; fetched since start: {status.sms_fetched}")
    lines.append("Deliveries per chat:")
    for queue in queues:
        line = f"• {escape(queue.chat)}: {queue.pending} pending, {queue.failed} failed"
        if queue.uncertain:
            line += f", {queue.uncertain} possibly shown twice"
        if queue.failed and queue.last_error:
            line += f" (last refusal: {escape(bridge.redactor.redact(queue.last_error))})"
        retrying = bridge.chats.for_target(targets[queue.chat]).last_error
        if retrying and queue.pending:
            line += f"; retrying after: {escape(bridge.redactor.redact(retrying))}"
        lines.append(line)
    return "\n".join(lines)


COMMANDS = [ChatCommand("status", "is the bridge polling and delivering?", status_command)]
