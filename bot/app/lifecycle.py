"""The bridge's lifecycle: start the parts in order, keep an eye on them, stop them in order.

The parts are built in `bot.app.wiring`; this module only starts and stops them. Start-up
order matters. The health and push endpoints bind first (a busy port fails before
anything opens; a push call that comes before the poller runs leaves its hint set), then
the store (and deliveries interrupted by a crash are re-queued as uncertain); the poller
starts at once, so SMS keep being stored while Telegram is unreachable, and with it, with
RETENTION_DAYS, the purge of old SMS (in small batches beside polling); the Telegram side
(getMe, the relay, then commands) starts when the Bot API answers. A rejected token is
fatal: no retry will fix it.

Shutdown (SIGTERM/SIGINT) stops taking new work, lets each chat finish the message in
flight, and closes everything within a few seconds. Anything not yet marked sent stays
queued for the next start.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram.error import InvalidToken

from bot import __version__
from bot.app.lock import InstanceLock
from bot.app.settings import Settings
from bot.app.telegram_link import connect, serve_commands
from bot.app.wiring import AnyApplication, Parts, build_parts, build_push_endpoint
from bot.core.bridge_state import BridgeStatus
from bot.core.database import AsyncStore
from bot.core.health import HealthMonitor, HealthRules, HealthServer
from bot.core.metrics import Metrics
from bot.features.push.endpoint import PushEndpoint
from bot.features.replies.sending import UNKNOWN_CHECK_AFTER
from state import Store, deliveries, outgoing

log = logging.getLogger(__name__)

WATCH_EVERY = 5.0  # seconds between refreshes of queue gauges and health facts
RELAY_GRACE = 5.0  # seconds a chat may take to finish its message in flight at shutdown
STEP_TIMEOUT = 3.0  # each further shutdown step


@dataclass
class Endpoints:
    """The HTTP endpoints that are listening, to be stopped together."""

    health: HealthServer | None = None
    push: PushEndpoint | None = None

    async def stop(self) -> None:
        if self.health is not None:
            self.health.stop()
        if self.push is not None:
            await self.push.stop()


class Bridge:
    """Runs the bridge's parts from start to a clean stop."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lock = InstanceLock(settings.database_path)
        self.stopping = asyncio.Event()
        self.exit_code = 0
        self.metrics = Metrics()
        self.hints = asyncio.Event()  # set by push calls, cleared by the poll that covers them
        self.health = HealthMonitor(
            BridgeStatus(), HealthRules(settings.smsc_poll_interval, settings.alert_after)
        )

    async def run(self) -> int:
        self.lock.acquire()
        try:
            return await self._run_locked()
        finally:
            self.lock.release()

    async def _run_locked(self) -> int:
        endpoints = await self._start_endpoints()  # first: a busy port fails early
        try:
            settings = self.settings
            store = AsyncStore(
                Store.open(settings.database_path, settings.phone_region, settings.kept_for)
            )
        except BaseException:
            await endpoints.stop()
            raise
        interrupted_sends = await recover_interrupted_work(store)
        parts = build_parts(self.settings, store, self.health, self.metrics, self.hints)
        await parts.chats.load_migrations()
        self._install_signal_handlers()
        self._log_start()
        tasks = [
            asyncio.create_task(parts.poller.run(), name="poller"),
            asyncio.create_task(self._watch(store), name="watch"),
        ]
        if parts.retention is not None:  # at start, then daily, beside polling
            tasks.append(asyncio.create_task(parts.retention.run(), name="retention"))

        telegram = asyncio.create_task(
            self._run_telegram(parts, interrupted_sends), name="telegram"
        )
        try:
            await self.stopping.wait()
        finally:
            log.info("stopping")
            parts.relay.stop.set()
            for task in tasks:
                task.cancel()
            parts.alerts.cancel_pending()
            await self._step(endpoints.stop())
            await self._finish(telegram, RELAY_GRACE)
            await self._finish(tasks[0], STEP_TIMEOUT)
            await self._stop_application(parts.application)
            await self._step(parts.inbox.aclose())
            if parts.replies is not None:
                await self._step(parts.replies.outbox.aclose())
            store.close()
            log.info("stopped")
        return self.exit_code

    def _log_start(self) -> None:
        settings = self.settings
        log.info(
            "sms-bridge %s: polling %s every %g s, relaying to %d chat(s)%s, database %s",
            __version__,
            settings.smsc_base_url,
            settings.smsc_poll_interval,
            len(settings.relay_targets),
            f" by {len(settings.routes)} route(s) of {settings.routes_file}"
            if settings.routes_file
            else "",
            settings.database_path,
        )

    async def _start_endpoints(self) -> Endpoints:
        endpoints = Endpoints(health=self._start_health_server())
        try:
            endpoints.push = await self._start_push_endpoint()
        except BaseException:
            await endpoints.stop()
            raise
        return endpoints

    async def _start_push_endpoint(self) -> PushEndpoint | None:
        endpoint = build_push_endpoint(self.settings, self.hints, self.metrics)
        if endpoint is None:
            return None
        await endpoint.start()
        log.info(
            "push endpoint on http://%s:%d/… (PUSH_PATH, kept out of the log): "
            "each call makes the bridge poll now, within SMSC's rate rule",
            self.settings.push_host,
            endpoint.port,
        )
        return endpoint

    def _start_health_server(self) -> HealthServer | None:
        port = self.settings.health_port
        if port is None:
            return None
        server = HealthServer(self.settings.health_host, port, self.metrics, self.health)
        server.start()
        log.info(
            "health endpoint on http://%s:%d/healthz and /metrics",
            self.settings.health_host,
            server.port,
        )
        return server

    async def _watch(self, store: AsyncStore) -> None:
        """Keep the queue gauges and the oldest waiting delivery up to date."""
        chats = [target.key for target in self.settings.relay_targets]
        while True:
            try:
                queues = await store.call(deliveries.queues, chats)
                self.health.oldest_pending = await store.call(deliveries.oldest_pending, chats)
                for queue in queues:
                    self.metrics.queue_depth.labels(chat=queue.chat).set(queue.pending)
                    self.metrics.failed_deliveries.labels(chat=queue.chat).set(queue.failed)
            except Exception as error:  # a watch failure must not end the bridge
                log.warning("could not refresh queue figures: %r", error)
            await asyncio.sleep(WATCH_EVERY)

    async def _run_telegram(self, parts: Parts, interrupted_sends: list[int]) -> None:
        """Connect, then relay; chat commands start beside the relay, not before it."""
        status = self.health.status
        try:
            await connect(parts.application)
        except InvalidToken:
            log.critical("Telegram rejected TELEGRAM_BOT_TOKEN; fix it and start again")
            self.exit_code = 1
            self.stopping.set()
            return
        await parts.application.start()
        status.telegram_connected.set()
        log.info("connected to Telegram as @%s", parts.application.bot.username)
        await parts.chats.load_titles()
        helpers = [asyncio.create_task(serve_commands(parts.application), name="commands")]
        if parts.reminders is not None:
            helpers.append(asyncio.create_task(parts.reminders.run(), name="reminders"))
        if parts.tracking is not None:
            tracking = parts.tracking.run(show_first=interrupted_sends)
            helpers.append(asyncio.create_task(tracking, name="sms-tracking"))
        try:
            await parts.relay.run()
        finally:
            for helper in helpers:
                helper.cancel()

    def _install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.stopping.set)

    @staticmethod
    async def _finish(task: asyncio.Task[None], grace: float) -> None:
        """Wait for a task to end by itself, then cancel it."""
        done, _ = await asyncio.wait({task}, timeout=grace)
        if not done:
            task.cancel()
            await asyncio.wait({task}, timeout=STEP_TIMEOUT)
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.error("%s ended with an error", task.get_name(), exc_info=task.exception())

    @staticmethod
    async def _step(step: Awaitable[Any]) -> None:
        try:
            await asyncio.wait_for(step, STEP_TIMEOUT)
        except Exception as error:
            log.warning("shutdown step failed: %r", error)

    async def _stop_application(self, application: AnyApplication) -> None:
        if application.updater is not None and application.updater.running:
            await self._step(application.updater.stop())
        if application.running:
            await self._step(application.stop())
        await self._step(application.shutdown())


async def recover_interrupted_work(store: AsyncStore) -> list[int]:
    """What the last run left mid-way: deliveries re-queued, SMS sends to be checked.

    A relayed message whose answer never came is sent again (a duplicate in a chat is
    recorded and visible); an SMS whose send.php answer never came is never sent again
    by the bridge: it becomes `unknown` and status.php settles it. Returns those SMS,
    whose previews still say "sending" until the tracking shows them again.
    """
    recovered = await store.call(deliveries.recover_interrupted)
    if recovered:
        log.warning(
            "%d deliveries were interrupted mid-send by the last shutdown; "
            "re-sending them (each may show twice)",
            recovered,
        )
    check_at = datetime.now(UTC) + timedelta(seconds=UNKNOWN_CHECK_AFTER)
    unknown = await store.call(outgoing.recover_interrupted, check_at)
    if unknown:
        log.warning(
            "SMS %s were being sent when the last run ended: they may have gone out; "
            "asking SMSC's status, never sending them again",
            ",".join(map(str, unknown)),
        )
    return unknown


async def run_bridge(settings: Settings) -> int:
    """Run until SIGTERM/SIGINT; the process exit code."""
    return await Bridge(settings).run()
