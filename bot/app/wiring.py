"""Building the bridge's parts from the settings: which part talks to which. No I/O.

Everything here is construction: the Telegram application, a gateway per chat, a relay
per target, the poller, the alerts and the command context, each handed the parts it
uses; and the push endpoint, whose calls set the poller's hint. Starting and stopping
them, in order, is `bot.app.lifecycle`'s job; keeping the two apart lets a test build the whole
bridge and look at how it is wired without running it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.app.settings import Settings
from bot.chat.dispatcher import BridgeContext, register
from bot.core.alerts import Alerts, Notify
from bot.core.bridge_state import BridgeStatus
from bot.core.database import AsyncStore
from bot.core.health import HealthMonitor
from bot.core.logs import Redactor
from bot.core.metrics import Metrics
from bot.features.oncall.delivery import TakeButtons
from bot.features.oncall.edits import EditQueue
from bot.features.oncall.team import OnCall
from bot.features.push.endpoint import PushEndpoint
from bot.features.reminders.queue import ReminderQueue
from bot.features.reminders.reminders import Reminders
from bot.features.replies.flow import Replies
from bot.features.replies.tracking import Tracking
from bot.features.retention.purging import Retention
from bot.intake.poller import Poller
from bot.relay.chats import Chats
from bot.relay.hooks import DeliveryHook
from bot.relay.relay import Relay, RelayOptions
from bot.smsc import SmscClient
from bot.smsc.currency import account_currency
from bot.smsc.send_api import SmscOutbox

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
    oncall: OnCall | None  # None with ONCALL_BUTTONS=false
    reminders: Reminders | None  # None with ESCALATE_AFTER=0
    replies: Replies | None  # None with SMS_REPLY_USER_IDS empty
    tracking: Tracking | None
    retention: Retention | None  # None with RETENTION_DAYS=0


def build_application(settings: Settings) -> AnyApplication:
    return (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        # Throttles to Telegram's overall and per-group limits. max_retries=0: a 429 is
        # raised to the chat's gateway, which waits it out for that chat alone.
        .rate_limiter(AIORateLimiter(max_retries=0))
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
) -> Parts:
    """Every part of the bridge, wired; nothing is started or contacted yet.

    `hints` is the event the push endpoint sets; the poller polls sooner when it is set.
    """
    status = health.status
    application = build_application(settings)
    chats = Chats(settings.relay_targets, application.bot, store)
    notify = notify_once_connected(status, chats)
    alerts = Alerts(status, settings.alert_after, notify, settings.display_zone)
    remind_after = settings.escalate_after or None
    oncall = build_oncall(settings, store, chats, metrics)
    relay = build_relay(settings, store, chats, metrics, alerts, oncall)
    replies = build_replies(settings, store, chats)
    register(application, build_context(settings, store, chats, health, metrics, oncall, replies))
    reminders = (
        Reminders(store, chats, settings.display_zone, remind_after, hide_codes=settings.hide_codes)
        if remind_after
        else None
    )
    inbox = SmscClient(settings.smsc_base_url, settings.smsc_auth(), settings.smsc_zone)
    poller = build_poller(settings, store, inbox, health, alerts, metrics, relay, hints)
    tracking = Tracking(replies) if replies else None
    retention = Retention(store, settings.retention_days) if settings.retention_days else None
    return Parts(
        application,
        chats,
        relay,
        inbox,
        alerts,
        poller,
        oncall,
        reminders,
        replies,
        tracking,
        retention,
    )


def build_relay(
    settings: Settings,
    store: AsyncStore,
    chats: Chats,
    metrics: Metrics,
    alerts: Alerts,
    oncall: OnCall | None,
) -> Relay:
    """The relay: each SMS into its chats, with take buttons and reminders as set."""
    options = RelayOptions(
        zone=settings.display_zone,
        digest_threshold=settings.relay_digest_threshold,
        hide_codes=settings.hide_codes,
        hooks=delivery_hooks(settings, store, oncall),
    )
    return Relay(store, chats, options, metrics=metrics, events=alerts)


def delivery_hooks(
    settings: Settings, store: AsyncStore, oncall: OnCall | None
) -> tuple[DeliveryHook, ...]:
    """What the features turned on add to each relayed message (see `bot.relay.hooks`)."""
    hooks: list[DeliveryHook] = []
    if oncall is not None:  # ONCALL_BUTTONS
        hooks.append(TakeButtons(store, settings.display_zone, oncall.edits))
    if settings.escalate_after:  # ESCALATE_AFTER (needs ONCALL_BUTTONS)
        hooks.append(ReminderQueue(settings.escalate_after))
    return tuple(hooks)


def build_context(
    settings: Settings,
    store: AsyncStore,
    chats: Chats,
    health: HealthMonitor,
    metrics: Metrics,
    oncall: OnCall | None,
    replies: Replies | None,
) -> BridgeContext:
    """What chat commands and button presses read: the settings they need and the parts."""
    return BridgeContext(
        store=store,
        chats=chats,
        allowed_user_ids=set(settings.telegram_allowed_user_ids),
        zone=settings.display_zone,
        health=health,
        redactor=Redactor(settings.secrets),
        metrics=metrics,
        oncall=oncall,
        escalate_after=settings.escalate_after,
        replies=replies,
        routed=settings.routes_file is not None,
        hide_codes=settings.hide_codes,
        retention_days=settings.retention_days,
        phone_region=settings.phone_region,
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


def build_oncall(
    settings: Settings, store: AsyncStore, chats: Chats, metrics: Metrics
) -> OnCall | None:
    """The take buttons' side, when ONCALL_BUTTONS is on."""
    if not settings.oncall_buttons:
        return None
    edits = EditQueue(store, chats, settings.display_zone, metrics)
    return OnCall(edits, set(settings.oncall_user_ids))


def build_replies(settings: Settings, store: AsyncStore, chats: Chats) -> Replies | None:
    """Replying by SMS, when SMS_REPLY_USER_IDS names who may."""
    if not settings.sms_reply_user_ids:
        return None
    outbox = SmscOutbox(settings.smsc_base_url, settings.smsc_auth())
    return Replies(
        store=store,
        outbox=outbox,
        chats=chats,
        zone=settings.display_zone,
        user_ids=set(settings.sms_reply_user_ids),
        sender_name=settings.sms_sender,
        daily_limit=settings.sms_daily_limit,
        currency=account_currency(settings.smsc_base_url),
    )
