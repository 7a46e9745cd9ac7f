"""The running silences feature: the relay's hook that mutes, and the task that ends them.

`Muting` is a delivery hook. For a message to a chat with a silence in force, it reads
the message's SMS; when each is covered by a silence (a digest only if all are), the
message leaves muted: without a sound, and marked `muted`, so that the hooks after it
add no take button and queue no reminder (`bot.relay.hooks`; the silences feature is
listed before the on-call ones for that). In the transaction that books the message
sent, the silences that muted it count its SMS. The SMS is relayed and kept all the same.

`SilenceEnds` tells a chat in one line when a silence of it ends, by itself or by
/unmute or its button, and how many SMS it muted; `told` is stored, so a restart tells
it once. On with the take buttons (ONCALL_BUTTONS): who may set a silence is who may
press a take button, and what a silence holds back is mostly the button's call to act.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.chat.feature import CoreParts, Feature, Task
from bot.core.database import AsyncStore
from bot.features.silences.matching import covers
from bot.features.silences.texts import ended_text
from bot.relay.chats import Chats
from bot.relay.hooks import DeliveryHook, Outgoing, Sent
from state import Store, messages, silences

log = logging.getLogger(__name__)

RECHECK = 60.0  # seconds: the ending task looks anyway this often (a clock that jumped)


class SilencesSettings(Protocol):
    """The settings silences read."""

    @property
    def oncall_buttons(self) -> bool: ...
    @property
    def oncall_user_ids(self) -> list[int]: ...
    @property
    def display_zone(self) -> ZoneInfo: ...
    @property
    def phone_region(self) -> str: ...


class Muting(DeliveryHook):
    """Mutes a message whose SMS a silence in force covers; counts them when booked."""

    def __init__(self, store: AsyncStore, region: str) -> None:
        self._store = store
        self._region = region
        # per target, the message on its way (a target's relay sends one at a time): its
        # SMS, and how many of them each silence mutes, for `booked` to count
        self._muting: dict[str, tuple[tuple[int, ...], Counter[int]]] = {}

    async def leaving(self, message: Outgoing) -> Outgoing:
        self._muting.pop(message.target.key, None)
        now = datetime.now(UTC)
        chat = str(message.target.chat_id)
        in_force = await self._store.call(silences.active, chat, now)
        if not in_force:
            return message
        by: Counter[int] = Counter()
        for sms in await self._store.call(messages.sms_by_id, message.ids):
            silence = next(
                (s for s in in_force if covers(s.match_text, s.match_key, sms, self._region)),
                None,
            )
            if silence is None:
                return message  # one SMS not covered: the message rings
            by[silence.number] += 1
        if not by:
            return message
        self._muting[message.target.key] = (message.ids, by)
        # No button either, whichever hook put one (the take buttons' come after this one).
        return replace(message, silent=True, muted=True, markup=None)

    def booked(self, store: Store, sent: Sent) -> None:
        ids, by = self._muting.pop(sent.target.key, ((), Counter()))
        if sent.muted and ids == sent.ids:
            for number, count in by.items():
                silences.count_muted(store, number, count)


class SilenceEnds:
    """Tells each chat when one of its silences ended, and how many SMS it muted."""

    def __init__(self, store: AsyncStore, chats: Chats) -> None:
        self._store = store
        self._chats = chats
        self.wake = asyncio.Event()  # a silence was set or ended early: look again

    async def run(self) -> None:
        while True:
            self.wake.clear()
            try:
                wait = await self._tell_ended()
            except Exception as error:  # the disk, a bug: silences must still end later
                log.error("telling chats of ended silences failed", exc_info=error)
                wait = RECHECK
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=wait + 0.05)

    async def _tell_ended(self) -> float:
        """Tell what ended; the seconds until the next silence ends (at most RECHECK)."""
        for silence in await self._store.call(silences.ended_untold, datetime.now(UTC)):
            await self._tell(silence)
        next_end = await self._store.call(silences.next_end)
        if next_end is None:
            return RECHECK
        return min(RECHECK, max(0.0, (next_end - datetime.now(UTC)).total_seconds()))

    async def _tell(self, silence: silences.Silence) -> None:
        """One line into the chat; told once, even when the chat cannot take it now (the
        silence has ended either way: the line is news, not an SMS)."""
        gateway = self._chats.configured(int(silence.chat))
        try:
            if gateway is not None:
                await gateway.send_text(ended_text(silence), retry=True)
        except Exception as error:
            log.warning(
                "could not tell chat %s that silence %d ended: %r",
                silence.chat,
                silence.number,
                error,
            )
        await self._store.call(silences.mark_told, silence.number)
        log.info(
            "silence %d in chat %s ended; it muted %d SMS",
            silence.number,
            silence.chat,
            silence.muted,
        )


@dataclass
class SilencesFeature(Feature):
    """What /mute, /mutes, /unmute and the end button need of the running feature."""

    muting: Muting
    ends: SilenceEnds
    user_ids: set[int] = field(default_factory=set)  # ONCALL_USER_IDS; empty: every member
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    region: str = "RU"
    name: str = "silences"

    def may_mute(self, user_id: int) -> bool:
        """Whoever may press the take button in the chat may set and end silences."""
        return not self.user_ids or user_id in self.user_ids

    def delivery_hooks(self) -> Sequence[DeliveryHook]:
        return [self.muting]

    def tasks(self) -> Sequence[Task]:
        return [Task("silences", self.ends.run, with_telegram=True)]


def build(settings: SilencesSettings, core: CoreParts) -> SilencesFeature | None:
    if not settings.oncall_buttons:
        return None
    return SilencesFeature(
        Muting(core.store, settings.phone_region),
        SilenceEnds(core.store, core.chats),
        set(settings.oncall_user_ids),
        settings.display_zone,
        settings.phone_region,
    )
