"""The bridge as one asyncio process: poller, relay and chat commands, wired in one place.

Start-up order matters. The store comes first (and deliveries interrupted by a crash are
re-queued as uncertain); the poller starts at once, so SMS keep being stored while
Telegram is unreachable; the Telegram side (getMe, commands, relay) starts when the Bot
API answers, retrying with backoff until it does. A rejected token is fatal: no retry
will fix it.

Shutdown (SIGTERM/SIGINT) stops taking new work, lets each chat finish the message in
flight, and closes everything within a few seconds. Anything not yet marked sent stays
queued for the next start.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any

from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_never,
    wait_exponential_jitter,
)

from bot import __version__
from bot.alerts import Alerts
from bot.commands import BridgeContext, bot_commands, register
from bot.config import Settings
from bot.database import StoreThread
from bot.health import HealthRules, HealthServer, health_problems
from bot.lock import InstanceLock
from bot.metrics import Metrics
from bot.poller import Poller
from bot.relay import Relay
from bot.smsc import SmscClient
from bot.status import BridgeStatus
from state import Store

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]

WATCH_EVERY = 5.0  # seconds between refreshes of queue gauges and health facts
RELAY_GRACE = 5.0  # seconds a chat may take to finish its message in flight at shutdown
STEP_TIMEOUT = 3.0  # each further shutdown step


def build_application(settings: Settings) -> AnyApplication:
    return (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        # Throttles to Telegram's overall and per-group limits. max_retries=0: a 429 is
        # raised to the relay, which waits it out per chat and keeps the SMS queued.
        .rate_limiter(AIORateLimiter(max_retries=0))
        .build()
    )


class Bridge:
    """Owns every part of the running bridge."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.status = BridgeStatus()
        self.lock = InstanceLock(settings.database_path)
        self.stopping = asyncio.Event()
        self.exit_code = 0
        self.metrics = Metrics()
        self.oldest_pending: datetime | None = None
        self.health_rules = HealthRules(settings.smsc_poll_interval, settings.alert_after)

    async def run(self) -> int:
        self.lock.acquire()
        try:
            return await self._run_locked()
        finally:
            self.lock.release()

    async def _run_locked(self) -> int:
        settings = self.settings
        health = self._start_health_server()  # first: a busy port fails before anything opens
        try:
            db = StoreThread(Store.open(settings.database_path))
        except BaseException:
            if health is not None:
                health.stop()
            raise
        recovered = await db.call(db.store.recover_interrupted)
        if recovered:
            log.warning(
                "%d deliveries were interrupted mid-send by the last shutdown; "
                "re-sending them (each may show twice)",
                recovered,
            )
        application = build_application(settings)
        targets = settings.telegram_chat_ids
        relay = Relay(
            db=db,
            bot=application.bot,
            targets=targets,
            zone=settings.display_zone,
            metrics=self.metrics,
            digest_threshold=settings.relay_digest_threshold,
        )
        register(
            application,
            BridgeContext(
                db=db,
                targets=targets,
                allowed_user_ids=set(settings.telegram_allowed_user_ids),
                zone=settings.display_zone,
                status=self.status,
                relay=relay,
                secrets=settings.secrets,
            ),
        )
        alerts = Alerts(
            self.status,
            settings.alert_after,
            lambda text: self._notify(relay, application, text),
        )
        client = SmscClient(settings.smsc_base_url, settings.smsc_auth(), settings.smsc_zone)
        poller = Poller(
            db=db,
            inbox=client,
            chats=[target.key for target in targets],
            interval=settings.smsc_poll_interval,
            backfill_hours=settings.smsc_backfill_hours,
            relay_backfill=settings.smsc_relay_backfill,
            status=self.status,
            alerts=alerts,
            metrics=self.metrics,
            on_new_sms=relay.wake,
        )
        self._install_signal_handlers()
        log.info(
            "sms-bridge %s: polling %s every %g s, relaying to %d chat(s), database %s",
            __version__,
            settings.smsc_base_url,
            settings.smsc_poll_interval,
            len(targets),
            settings.database_path,
        )
        poll_task = asyncio.create_task(poller.run(), name="poller")
        telegram_task = asyncio.create_task(self._run_telegram(application, relay), name="telegram")
        watch_task = asyncio.create_task(self._watch(db), name="watch")
        try:
            await self.stopping.wait()
        finally:
            log.info("stopping")
            relay.stop.set()
            poll_task.cancel()
            watch_task.cancel()
            alerts.cancel_pending()
            if health is not None:
                health.stop()
            await self._finish(telegram_task, RELAY_GRACE)
            await self._finish(poll_task, STEP_TIMEOUT)
            await self._stop_application(application)
            await self._step(client.aclose())
            db.close()
            log.info("stopped")
        return self.exit_code

    def health_problems(self) -> list[str]:
        return health_problems(
            self.status, self.health_rules, self.oldest_pending, datetime.now(UTC)
        )

    def _start_health_server(self) -> HealthServer | None:
        port = self.settings.health_port
        if port is None:
            return None
        server = HealthServer(self.settings.health_host, port, self.metrics, self.health_problems)
        server.start()
        log.info(
            "health endpoint on http://%s:%d/healthz and /metrics",
            self.settings.health_host,
            server.port,
        )
        return server

    async def _watch(self, db: StoreThread) -> None:
        """Keep the queue gauges and the oldest waiting delivery up to date."""
        chats = [target.key for target in self.settings.telegram_chat_ids]
        while True:
            try:
                queues = await db.call(db.store.queues, chats)
                self.oldest_pending = await db.call(db.store.oldest_pending, chats)
                for queue in queues:
                    self.metrics.queue_depth.labels(chat=queue.chat).set(queue.pending)
                    self.metrics.failed_deliveries.labels(chat=queue.chat).set(queue.failed)
            except Exception as error:  # a watch failure must not end the bridge
                log.warning("could not refresh queue figures: %r", error)
            await asyncio.sleep(WATCH_EVERY)

    async def _run_telegram(self, application: AnyApplication, relay: Relay) -> None:
        """Connect, then relay; chat commands start beside the relay, not before it."""
        try:
            await self._connect(application)
        except InvalidToken:
            log.critical("Telegram rejected TELEGRAM_BOT_TOKEN; fix it and start again")
            self.exit_code = 1
            self.stopping.set()
            return
        await application.start()
        self.status.telegram_connected.set()
        self.status.telegram_error = None
        log.info("connected to Telegram as @%s", application.bot.username)
        commands = asyncio.create_task(self._serve_commands(application), name="commands")
        try:
            await relay.run()
        finally:
            commands.cancel()

    async def _connect(self, application: AnyApplication) -> None:
        """getMe until the Bot API answers; only its answer can reject the token."""

        def report(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            self.status.telegram_error = str(error)
            log.warning(
                "Telegram not reachable (%s); retrying in %.0f s", error, state.upcoming_sleep
            )

        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(NetworkError),
            wait=wait_exponential_jitter(multiplier=1, max=60),
            stop=stop_never,
            before_sleep=report,
            reraise=True,
        ):
            with attempt:
                await application.initialize()

    async def _serve_commands(self, application: AnyApplication) -> None:
        """Fetch chat commands (long polling), retrying until it works.

        Separate from relaying on purpose: a Bot API that refuses deleteWebhook or
        getUpdates (a proxy, a partial test server) costs the commands, never the SMS.
        """

        def report(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            log.warning(
                "cannot fetch chat commands (%r); retrying in %.0f s", error, state.upcoming_sleep
            )

        assert application.updater is not None
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(Exception),
            wait=wait_exponential_jitter(multiplier=2, max=300),
            stop=stop_never,
            before_sleep=report,
        ):
            with attempt:
                await application.updater.start_polling(
                    allowed_updates=[Update.MESSAGE], error_callback=self._polling_error
                )
        try:  # the command menu is a nicety; a server without setMyCommands is fine
            await application.bot.set_my_commands(bot_commands())
        except Exception as error:
            log.warning("could not set the command menu: %r", error)
        log.info("answering chat commands")

    @staticmethod
    def _polling_error(error: TelegramError) -> None:
        log.warning("fetching chat commands from Telegram failed: %s", error)

    async def _notify(self, relay: Relay, application: AnyApplication, text: str) -> None:
        """Tell every chat; an alert raised before Telegram connected waits for it."""
        if not self.status.telegram_ready:
            log.warning("Telegram is not connected yet; the alert goes out once it is")
            await self.status.telegram_connected.wait()
        await relay.notify(application.bot, text)

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


async def run_bridge(settings: Settings) -> int:
    """Run until SIGTERM/SIGINT; the process exit code."""
    return await Bridge(settings).run()
