"""What a failed poll means: how long to pause, and who hears about it.

An error from the inbox carries its own policy (`bot.core.inbox.ErrorPolicy`): a pause, maybe
growing, a log level, a metrics label, whether the chats are told at once. Anything else
(a timeout, a garbage reply, a bug) backs off exponentially with jitter, never faster
than the poll interval, so retries cannot break SMSC's three-identical-requests rule.
"""

from __future__ import annotations

import logging

from tenacity import RetryCallState, wait_exponential_jitter

from bot.core.alerts import Alerts
from bot.core.bridge_state import BridgeStatus
from bot.core.inbox import InboxError, said_of
from bot.core.metrics import Metrics
from state import SmsNotStored, error_kind

log = logging.getLogger("bot.intake.poller")

MAX_TRANSIENT_PAUSE = 300.0
UNEXPECTED_ERROR_LABEL = "transport"  # not an InboxError (a bug, the disk): counted there


def about_sms(error: BaseException) -> str:
    """`, SMS 123` when the error says which SMS it was about, else nothing. The error's
    own words and its `repr` may quote an SMS (a value SQLite refused, say): the log gives
    its kind (`error_kind`) and this, its traceback only at DEBUG."""
    return f", SMS {error.smsc_id}" if isinstance(error, SmsNotStored) else ""


class PollFailures:
    """Pauses after failed polls, and books each one (status, metrics, log, alerts)."""

    def __init__(
        self, interval: float, status: BridgeStatus, alerts: Alerts, metrics: Metrics
    ) -> None:
        self._status = status
        self._alerts = alerts
        self._metrics = metrics
        self._transient_wait = wait_exponential_jitter(
            multiplier=interval,
            max=max(MAX_TRANSIENT_PAUSE, interval),
            jitter=interval / 2,
            min=interval,
        )

    def pause_after(self, state: RetryCallState) -> float:
        """Seconds to wait after a failed poll: the error's policy, else backoff."""
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, InboxError):
            pause = error.policy.pause_before(state.attempt_number)
            if pause is not None:
                return pause
        return float(self._transient_wait(state))

    def record(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        if error is None:
            return
        pause = state.upcoming_sleep
        self._status.poll_failed(str(error), said_of(error))
        if isinstance(error, InboxError):
            policy = error.policy
            self._metrics.poll_errors.labels(code=policy.metrics_label).inc()
            log.log(policy.log_level, "%s; next try in %.0f s", error.summary, pause)
            if error.detail:  # what the provider answered instead: may hold SMS text
                log.debug("the reply began: %s", error.detail)
        else:
            self._metrics.poll_errors.labels(code=UNEXPECTED_ERROR_LABEL).inc()
            log.error(
                "poll failed: %s%s; next try in %.0f s", error_kind(error), about_sms(error), pause
            )
            log.debug("the failed poll's traceback", exc_info=error)
        self._alerts.polling_failed(error)
