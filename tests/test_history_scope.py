"""Whose history an asker sees: everything without routes; with routes, what was routed there."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import Chat, Message, Update, User

from bot.commands.context import BOT_DATA_KEY, NOBODY, BridgeContext
from bot.config import Settings
from bot.database import AsyncStore
from bot.health import HealthMonitor, HealthRules
from bot.metrics import Metrics
from bot.status import BridgeStatus
from bot.wiring import build_parts
from state import Store

OPERATOR, STRANGER = 555, 777


@pytest.fixture
def store(tmp_path: Path) -> Iterator[AsyncStore]:
    thread = AsyncStore(Store.open(tmp_path / "bridge.db"))
    yield thread
    thread.close()


def bridge(store: AsyncStore, **values: str) -> BridgeContext:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        telegram_bot_token="1:abcdefgh",
        telegram_chat_ids="-1001,-1002:5",
        telegram_allowed_user_ids=str(OPERATOR),
        smsc_login="acme",
        smsc_password="pw",
        **values,
    )
    health = HealthMonitor(BridgeStatus(), HealthRules(30, 300))
    parts = build_parts(settings, store, health, Metrics())
    context = parts.application.bot_data[BOT_DATA_KEY]
    assert isinstance(context, BridgeContext)
    return context


def asked(chat_id: int, user_id: int = STRANGER) -> Update:
    kind = "private" if chat_id > 0 else "supergroup"
    user = User(user_id, "U", is_bot=False)
    return Update(1, message=Message(1, datetime.now(UTC), Chat(chat_id, kind), from_user=user))


def test_without_routes_every_chat_sees_every_sms(store: AsyncStore) -> None:
    plain = bridge(store)
    assert plain.visible_to(asked(-1001)) is None
    assert plain.visible_to(asked(-1002)) is None
    assert plain.visible_to(asked(OPERATOR, OPERATOR)) is None


def test_with_routes_a_chat_sees_what_was_routed_to_it_and_an_operator_everything(
    store: AsyncStore, tmp_path: Path
) -> None:
    routes = tmp_path / "routes.toml"
    routes.write_text('[[route]]\nto = ["79031234567"]\nchats = ["-1009", "4040"]\n')
    routed = bridge(store, routes_file=str(routes))
    assert routed.visible_to(asked(-1001)) == "-1001"
    assert routed.visible_to(asked(-1002)) == "-1002"  # a topic's chat: the chat's history
    assert routed.visible_to(asked(-1009)) == "-1009"  # named only in the routes
    assert routed.visible_to(asked(4040)) == "4040"  # a private chat that is a target
    assert routed.visible_to(asked(OPERATOR, OPERATOR)) is None  # everything, dropped too
    assert routed.visible_to(asked(STRANGER)) == NOBODY
    gateway = routed.chats.configured(-1001)
    assert gateway is not None
    gateway.chat_id = -100999  # the group became a supergroup
    assert routed.visible_to(asked(-100999)) == "-1001"
