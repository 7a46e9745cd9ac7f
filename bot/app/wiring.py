"""Building the bridge's parts from the settings: which part talks to which. No I/O.

Everything here is construction: the Telegram application, a gateway per chat, a relay
per target, the poller, the alerts, the features the settings turn on
(`bot.app.features`) and the command context with the registries the chat routes by,
each handed the parts it uses; and the push endpoint, whose calls set the poller's hint.
Starting and stopping them, in order, is `bot.app.lifecycle`'s job; keeping the two apart
lets a test build the whole bridge and look at how it is wired without running it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from telegram.ext import Application, ApplicationBuilder

from bot.app import features
from bot.app.settings import Settings
from bot.app.telegram_link import rate_limiter
from bot.chat.button_kinds import ButtonKinds
from bot.chat.commands.registry import ChatCommand
from bot.chat.context import BridgeContext
from bot.chat.dispatcher import register
from bot.chat.feature import CoreParts, Feature
from bot.core.alerts import Alerts, Notify
from bot.core.bridge_state import BridgeStatus
from bot.core.database import AsyncStore
from bot.core.health import HealthMonitor
from bot.core.logs import Redactor
from bot.core.metrics import Metrics
from bot.features.push.endpoint import PushEndpoint
from bot.intake.poller import Poller
from bot.relay.chats import Chats
from bot.relay.relay import Relay, RelayOptions
from bot.smsc import SmscClient

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


@dataclass
class Parts:
    """The running bridge's parts, wired to each other."""

    application: AnyApplication
    chats: Chats
    relay: Relay
    inbox: SmscClient
    alerts: Alerts
    poller: Poller
    features: list[Feature]  # the running ones: what the settings turn on
    commands: list[ChatCommand]  # every chat command, for the menu


def build_application(settings: Settings) -> AnyApplication:
    return (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        # Throttles to Telegram's overall and per-group limits. max_retries=0: a 429 is
        # raised to the chat's gateway, which waits it out for that chat alone.
        .rate_limiter(rate_limiter())
        # Updates are handled side by side: a send to SMSC or a long answer in one chat
        # must not keep a button press elsewhere waiting for its answer.
        .concurrent_updates(True)
        .build()
    )


def notify_once_connected(status: BridgeStatus, chats: Chats) -> Notify:
    """Tell the chats; an alert raised before Telegram connected waits for it."""

    async def notify(
        text: str, *, reply_to: dict[str, int] | None = None, skip: str | None = None
    ) -> dict[str, int]:
        if not status.telegram_ready:
            log.warning("Telegram is not connected yet; the alert goes out once it is")
            await status.telegram_connected.wait()
        return await chats.broadcast(text, reply_to=reply_to, skip=skip)

    return notify


def build_push_endpoint(
    settings: Settings, hints: asyncio.Event, metrics: Metrics
) -> PushEndpoint | None:
    """The push endpoint if PUSH_PORT is set: each call is counted and sets `hints`."""
    if settings.push_port is None or settings.push_path is None:
        return None

    def hint() -> None:
        metrics.push_hints.inc()
        hints.set()

    path = settings.push_path.get_secret_value()
    return PushEndpoint(settings.push_host, settings.push_port, path, hint)


def build_parts(
    settings: Settings,
    store: AsyncStore,
    health: HealthMonitor,
    metrics: Metrics,
    hints: asyncio.Event | None = None,
    interrupted_sends: Sequence[int] = (),
) -> Parts:
    """Every part of the bridge, wired; nothing is started or contacted yet.

    `hints` is the event the push endpoint sets; the poller polls sooner when it is set.
    `interrupted_sends` are the outgoing SMS the last run left mid-send.
    """
    status = health.status
    application = build_application(settings)
    chats = Chats(settings.relay_targets, application.bot, store)
    notify = notify_once_connected(status, chats)
    alerts = Alerts(status, settings.alert_after, notify, settings.display_zone)
    core = CoreParts(store, chats, metrics, status, interrupted_sends)
    running = features.build_features(settings, core)
    relay = build_relay(settings, store, chats, metrics, alerts, running)
    context = build_context(settings, store, chats, health, metrics, running)
    register(application, context)
    inbox = SmscClient(settings.smsc_base_url, settings.smsc_auth(), settings.smsc_zone)
    poller = build_poller(settings, store, inbox, health, alerts, metrics, relay, hints)
    return Parts(
        application=application,
        chats=chats,
        relay=relay,
        inbox=inbox,
        alerts=alerts,
        poller=poller,
        features=running,
        commands=list(context.commands),
    )


def build_relay(
    settings: Settings,
    store: AsyncStore,
    chats: Chats,
    metrics: Metrics,
    alerts: Alerts,
    running: Sequence[Feature],
) -> Relay:
    """The relay: each SMS into its chats, with what the running features add to each
    relayed message (their delivery hooks, in the features' order)."""
    options = RelayOptions(
        zone=settings.display_zone,
        digest_threshold=settings.relay_digest_threshold,
        hide_codes=settings.hide_codes,
        hooks=tuple(hook for feature in running for hook in feature.delivery_hooks()),
    )
    return Relay(store, chats, options, metrics=metrics, events=alerts)


def build_context(
    settings: Settings,
    store: AsyncStore,
    chats: Chats,
    health: HealthMonitor,
    metrics: Metrics,
    running: Sequence[Feature],
) -> BridgeContext:
    """What chat commands and button presses read: the settings they need, the parts,
    and the registries they are routed by."""
    return BridgeContext(
        store=store,
        chats=chats,
        allowed_user_ids=set(settings.telegram_allowed_user_ids),
        zone=settings.display_zone,
        health=health,
        redactor=Redactor(settings.secrets),
        metrics=metrics,
        routed=settings.routes_file is not None,
        hide_codes=settings.hide_codes,
        retention_days=settings.retention_days,
        phone_region=settings.phone_region,
        commands=features.commands(),
        buttons=ButtonKinds(features.button_kinds()),
        reply_handlers=features.reply_handlers(),
        features=running,
    )


def build_poller(
    settings: Settings,
    store: AsyncStore,
    inbox: SmscClient,
    health: HealthMonitor,
    alerts: Alerts,
    metrics: Metrics,
    relay: Relay,
    hints: asyncio.Event | None,
) -> Poller:
    """The poller: SMSC's inbox into the store, routed, waking the relay."""
    return Poller(
        store=store,
        inbox=inbox,
        router=settings.router(),
        interval=settings.smsc_poll_interval,
        backfill_hours=settings.smsc_backfill_hours,
        relay_backfill=settings.smsc_relay_backfill,
        status=health.status,
        alerts=alerts,
        metrics=metrics,
        on_new_sms=relay.wake,
        hints=hints,
    )
