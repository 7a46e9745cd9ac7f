"""Backlog drain: 1,000 queued SMS into one group, through a Bot API that enforces the group
limit (20 messages in any 60 s, answered with 429 and retry_after) on a scaled clock.

The real relay (ChatRelay, its ChatGateway, the bot's rate limiter, store) runs in process
with every period divided by SCALE: the fake's window and the chat's pace (its spacing and
the group's minute, which only the pace keeps). Times are reported back in unscaled seconds
and compared with the minimum the limit allows: M messages need at least floor((M - 1) / 20)
minutes (and M - 1 seconds), where M is the smallest number of 4096-character messages the
SMS pack into. Sending one message per SMS is given as that same minimum for M = 1,000 (49
minutes): measuring it would take 49 scaled minutes for a figure the arithmetic already
fixes.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from telegram.ext import ApplicationBuilder

from benchmarks.common import MOSCOW, Result, phone, sms_text
from bot.app.telegram_link import rate_limiter
from bot.core.database import AsyncStore
from bot.core.metrics import Metrics
from bot.features.oncall.buttons import TAKE_RESERVE
from bot.features.oncall.delivery import TakeButtons
from bot.features.oncall.edits import EditQueue
from bot.relay.chat_pace import SEND_SPACING
from bot.relay.chats import Chats
from bot.relay.plan import DIGEST_HEADER_RESERVE, GROUP_PER_MINUTE
from bot.relay.relay import Relay, RelayOptions
from bot.routing.targets import ChatTarget
from bot.text.formatting import TEXT_LIMIT, pack_entries
from bot.text.sms_view import Look, entry_atoms
from state import IncomingSms, Store, StoredSms, deliveries, messages
from tests.fakes.telegram import TOKEN, FakeTelegram

GROUP = -1001
SCALE = 10.0  # six real seconds stand for a minute


def minimum_seconds(messages: int) -> float:
    """The least time M messages take into a group: 20 in any minute, 1 a second."""
    return max(((messages - 1) // GROUP_PER_MINUTE) * 60.0, (messages - 1) * SEND_SPACING)


def queue(store: Store, count: int) -> list[IncomingSms]:
    rng = random.Random(1000)
    now = datetime.now(UTC)
    batch = [
        IncomingSms(n + 1, phone(rng), "79031234567", sms_text(rng), now) for n in range(count)
    ]
    messages.save_incoming(store, batch, [str(GROUP)])
    return batch


async def _drain(count: int, digests: bool) -> tuple[float, int, int]:
    telegram = FakeTelegram(group_limit=(GROUP_PER_MINUTE, 60 / SCALE)).start()
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "drain.db")
        batch = queue(store, count)
        db = AsyncStore(store)
        application = (
            ApplicationBuilder()
            .token(TOKEN)
            .base_url(telegram.base_url)
            .rate_limiter(rate_limiter())
            .build()
        )
        await application.initialize()
        chats = Chats(
            [ChatTarget(GROUP)],
            application.bot,
            db,
            spacing=SEND_SPACING / SCALE,
            group_window=(GROUP_PER_MINUTE, 60 / SCALE),
        )
        metrics = Metrics()
        # As in production: take buttons, room kept in each message for "taken by".
        buttons = TakeButtons(db, MOSCOW, EditQueue(db, chats, MOSCOW, metrics))
        options = RelayOptions(MOSCOW, digest_threshold=None if digests else 0, hooks=(buttons,))
        relay = Relay(db, chats, options, metrics=metrics, events=Unheard())
        started = time.perf_counter()
        task = asyncio.create_task(relay.run())
        while await db.call(deliveries.count_pending, str(GROUP)):  # noqa: ASYNC110 (a poll of the store)
            await asyncio.sleep(0.01)
        elapsed = (time.perf_counter() - started) * SCALE
        relay.stop.set()
        await task
        await application.shutdown()
        db.close()
    telegram.stop()
    look = Look(MOSCOW, datetime.now(UTC))
    packed = len(
        pack_entries(
            [entry_atoms(s, look) for s in _stored(batch)],
            TEXT_LIMIT - TAKE_RESERVE,
            reserve=DIGEST_HEADER_RESERVE,
        )
    )
    return elapsed, len(telegram.messages(GROUP)), packed


class Unheard:
    """Nobody to tell that a chat refuses: the benchmark's one chat never does."""

    def chat_refused(self, key: str, name: str, reason: str) -> None:
        raise AssertionError(f"chat {key} refused during the drain: {reason}")

    def chat_delivers(self, key: str) -> None:
        pass


def _stored(batch: list[IncomingSms]) -> list[StoredSms]:
    return [
        StoredSms(s.smsc_id, s.sender, s.recipient, s.text, s.received_at, None, s.received_at)
        for s in batch
    ]


def run(count: int) -> list[Result]:
    digest_time, digest_messages, packed = asyncio.run(_drain(count, digests=True))
    packed_min = minimum_seconds(packed)
    single_min = minimum_seconds(count)
    ratio = digest_time / packed_min
    how = (
        f"{count:,} queued SMS of realistic lengths into one group; fake Bot API enforcing "
        f"20 messages per 60 s with 429 + retry_after; clock scaled x{SCALE:g}; real relay "
        f"and AIORateLimiter in process; minimum = floor((M-1)/20) min"
    )
    extra = {"digest_messages": digest_messages, "packed_minimum_messages": packed}
    return [
        Result("drain", "digests: drain time", digest_time, "s", how=how, extra=extra),
        Result("drain", f"packed minimum ({packed} messages)", packed_min, "s", how=how),
        Result(
            "drain",
            "digests / packed minimum",
            ratio,
            "x",
            target="<= 1.5",
            met=ratio <= 1.5,
            how=how,
            extra=extra,
        ),
        Result(
            "drain", f"one message per SMS: minimum ({count} messages)", single_min, "s", how=how
        ),
        Result(
            "drain",
            "one-per-SMS minimum / digest drain time",
            single_min / digest_time,
            "x faster",
            how=how,
        ),
    ]
