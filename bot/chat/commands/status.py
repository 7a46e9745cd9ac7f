"""/status: a verdict first (all well, or what is wrong), then only what needs reading.

The first line answers "is it working?": all well, or the problems `/healthz` would
report (a sentence: it starts with a capital), and either way when the last SMS arrived.
Then each chat by its title with only the counters that are not zero; a chat that
refuses messages gets the next step to fix it, the command tap-to-copy.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import ContextTypes

from bot import __version__
from bot.chat.answers import reply
from bot.chat.commands.registry import ChatCommand
from bot.chat.context import BridgeContext, bridge_of
from bot.core.alerts import retry_failed_command
from bot.core.telegram_errors import reason_for_people, refuses_the_chat
from bot.text.clock import day, moment_in_zone
from bot.text.durations import short_duration
from bot.text.formatting import escape
from bot.text.i18n import N_, _, ngettext, number
from state import ChatQueue, deliveries, messages, retention


async def status_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bridge's verdict, its chats, and its figures."""
    await reply(update, context, status_text(await gather_facts(bridge_of(context))))


@dataclass(frozen=True)
class ChatFacts:
    """One relay target as /status shows it."""

    name: str  # the chat's title, or its ID until Telegram told us the title
    key: str
    topic_id: int | None
    queue: ChatQueue
    retrying: str | None  # why the last write failed, while SMS wait (raw: for the log)


@dataclass(frozen=True)
class StatusFacts:
    """Everything /status says, gathered (and redacted) first, so the text is pure."""

    now: datetime
    zone: ZoneInfo
    problems: list[str]  # as /healthz reports them: empty when all is well
    last_sms: datetime | None
    last_poll_ok: datetime | None
    poll_error: str | None  # while polling fails: what it means (`said_of`), not the error
    chats: list[ChatFacts]
    stored: int
    started_at: datetime
    feature_lines: tuple[str, ...] = ()  # HTML, what the running features add
    oldest_sms: datetime | None = None  # the oldest SMS kept
    retention_days: int = 0  # RETENTION_DAYS
    kept_aside: int = 0  # SMS the database refused, kept aside as read
    version: str = __version__


async def gather_facts(bridge: BridgeContext) -> StatusFacts:
    now = datetime.now(UTC)
    status, redact = bridge.health.status, bridge.redactor.redact
    targets = {target.key: target for target in bridge.chats.targets}
    queues = await bridge.store.call(deliveries.queues, list(targets))
    chats = []
    for queue in queues:
        target = targets[queue.chat]
        gateway = bridge.chats.for_target(target)
        if queue.last_error:
            queue = replace(queue, last_error=redact(queue.last_error))
        retrying = redact(gateway.last_error) if gateway.last_error else None
        chats.append(
            ChatFacts(gateway.title or target.key, target.key, target.topic_id, queue, retrying)
        )
    failing = status.failing_since is not None and status.last_error is not None
    lines = [line for feature in bridge.features for line in await feature.status_lines()]
    return StatusFacts(
        now=now,
        zone=bridge.zone,
        problems=[redact(problem) for problem in bridge.health.problems(now)],
        last_sms=await bridge.store.call(messages.last_received_at),
        last_poll_ok=status.last_poll_ok_at,
        poll_error=str(status.last_error.said) if failing and status.last_error else None,
        chats=chats,
        stored=await bridge.store.call(messages.count_messages),
        started_at=status.started_at,
        feature_lines=tuple(lines),
        oldest_sms=await bridge.store.call(retention.oldest_received_at),
        retention_days=bridge.retention_days,
        kept_aside=await bridge.store.call(messages.count_kept_aside),
    )


def _ago(moment: datetime, facts: StatusFacts) -> str:
    return _("{moment}, {ago} ago").format(
        moment=moment_in_zone(moment, facts.zone, facts.now),
        ago=short_duration((facts.now - moment).total_seconds()),
    )


def _verdict(facts: StatusFacts) -> str:
    last = (
        _("last SMS {when}").format(when=_ago(facts.last_sms, facts))
        if facts.last_sms
        else _("no SMS stored yet")
    )
    if not facts.problems:
        well = _("All well")
        return f"✅ <b>{escape(well)}</b> · {escape(last)}"
    wrong = "; ".join(facts.problems)
    return f"⚠️ <b>{escape(wrong[:1].upper() + wrong[1:])}</b> · {escape(last)}"


def _chat_line(chat: ChatFacts) -> str:
    name = chat.name
    if chat.topic_id is not None:
        name += " · " + _("topic {id}").format(id=chat.topic_id)
    queue, counters = chat.queue, []
    if queue.pending:
        waiting = ngettext("{n} waiting", "{n} waiting", queue.pending)
        counters.append(waiting.format(n=queue.pending))
    if queue.uncertain:
        twice = ngettext("{n} possibly shown twice", "{n} possibly shown twice", queue.uncertain)
        counters.append(twice.format(n=queue.uncertain))
    if counters:
        line = f"• {escape(name)}: {escape(', '.join(counters))}"
    else:
        line = f"• {escape(name)}" + ("" if queue.failed else ": ✓")
    if queue.failed:
        line += "\n  ⛔ " + escape(_not_delivered(queue)) + " " + retry_failed_command(chat.key)
    elif queue.pending and chat.retrying:
        reason = reason_for_people(chat.retrying)
        line += "\n  " + escape(_("retrying after: {reason}").format(reason=reason))
    return line


def _not_delivered(queue: ChatQueue) -> str:
    """Why a chat's failed SMS did not arrive, and what to do before `retry-failed`."""
    reason = queue.last_error or ""
    if reason and not refuses_the_chat(reason):  # one message refused; the chat is fine
        refused = _("{n} not delivered: Telegram refused their message. To send them again, run:")
        return refused.format(n=queue.failed)
    refuses = _(
        "{n} not delivered: the chat refuses messages ({reason}). Add the bot back, then run:"
    )
    # Telegram's own words are the log's; people read what they mean.
    return refuses.format(n=queue.failed, reason=reason_for_people(reason))


def _kept(facts: StatusFacts) -> list[str]:
    """Since when SMS are kept, and for how long they will be."""
    if facts.oldest_sms is None:
        return []
    oldest = day(facts.oldest_sms, facts.zone)
    text = (
        _("oldest SMS kept: {date} (RETENTION_DAYS={days})")
        if facts.retention_days
        else _("oldest SMS kept: {date} (RETENTION_DAYS=0: none deleted)")
    )
    return [escape(text.format(date=oldest, days=facts.retention_days))]


def status_text(facts: StatusFacts) -> str:
    """A verdict first, then the chats, then the figures."""
    lines = [_verdict(facts)]
    polled = (
        _("SMSC polled {when}").format(when=_ago(facts.last_poll_ok, facts))
        if facts.last_poll_ok
        else _("SMSC not polled successfully yet")
    )
    lines.append(escape(polled))
    if facts.poll_error is not None and not facts.problems:  # a problem already says it
        lines.append(escape(_("last SMSC error: {error}").format(error=facts.poll_error)))
    if facts.kept_aside:
        kept = ngettext(
            "{n} SMS could not be stored: kept aside in the database, see the log",
            "{n} SMS could not be stored: kept aside in the database, see the log",
            facts.kept_aside,
        )
        lines.append("⚠️ " + escape(kept.format(n=facts.kept_aside)))
    chats = _("Chats")
    lines += ["", f"<b>{escape(chats)}</b>", *(_chat_line(chat) for chat in facts.chats)]
    if facts.feature_lines:
        lines += ["", *facts.feature_lines]
    footer = _("{stored} SMS stored · up {uptime} · sms-bridge {version}").format(
        stored=number(facts.stored),
        uptime=short_duration((facts.now - facts.started_at).total_seconds()),
        version=facts.version,
    )
    lines += ["", *_kept(facts), escape(footer)]
    return "\n".join(lines)


COMMANDS = [ChatCommand("status", N_("is the bridge working? what waits where?"), status_command)]
