"""Whose history an asker sees: everything without routes; with routes, what was routed there."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import Chat, Message, Update, User

from bot.app.settings import Settings
from bot.app.wiring import build_parts
from bot.chat.commands.stats import gather
from bot.chat.context import BOT_DATA_KEY, NOBODY, BridgeContext
from bot.chat.windows import parse_window
from bot.core.bridge_state import BridgeStatus
from bot.core.database import AsyncStore
from bot.core.health import HealthMonitor, HealthRules
from bot.core.metrics import Metrics
from state import IncomingSms, Placement, Store, deliveries, messages, outgoing
from state.migrations import MIGRATIONS, _v12_outgoing_under_the_configured_chat
from state.oncall import Person
from state.outgoing import Draft
from state.times import to_db
from tests.fakes.telegram import TOKEN, FakeTelegram, SentMessage

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


GROUP, OTHER, MOVED, ANNA = -1001, -1002, -100999, 1001


async def test_a_group_that_became_a_supergroup_sees_all_its_sms_before_and_after_the_move(
    tmp_path: Path, telegram: FakeTelegram
) -> None:
    """Received SMS and those sent from the group, on either side of the move, are the
    group's in /last, /history, /search, /from, /export and /stats; another group's are not."""
    routes = tmp_path / "routes.toml"
    routes.write_text(f'[[route]]\nto = ["79030000000"]\nchats = ["{OTHER}"]\n')
    database = tmp_path / "bridge.db"
    store = Store.open(database)
    thread = AsyncStore(store)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        telegram_bot_token=TOKEN,
        telegram_base_url=telegram.base_url,
        telegram_chat_ids=f"{GROUP},{OTHER}",
        routes_file=str(routes),
        sms_reply_user_ids=str(ANNA),
        smsc_login="acme",
        smsc_password="pw",
        smsc_base_url="http://127.0.0.1:9",  # nothing there: a price unknown, nothing sent
    )
    parts = build_parts(
        settings, thread, HealthMonitor(BridgeStatus(), HealthRules(30, 300)), Metrics()
    )
    application = parts.application
    await application.initialize()

    async def says(chat_id: int, text: str) -> SentMessage:
        before = len(telegram.messages(chat_id))
        telegram.user_sends(chat_id, text, user_id=ANNA, name="Anna")
        await application.process_update(Update.de_json(telegram.updates[-1], application.bot))
        return telegram.messages(chat_id)[before]

    def received(smsc_id: int, text: str, chat: int) -> None:
        sms = IncomingSms(smsc_id, "79261112233", "79031234567", text, datetime.now(UTC))
        messages.save_incoming(
            store, [sms], lambda _sms: Placement(((str(chat), False),), (str(chat),))
        )

    async def sent_from(chat_id: int, text: str) -> None:
        preview = await says(chat_id, f"/sms +79261112233 {text}")
        assert preview.plain.startswith("📤 SMS to"), preview.plain
        store.conn.execute(  # as if Send went through: tracking's business, not this test's
            "UPDATE outgoing SET state = 'delivered', sent_at = ? WHERE text = ?",
            (to_db(datetime.now(UTC)), text),
        )

    try:
        received(1, "boiler before", GROUP)
        await sent_from(GROUP, "boiler reply before")
        gateway = parts.chats.configured(GROUP)
        assert gateway is not None
        gateway.chat_id = MOVED  # the group became a supergroup, and the bridge followed
        deliveries.record_chat_migration(store, str(GROUP), MOVED)
        received(2, "boiler after", GROUP)
        await sent_from(MOVED, "boiler reply after")
        received(3, "boiler other", OTHER)
        await sent_from(OTHER, "boiler reply other")
        ours = ["boiler before", "boiler reply before", "boiler after", "boiler reply after"]
        for asked in ("/last 10", "/history 1h", "/search boiler", "/from +79261112233"):
            answer = (await says(MOVED, asked)).plain
            assert all(text in answer for text in ours), (asked, answer)
            assert "other" not in answer, asked
        export = await says(MOVED, "/export 1h")
        assert export.document is not None
        rows = export.document.decode("utf-8-sig")
        assert all(text in rows for text in ours) and "other" not in rows
        update = Update.de_json(telegram.updates[-1], application.bot)
        window = parse_window("1h", datetime.now(UTC), settings.display_zone)
        figures = gather(
            database, window, parts.application.bot_data[BOT_DATA_KEY].visible_to(update)
        )
        assert figures.total == 2  # received SMS: the chart counts no sent ones
    finally:
        await application.shutdown()
        thread.close()


def test_an_upgrade_files_what_a_moved_group_sent_under_its_configured_id(tmp_path: Path) -> None:
    """Earlier releases stored an SMS sent from a moved group under the new chat ID."""
    path = tmp_path / "bridge.db"
    store = Store.open(path)
    deliveries.record_chat_migration(store, str(GROUP), MOVED)
    draft = Draft("79261112233", "on it", None, 1, str(MOVED), None, None, Person(ANNA, "Anna"))
    now = datetime.now(UTC)
    moved = outgoing.create_preview(store, draft, now, now)
    private = outgoing.create_preview(store, replace(draft, chat=str(ANNA)), now, now)
    step = MIGRATIONS.index(_v12_outgoing_under_the_configured_chat)
    store.conn.execute(f"PRAGMA user_version = {step}")  # before this release's step
    store.close()
    for _run in range(2):  # and again, as after a crash before the version was written
        store = Store.open(path)
        found = [outgoing.get(store, i) for i in (moved.id, private.id)]
        assert [o.chat if o else None for o in found] == [str(GROUP), str(ANNA)]
        store.conn.execute(f"PRAGMA user_version = {step}")
        store.close()
