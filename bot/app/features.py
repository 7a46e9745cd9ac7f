"""The optional features, one line each; what the settings turn on is built from here.

Each line is a feature package's `KIND` (`bot.chat.feature`). The chat offers every
kind's commands and buttons, on or off (so the menu and /help do not change with the
settings); `build_features` builds the running features the settings turn on, and the
lifecycle runs whatever they give. Adding a feature: its package under `bot/features/`,
one line here, one test file.

The push endpoint is not in this list: like the health endpoint it binds its port before
the database opens (a busy port fails before anything is touched), so the lifecycle
starts it with the endpoints, before any part is built.
"""

from __future__ import annotations

from typing import Any

from bot.app.settings import Settings
from bot.chat.button_kinds import ButtonKind
from bot.chat.commands.registry import ChatCommand
from bot.chat.dispatcher import chat_commands
from bot.chat.feature import CoreParts, Feature, FeatureKind, ReplyHandler
from bot.features import heartbeat, oncall, reminders, replies, retention, silences

FEATURES: list[FeatureKind[Settings]] = [
    silences.KIND,  # first: its hook mutes a message before the take buttons see it
    oncall.KIND,
    reminders.KIND,
    oncall.CALLS,  # after the reminders: calls when nobody takes an SMS (the team file)
    replies.KIND,
    retention.KIND,
    heartbeat.KIND,
]


def build_features(settings: Settings, core: CoreParts) -> list[Feature]:
    """The running features the settings turn on, in the list's order."""
    built = (kind.build(settings, core) for kind in FEATURES)
    return [feature for feature in built if feature is not None]


def commands() -> list[ChatCommand]:
    """Every chat command, the built-in ones and every feature's, in the menu's order."""
    return chat_commands([command for kind in FEATURES for command in kind.commands])


def button_kinds() -> list[ButtonKind[Any]]:
    return [button for kind in FEATURES for button in kind.buttons]


def reply_handlers() -> list[ReplyHandler]:
    return [kind.on_reply for kind in FEATURES if kind.on_reply is not None]
