"""The optional features: the settings decide which run; each says what it adds.

Wiring builds the features the settings turn on (`bot.app.features`), and the lifecycle
runs whatever tasks they give: these tests read that list, not the code that runs it.
The chat offers every feature's commands and buttons whatever the settings say, and one
that is off answers so.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from telegram import Update

from bot.app.features import FEATURES, commands
from bot.app.settings import Settings
from bot.app.wiring import Parts, build_parts
from bot.chat.dispatcher import chat_commands
from bot.core.bridge_state import BridgeStatus
from bot.core.database import AsyncStore
from bot.core.health import HealthMonitor, HealthRules
from bot.core.metrics import Metrics
from bot.features.replies.feature import RepliesFeature
from state import Store
from tests.fakes.telegram import TOKEN, FakeTelegram, SentMessage

GROUP, ANNA = -1001, 1001


def settings(**values: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        telegram_bot_token=TOKEN,
        telegram_chat_ids=str(GROUP),
        smsc_login="acme",
        smsc_password="pw",
        **values,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[AsyncStore]:
    thread = AsyncStore(Store.open(tmp_path / "bridge.db"))
    yield thread
    thread.close()


def build(store: AsyncStore, **values: str) -> Parts:
    health = HealthMonitor(BridgeStatus(), HealthRules(30, 300))
    return build_parts(settings(**values), store, health, Metrics())


@pytest.mark.parametrize(
    ("values", "running"),
    [
        ({}, ["silences", "oncall"]),  # take buttons (and silences) are on by default
        ({"oncall_buttons": "false"}, []),
        ({"escalate_after": "600"}, ["silences", "oncall", "reminders"]),
        ({"sms_reply_user_ids": str(ANNA)}, ["silences", "oncall", "replies"]),
        ({"retention_days": "30", "oncall_buttons": "false"}, ["retention"]),
        (
            {"heartbeat_url": "https://hc-ping.com/5f0c1d3e", "oncall_buttons": "false"},
            ["heartbeat"],
        ),
        (
            {"escalate_after": "600", "sms_reply_user_ids": str(ANNA), "retention_days": "30"},
            ["silences", "oncall", "reminders", "replies", "retention"],
        ),
    ],
)
def test_the_settings_decide_which_features_run(
    store: AsyncStore, values: dict[str, str], running: list[str]
) -> None:
    assert [feature.name for feature in build(store, **values).features] == running


def test_each_feature_gives_its_tasks_to_start_with_the_poller_or_with_telegram(
    store: AsyncStore,
) -> None:
    every = {
        "escalate_after": "600",
        "sms_reply_user_ids": str(ANNA),
        "retention_days": "30",
        "heartbeat_url": "https://hc-ping.com/5f0c1d3e",
    }
    tasks = {
        task.name: task.with_telegram
        for feature in build(store, **every).features
        for task in feature.tasks()
    }
    # The purge writes into no chat: beside polling. Reminders and the follow-up of sent
    # SMS write into chats: once Telegram answers. The heartbeat follows polling alone.
    assert tasks == {
        "silences": True,
        "reminders": True,
        "sms-tracking": True,
        "retention": False,
        "heartbeat": False,
    }


def test_every_feature_is_named_once_and_the_menu_does_not_depend_on_the_settings(
    store: AsyncStore,
) -> None:
    names = [kind.name for kind in FEATURES]
    assert len(names) == len(set(names))
    off, on = build(store, oncall_buttons="false"), build(store, sms_reply_user_ids=str(ANNA))
    assert [c.name for c in off.commands] == [c.name for c in on.commands]
    assert [c.name for c in commands()] == [c.name for c in on.commands]
    built_in = {c.name for c in chat_commands()}
    offered = {c.name for kind in FEATURES for c in kind.commands}
    assert offered == {"mute", "mutes", "unmute", "open", "oncall", "sms"}
    assert not built_in & offered
    assert chat_commands()[-1].name == "status"  # features' commands come before /status


async def test_the_replies_feature_adds_its_line_to_status_and_closes_its_client(
    store: AsyncStore,
) -> None:
    [_silences, _oncall, replies] = build(store, sms_reply_user_ids=str(ANNA)).features
    assert isinstance(replies, RepliesFeature)
    assert await replies.status_lines() == ["SMS parts sent today: 0 of 50"]
    await replies.stop()
    assert replies.replies.outbox._http.is_closed


@dataclass
class Rig:
    parts: Parts
    telegram: FakeTelegram

    async def says(self, text: str) -> SentMessage:
        before = len(self.telegram.messages(GROUP))
        self.telegram.user_sends(GROUP, text, user_id=ANNA, name="Anna")
        update = Update.de_json(self.telegram.updates[-1], self.parts.application.bot)
        await self.parts.application.process_update(update)
        [answer] = self.telegram.messages(GROUP)[before:]
        return answer


@pytest.fixture
async def rig(store: AsyncStore, telegram: FakeTelegram) -> AsyncIterator[Rig]:
    """A bridge with every feature off."""
    values = {"telegram_base_url": telegram.base_url, "oncall_buttons": "false"}
    parts = build(store, **values)
    await parts.application.initialize()
    yield Rig(parts, telegram)
    await parts.application.shutdown()


async def test_a_command_or_a_button_of_a_feature_that_is_off_says_so(rig: Rig) -> None:
    assert rig.parts.features == []
    answer = await rig.says("/sms +79261234567 hello")
    assert answer.plain == ("⛔ Replies by SMS are off here; the admin can turn them on.")
    muting = await rig.says("/mute 2h door 7")
    assert muting.plain == "⛔ Silences are off: they come with the take buttons (ONCALL_BUTTONS)."
    off = [
        ("sms:send:1", "Replies by SMS are off here; the admin can turn them on."),
        ("t:7", "This button no longer works."),
        ("um:1", "This button no longer works."),
    ]
    for data, told in off:
        query = rig.telegram.user_presses(answer, user_id=ANNA, name="Anna", data=data)
        update = Update.de_json(rig.telegram.updates[-1], rig.parts.application.bot)
        await rig.parts.application.process_update(update)
        pressed = rig.telegram.answer_to(query)
        assert pressed is not None and (pressed.text, pressed.alert) == (told, True)
