"""Building the bridge from settings: every part is there and talks to the right ones."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from telegram.ext import CommandHandler

from bot.app.features import commands
from bot.app.settings import Settings
from bot.app.wiring import Parts, build_parts, build_push_endpoint
from bot.core.bridge_state import BridgeStatus
from bot.core.database import AsyncStore
from bot.core.health import HealthMonitor, HealthRules
from bot.core.metrics import Metrics
from state import Store
from tests.test_chat_gateway import through_the_limiter


@pytest.fixture
def store(tmp_path: Path) -> Iterator[AsyncStore]:
    thread = AsyncStore(Store.open(tmp_path / "bridge.db"))
    yield thread
    thread.close()


def settings(**values: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        telegram_bot_token="1:abcdefgh",
        telegram_chat_ids="-1001,-1002:5,-1002:6,4040",
        smsc_login="acme",
        smsc_password="pw",
        **values,
    )


def build(store: AsyncStore, **values: str) -> Parts:
    health = HealthMonitor(BridgeStatus(), HealthRules(30, 300))
    return build_parts(settings(**values), store, health, Metrics())


def test_each_target_has_a_relay_and_topics_of_one_chat_share_its_gateway(
    store: AsyncStore,
) -> None:
    parts = build(store)
    keys = [relay.key for relay in parts.relay.relays]
    assert keys == ["-1001", "-1002:5", "-1002:6", "4040"]
    gateways = {t.key: parts.chats.for_target(t) for t in parts.chats.targets}
    assert gateways["-1002:5"] is gateways["-1002:6"]
    assert len({id(g) for g in gateways.values()}) == 3


def test_every_registered_command_is_handled(store: AsyncStore) -> None:
    parts = build(store)
    handled = {
        name
        for handlers in parts.application.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for name in handler.commands
    }
    assert handled == {command.name for command in commands()}


def test_a_new_sms_wakes_every_relay(store: AsyncStore) -> None:
    parts = build(store)
    assert not any(relay.wake.is_set() for relay in parts.relay.relays)
    parts.poller._on_new_sms()
    assert all(relay.wake.is_set() for relay in parts.relay.relays)


def test_the_digest_threshold_reaches_every_relay(store: AsyncStore) -> None:
    parts = build(store, relay_digest_threshold="7")
    assert {relay.digest_threshold for relay in parts.relay.relays} == {7}


def test_chats_named_only_in_routes_get_a_relay_and_count_as_configured(
    store: AsyncStore, tmp_path: Path
) -> None:
    routes = tmp_path / "routes.toml"
    routes.write_text('[[route]]\ntext = "door"\nchats = ["-1009", "-1001", "-1002:7"]\n')
    parts = build(store, routes_file=str(routes))
    keys = [relay.key for relay in parts.relay.relays]
    assert keys == ["-1001", "-1002:5", "-1002:6", "4040", "-1009", "-1002:7"]
    assert parts.chats.configured(-1009) is not None
    assert parts.chats.configured(-1010) is None


def test_a_push_call_is_counted_and_wakes_the_poller(store: AsyncStore) -> None:
    hints, metrics = asyncio.Event(), Metrics()
    configured = settings(push_port="8443", push_path="/smsc/a-long-secret-path")
    health = HealthMonitor(BridgeStatus(), HealthRules(30, 300))
    parts = build_parts(configured, store, health, metrics, hints)
    endpoint = build_push_endpoint(configured, hints, metrics)
    assert endpoint is not None and parts.poller._hints is hints
    endpoint._on_hint()
    assert hints.is_set()
    assert metrics.registry.get_sample_value("sms_bridge_push_hints_total") == 1


def test_without_push_port_there_is_no_push_endpoint() -> None:
    assert build_push_endpoint(settings(), asyncio.Event(), Metrics()) is None


async def test_the_bot_keeps_the_group_minute_once_in_the_chats_pace(store: AsyncStore) -> None:
    limiter = build(store).application.bot.rate_limiter
    assert limiter is not None
    assert await through_the_limiter(limiter, -1001, 25) == 25
