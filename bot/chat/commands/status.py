"""/status: a verdict first (all well, or what is wrong), then only what needs reading.

The first lines answer "is it working?": all well, or one line per problem, impact first
("No SMS coming in for 2 h 5 min: SMSC did not answer in time"; SMS that did not reach a
chat, with the next step for its reason and who can take it), then when the last SMS
arrived and when SMSC last answered a check. Then each chat by its title with only the
counters that are not zero, in plain words. Setting names, figures and commands for
whoever runs the service come last, under "For the admin", the commands tap-to-copy.
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
from bot.core.health import Problem
from bot.core.telegram_errors import next_step_for_people, reason_for_people, refuses_the_chat
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
    problems: list[Problem]  # as /healthz reports them: empty when all is well
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
        problems=[
            Problem(redact(problem.impact), redact(problem.cause), redact(problem.detail))
            for problem in bridge.health.problems(now)
        ],
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


def _problem_lines(facts: StatusFacts) -> list[str]:
    """One line per problem, impact first: the bridge's, an SMS the database refused, and
    each chat SMS did not reach, with the next step and who can take it."""
    lines = [f"⚠️ <b>{escape(problem.line)}</b>" for problem in facts.problems]
    if facts.kept_aside:
        kept = ngettext(
            "{n} SMS could not be stored and is not shown in the chats",
            "{n} SMS could not be stored and are not shown in the chats",
            facts.kept_aside,
        )
        lines.append(f"⚠️ <b>{escape(kept.format(n=facts.kept_aside))}</b>")
    for chat in facts.chats:
        if chat.queue.failed:
            lines.append("⛔ " + escape(_not_delivered(chat)))
    return lines


def _verdict(facts: StatusFacts) -> list[str]:
    """All well, or the problems; then when the last SMS came and SMSC last answered."""
    last = (
        _("last SMS {when}").format(when=_ago(facts.last_sms, facts))
        if facts.last_sms
        else _("no SMS stored yet")
    )
    checked = (
        _("Last successful SMSC check: {when}").format(when=_ago(facts.last_poll_ok, facts))
        if facts.last_poll_ok
        else _("No successful SMSC check yet")
    )
    problems = _problem_lines(facts)
    if not problems:
        well = _("All well")
        return [f"✅ <b>{escape(well)}</b> · {escape(last)}", escape(checked)]
    return [*problems, escape(last[:1].upper() + last[1:]), escape(checked)]


def _chat_line(chat: ChatFacts) -> str:
    name = chat.name
    if chat.topic_id is not None:
        name += " · " + _("topic {id}").format(id=chat.topic_id)
    queue, counters = chat.queue, []
    if queue.pending:
        waiting = ngettext("{n} SMS on the way", "{n} SMS on the way", queue.pending)
        counters.append(waiting.format(n=queue.pending))
    if queue.uncertain:
        twice = ngettext("{n} possible duplicate", "{n} possible duplicates", queue.uncertain)
        counters.append(twice.format(n=queue.uncertain) + " (↻)")
    if queue.failed:
        failed = ngettext("{n} SMS not delivered", "{n} SMS not delivered", queue.failed)
        counters.append("⛔ " + failed.format(n=queue.failed))
    line = f"• {escape(name)}: " + (escape(", ".join(counters)) if counters else "✓")
    if queue.pending and chat.retrying and not queue.failed:
        reason = reason_for_people(chat.retrying)
        line += "\n  " + escape(_("trying again: {reason}").format(reason=reason))
    return line


def _not_delivered(chat: ChatFacts) -> str:
    """SMS that did not reach a chat: how many, why, and the next step for that reason."""
    queue, reason = chat.queue, chat.queue.last_error or ""
    if reason and not refuses_the_chat(reason):  # one message refused; the chat is fine
        refused = ngettext(
            "{n} SMS did not reach “{chat}”: Telegram refused its message. The admin can "
            "send it again.",
            "{n} SMS did not reach “{chat}”: Telegram refused their message. The admin can "
            "send them again.",
            queue.failed,
        )
        return refused.format(n=queue.failed, chat=chat.name)
    refuses = ngettext(
        "{n} SMS did not reach “{chat}”: {reason}. {step}",
        "{n} SMS did not reach “{chat}”: {reason}. {step}",
        queue.failed,
    )
    # Telegram's own words are the log's; people read what they mean, and what to do.
    return refuses.format(
        n=queue.failed,
        chat=chat.name,
        reason=reason_for_people(reason),
        step=next_step_for_people(reason),
    )


def _for_the_admin(facts: StatusFacts) -> list[str]:
    """Commands, setting names and figures: for whoever runs the service, last."""
    admin = _("For the admin:")
    lines = [f"<i>{escape(admin)}</i>"]
    for chat in facts.chats:
        if chat.queue.failed:
            again = (
                _("“{chat}”: once fixed, send its SMS again with")
                if refuses_the_chat(chat.queue.last_error or "")
                else _("“{chat}”: send its SMS again with")
            )
            command = retry_failed_command(chat.key)
            lines.append(f"• {escape(again.format(chat=chat.name))} {command}")
    lines += [f"• {escape(problem.detail)}" for problem in facts.problems if problem.detail]
    if facts.kept_aside:
        kept = _("the SMS that could not be stored are in the kept_aside table; why is in the log")
        lines.append(f"• {escape(kept)}")
    if facts.oldest_sms is not None:
        oldest = day(facts.oldest_sms, facts.zone)
        text = (
            _("oldest SMS kept: {date} (RETENTION_DAYS={days})")
            if facts.retention_days
            else _("oldest SMS kept: {date} (RETENTION_DAYS=0: none deleted)")
        )
        lines.append(escape(text.format(date=oldest, days=facts.retention_days)))
    footer = _("{stored} SMS stored · up {uptime} · sms-bridge {version}").format(
        stored=number(facts.stored),
        uptime=short_duration((facts.now - facts.started_at).total_seconds()),
        version=facts.version,
    )
    return [*lines, escape(footer)]


def status_text(facts: StatusFacts) -> str:
    """A verdict first, then the chats, then what only the admin needs."""
    lines = _verdict(facts)
    if facts.poll_error is not None and not facts.problems:  # a problem already says it
        failed = _("The last SMSC check failed: {error}; trying again")
        lines.append(escape(failed.format(error=facts.poll_error)))
    chats = _("Chats")
    lines += ["", f"<b>{escape(chats)}</b>", *(_chat_line(chat) for chat in facts.chats)]
    if facts.feature_lines:
        lines += ["", *facts.feature_lines]
    return "\n".join([*lines, "", *_for_the_admin(facts)])


COMMANDS = [ChatCommand("status", N_("is the bridge working? what waits where?"), status_command)]
