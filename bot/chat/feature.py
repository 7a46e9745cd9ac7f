"""What an optional feature is: the one shape every package under `bot/features/` takes.

A feature declares itself once, as a `FeatureKind` in its package's `__init__`: its name,
its chat commands, its button kinds, the replies to the bot's messages it may take, and
`build`, which reads the settings it needs and the core parts and returns the running
`Feature`, or None when the settings leave it off. Commands and button kinds belong to
the kind, not to the running feature, so the command menu, /help and the README list one
set of commands whatever the settings say, and a command or a button of a feature that is
off answers so instead of going quiet; their handlers find the running feature with
`BridgeContext.feature`.

The running feature gives the lifecycle its background tasks and how it stops, the relay
its delivery hooks, and /status its lines. `bot.app.features` lists the kinds: the wiring
builds what the settings turn on, the lifecycle runs whatever they give, and neither names
a feature. Adding a feature is one package, one line in that list, one test file.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.chat.button_kinds import ButtonKind
from bot.chat.commands.registry import ChatCommand
from bot.core.bridge_state import BridgeStatus
from bot.core.database import AsyncStore
from bot.core.metrics import Metrics
from bot.relay.chats import Chats
from bot.relay.hooks import DeliveryHook

# A reply to one of the bot's messages, offered to a feature: True when it took it (and
# answered), False when the reply is not for it (conversation, most likely).
ReplyHandler = Callable[[Update, ContextTypes.DEFAULT_TYPE, Message], Awaitable[bool]]


@dataclass(frozen=True)
class Task:
    """A feature's background work: runs until the bridge stops, which cancels it."""

    name: str
    run: Callable[[], Coroutine[Any, Any, None]]
    # False: starts with the poller, Telegram or not (a purge); True: once Telegram
    # answers, and ends with the relay (anything that writes into a chat).
    with_telegram: bool = False


class Feature(Protocol):
    """A running feature. A class that names this protocol as its base gets the
    defaults below, so a feature writes only what it adds."""

    name: str

    def tasks(self) -> Sequence[Task]:
        """Its background work, started and cancelled by the lifecycle."""
        return ()

    def delivery_hooks(self) -> Sequence[DeliveryHook]:
        """What it adds to each relayed message (`bot.relay.hooks`)."""
        return ()

    async def status_lines(self) -> list[str]:
        """Lines of HTML it adds to /status, after the chats."""
        return []

    async def stop(self) -> None:
        """Closes what it opened (a client, a socket) at shutdown, after its tasks end."""
        return


@dataclass(frozen=True)
class CoreParts:
    """What every feature may be built from, besides the settings it reads."""

    store: AsyncStore
    chats: Chats
    metrics: Metrics
    status: BridgeStatus  # the health facts: the last successful poll, failing since when
    interrupted_sends: Sequence[int] = ()  # outgoing SMS a crash left mid-send


S = TypeVar("S", contravariant=True)


@dataclass(frozen=True)
class FeatureKind(Generic[S]):
    """A feature as its package declares it; `S` is the settings it reads (a protocol,
    so a feature never imports the application's settings)."""

    name: str
    build: Callable[[S, CoreParts], Feature | None]  # None: the settings leave it off
    commands: Sequence[ChatCommand] = ()
    buttons: Sequence[ButtonKind[Any]] = ()
    on_reply: ReplyHandler | None = None
