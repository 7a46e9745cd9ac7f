"""Telling the chats when SMS stop coming in, once, and once more when they come back.

An on-call group must learn that the bridge is blind, but a failing poll every 30 seconds
must not become a message every 30 seconds. The rule: one alert at once when the error's
policy says `tell_chats` (an operator has to act: SMSC refused the credentials, say), or
when polling has failed for longer than ALERT_AFTER seconds; one message when a poll
succeeds again; nothing in between. Which errors are urgent is the inbox's knowledge (its
`ErrorPolicy`), never an error number tested here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from bot.inbox import InboxError
from bot.status import BridgeStatus

log = logging.getLogger(__name__)

Notify = Callable[[str], Coroutine[Any, Any, None]]


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


class Alerts:
    """Decides when the chats hear about polling trouble; `notify` does the sending."""

    def __init__(self, status: BridgeStatus, alert_after: float, notify: Notify) -> None:
        self._status = status
        self._alert_after = alert_after
        self._notify = notify
        self._tasks: set[asyncio.Task[None]] = set()
        self.alerting = False

    def polling_failed(self, error: BaseException) -> None:
        if self.alerting:
            return
        if isinstance(error, InboxError) and error.policy.tell_chats:
            text = f"⚠️ {error.policy.notice}"
        elif self._status.failing_for() > self._alert_after:
            text = (
                f"⚠️ No SMS fetched for {_minutes(self._status.failing_for())}: {error}. "
                "SMSC keeps incoming SMS for 7 days; they will be relayed once polling "
                "works again."
            )
        else:
            return
        self.alerting = True
        log.error("alerting the chats: %s", text)
        self._send(text)

    def polling_recovered(self, failed_for: float) -> None:
        if not self.alerting:
            return
        self.alerting = False
        text = (
            f"✅ SMSC polling works again after {_minutes(failed_for)}. "
            "SMS received meanwhile are being relayed."
        )
        log.info("telling the chats: %s", text)
        self._send(text)

    def cancel_pending(self) -> None:
        """At shutdown: drop alerts still waiting for Telegram (they are in the log)."""
        for task in list(self._tasks):
            task.cancel()

    def _send(self, text: str) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(self._notify(text))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
