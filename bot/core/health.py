"""The optional HTTP endpoint: /healthz for a watchdog, /metrics for Prometheus.

Served from a small thread of its own (wsgiref), so a scrape never waits on the event
loop; it only reads values the loop keeps up to date. Bound to 127.0.0.1 unless
HEALTH_HOST says otherwise.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app

from bot.core.bridge_state import BridgeStatus
from bot.core.metrics import Metrics
from bot.text.durations import short_duration
from bot.text.i18n import _, in_language

log = logging.getLogger(__name__)

MIN_POLL_SILENCE = 90.0  # seconds without a successful poll before /healthz turns 503


@dataclass
class HealthRules:
    poll_interval: float
    alert_after: float

    @property
    def max_poll_silence(self) -> float:
        return max(3 * self.poll_interval, MIN_POLL_SILENCE)


@dataclass(frozen=True)
class Problem:
    """One thing wrong, impact first: what people notice, why, and the admin's detail.

    /status shows `impact: cause` on a line of its own and keeps `detail` (setting names,
    figures for whoever runs the service) for its last lines; /healthz reports all three.
    """

    impact: str  # "No SMS coming in for 2 h 5 min"
    cause: str = ""  # "SMSC did not answer in time"
    detail: str = ""  # "ALERT_AFTER=300"

    @property
    def line(self) -> str:
        """What a chat reads: the impact, and why when known."""
        return f"{self.impact}: {self.cause}" if self.cause else self.impact

    def __str__(self) -> str:
        return f"{self.line} ({self.detail})" if self.detail else self.line


def health_problems(
    status: BridgeStatus, rules: HealthRules, oldest_pending: datetime | None, now: datetime
) -> list[Problem]:
    """Why the bridge is unhealthy right now; empty when it is fine."""
    problems = []
    last_ok = status.last_poll_ok_at or status.started_at
    silence = (now - last_ok).total_seconds()
    if silence > rules.max_poll_silence:
        impact = _("No SMS coming in for {duration}").format(duration=short_duration(silence))
        if status.last_error:
            cause = str(status.last_error.said)
        elif status.last_poll_ok_at is None:
            cause = _("SMSC has not answered once since the start")
        else:
            cause = ""
        problems.append(Problem(impact, cause))
    if oldest_pending is not None:
        waited = (now - oldest_pending).total_seconds()
        if waited > rules.alert_after:
            impact = _("SMS have waited {duration} to go out to Telegram").format(
                duration=short_duration(waited)
            )
            detail = _("a problem once SMS wait longer than ALERT_AFTER={limit} s").format(
                limit=f"{rules.alert_after:g}"
            )
            problems.append(Problem(impact, detail=detail))
    return problems


class HealthMonitor:
    """The bridge's health facts in one place: /healthz, /status and the watch loop use it.

    `status` is kept up to date by the poller and the Telegram side; `oldest_pending` by
    the app's watch loop, which reads it from the store every few seconds.
    """

    def __init__(self, status: BridgeStatus, rules: HealthRules) -> None:
        self.status = status
        self.rules = rules
        self.oldest_pending: datetime | None = None

    def problems(self, now: datetime | None = None) -> list[Problem]:
        """Why the bridge is unhealthy right now; empty when it is fine."""
        return health_problems(
            self.status, self.rules, self.oldest_pending, now or datetime.now(UTC)
        )


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("health endpoint: " + format, *args)


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


Environ = dict[str, Any]
StartResponse = Callable[..., Any]


class HealthServer:
    """Serves /healthz and /metrics until stopped."""

    def __init__(
        self,
        host: str,
        port: int,
        metrics: Metrics,
        monitor: HealthMonitor,
    ) -> None:
        self._metrics_app = make_wsgi_app(metrics.registry)
        self._problems = monitor.problems
        self._server = make_server(
            host, port, self._app, server_class=_ThreadingServer, handler_class=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="health", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _app(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return self._metrics_app(environ, start_response)  # type: ignore[no-any-return]
        if path == "/healthz":
            with in_language("en"):  # for watchdogs and admins, not chat members
                problems = [str(problem) for problem in self._problems()]
            body = json.dumps(
                {
                    "status": "ok" if not problems else "unhealthy",
                    "problems": problems,
                    "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
                }
            ).encode()
            start_response(
                "200 OK" if not problems else "503 Service Unavailable",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: try /healthz or /metrics\n"]
