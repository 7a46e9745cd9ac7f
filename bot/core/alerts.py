"""Telling the chats when SMS stop coming in, once, and once more when they come back.

An on-call group must learn that the bridge is blind, but a failing poll every 30 seconds
must not become a message every 30 seconds. The rule: one alert at once when the error's
policy says `tell_chats` (an operator has to act: SMSC refused the credentials, say), or
when polling has failed for longer than ALERT_AFTER seconds; one message when a poll
succeeds again, as a reply to the alert; nothing in between. Which errors are urgent is
the inbox's knowledge (its `ErrorPolicy`), never an error number tested here.

An alert leads with the impact a reader acts on (since when no SMS come in), then that
nothing is lost (SMSC keeps SMS for 7 days) and that the bridge keeps trying, then the
details for the admin: what failed, and what to check. When one chat refuses the bot for
good, the other chats are told once, so nobody counts on it, with the next step for its
reason and who can take it. An SMS the database refused (kept aside, so that the others
go on) is told once, by its ID.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.bridge_state import BridgeStatus
from bot.core.inbox import InboxError, said_of
from bot.core.telegram_errors import next_step_for_people, reason_for_people
from bot.text.clock import moment_in_zone
from bot.text.durations import minutes_in_words
from bot.text.formatting import escape
from bot.text.i18n import _, ngettext

log = logging.getLogger(__name__)

# Posts a notice to the chats (all but `skip`), replying to `reply_to`'s message in each;
# returns the message ID it got in each chat, by target key.
Notify = Callable[..., Coroutine[Any, Any, dict[str, int]]]


def _alert(impact: str, detail: str) -> str:
    """Impact first (bold), then that nothing is lost, then the admin's details."""
    nothing_lost = _(
        "Nothing is lost: SMSC keeps SMS for 7 days. The bot keeps trying, and they come "
        "here once SMSC answers again."
    )
    admin = _("For the admin: {detail}").format(detail=detail)
    return f"⚠️ <b>{escape(impact)}</b>\n{escape(nothing_lost)}\n<i>{escape(admin)}</i>"


def urgent_alert(since: str, notice: str) -> str:
    """SMSC refuses the bridge (its policy says the chats must hear it at once)."""
    cause = _("SMSC refuses the bot")
    return _alert(_("No new SMS since {since}: {cause}.").format(since=since, cause=cause), notice)


def outage_alert(since: str, failed_for: float, detail: str) -> str:
    """Polling has failed for longer than ALERT_AFTER. `detail` is what the failure is, as
    `said_of` puts it for people: never the exception's text, which may be a proxy's page."""
    cause = _("SMSC has not answered for {minutes}").format(minutes=minutes_in_words(failed_for))
    log_hint = _(
        "{detail}. Check that this server reaches SMSC (network, DNS, SMSC_BASE_URL); "
        "the details are in the service's log."
    ).format(detail=detail)
    return _alert(
        _("No new SMS since {since}: {cause}.").format(since=since, cause=cause), log_hint
    )


def recovered_text(failed_for: float) -> str:
    text = _("SMS come in again, after {minutes}; those received meanwhile follow.")
    return "✅ " + escape(text.format(minutes=minutes_in_words(failed_for)))


def retry_failed_command(key: str) -> str:
    """The command that sends a chat's refused SMS again, tap-to-copy."""
    return f"<code>sms-bridge retry-failed --chat {escape(key)}</code>"


def refusing_chat_text(name: str, reason: str, key: str) -> str:
    """Told to the other chats when one refuses the bot for good. `reason` is the raw
    failure (for the log); the chats read what it means (`reason_for_people`) and the next
    step for that reason, with who can take it (`next_step_for_people`). The refused SMS
    are sent again only by `retry-failed`, so the text says so: no one waits for them to
    arrive by themselves."""
    impact = _("SMS no longer reach “{chat}”: {reason}.").format(
        chat=name, reason=reason_for_people(reason)
    )
    kept = _("The SMS for that chat are kept; they follow once the admin runs:")
    return (
        f"⛔ <b>{escape(impact)}</b>\n{escape(next_step_for_people(reason))}\n"
        f"<i>{escape(kept)}</i>\n" + retry_failed_command(key)
    )


LISTED_AT_MOST = 10  # SMS IDs named in one notice


def kept_aside_text(ids: list[int]) -> str:
    """SMS the database refused: not shown in the chats, kept aside as read, the others
    stored. Their IDs only: what they say is in the database, for the admin."""
    listed = ", ".join(str(smsc_id) for smsc_id in ids[:LISTED_AT_MOST])
    if len(ids) > LISTED_AT_MOST:  # the message stays short, whatever a page held
        listed += f" … +{len(ids) - LISTED_AT_MOST}"
    impact = ngettext(
        "SMS {ids} could not be stored and is not shown here; the SMS after it come as usual.",
        "SMS {ids} could not be stored and are not shown here; the SMS after them come as usual.",
        len(ids),
    ).format(ids=listed)
    admin = ngettext(
        "For the admin: it is kept aside as received, in the kept_aside table of the "
        "database; why is in the service's log.",
        "For the admin: they are kept aside as received, in the kept_aside table of the "
        "database; why is in the service's log.",
        len(ids),
    )
    return f"⚠️ <b>{escape(impact)}</b>\n<i>{escape(admin)}</i>"


class Alerts:
    """Decides when the chats hear about trouble; `notify` does the sending."""

    def __init__(
        self, status: BridgeStatus, alert_after: float, notify: Notify, zone: ZoneInfo
    ) -> None:
        self._status = status
        self._alert_after = alert_after
        self._notify = notify
        self._zone = zone
        self._tasks: set[asyncio.Task[dict[str, int]]] = set()
        self._alert: asyncio.Task[dict[str, int]] | None = None  # the alert now standing
        self._chats_told_refusing: set[str] = set()

    @property
    def alerting(self) -> bool:
        return self._alert is not None

    def polling_failed(self, error: BaseException) -> None:
        if self.alerting:
            return
        now = datetime.now(UTC)
        since = moment_in_zone(self._status.failing_since or now, self._zone, now)
        if isinstance(error, InboxError) and error.policy.tell_chats:
            text = urgent_alert(since, _(error.policy.notice))
        elif self._status.failing_for() > self._alert_after:
            text = outage_alert(since, self._status.failing_for(), str(said_of(error)))
        else:
            return
        log.error("alerting the chats: %s", text)
        self._alert = self._send(text)

    def polling_recovered(self, failed_for: float) -> None:
        alert, self._alert = self._alert, None
        if alert is None:
            return
        text = recovered_text(failed_for)
        log.info("telling the chats: %s", text)
        self._send(text, answering=alert)

    def chat_refused(self, key: str, name: str, reason: str) -> None:
        """A chat refuses the bot for good: the other chats hear it once."""
        if key in self._chats_told_refusing:
            return
        self._chats_told_refusing.add(key)
        text = refusing_chat_text(name, reason, key)
        log.warning("telling the other chats that chat %s refuses: %s", key, reason)
        self._send(text, skip=key)

    def sms_kept_aside(self, ids: list[int]) -> None:
        """The database refused these SMS (kept aside): the chats hear it, once."""
        text = kept_aside_text(ids)
        log.warning("telling the chats that SMS %s were kept aside", ", ".join(map(str, ids)))
        self._send(text)

    def chat_delivers(self, key: str) -> None:
        """A chat took a message again: a later refusal is news again."""
        self._chats_told_refusing.discard(key)

    async def flush(self) -> None:
        """Wait until every notice in flight has gone out (or failed)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    def cancel_pending(self) -> None:
        """At shutdown: drop alerts still waiting for Telegram (they are in the log)."""
        for task in list(self._tasks):
            task.cancel()

    def _send(
        self,
        text: str,
        *,
        answering: asyncio.Task[dict[str, int]] | None = None,
        skip: str | None = None,
    ) -> asyncio.Task[dict[str, int]]:
        async def send() -> dict[str, int]:
            reply_to: dict[str, int] = {}
            if answering is not None:  # the recovery quotes the alert, once that went out
                await asyncio.wait({answering})
                if not answering.cancelled() and answering.exception() is None:
                    reply_to = answering.result()
            return await self._notify(text, reply_to=reply_to, skip=skip)

        task = asyncio.get_running_loop().create_task(send())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
