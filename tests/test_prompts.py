"""Prompts: a bare /search or /from asks, and the reply to that very message answers.

The answer is recognised by the message it replies to, never by that message's text: a
reply to another message of the bot that reads the same (a quote, an old copy, a text
that happens to match) is conversation, and gets no answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import Chat, Message, Update

from bot.app.settings import Settings
from bot.app.wiring import Parts, build_parts
from bot.chat.prompts import Prompts
from bot.core.bridge_state import BridgeStatus
from bot.core.database import AsyncStore
from bot.core.health import HealthMonitor, HealthRules
from bot.core.metrics import Metrics
from state import Store
from tests.fakes.telegram import TOKEN, FakeTelegram, SentMessage

GROUP, ANNA = -1001, 1001


@dataclass
class Rig:
    parts: Parts
    telegram: FakeTelegram

    async def says(self, text: str, reply_to: SentMessage | None = None) -> list[SentMessage]:
        """Anna writes `text` in the group; the bot's answers to it."""
        before = len(self.telegram.messages(GROUP))
        self.telegram.user_sends(GROUP, text, user_id=ANNA, name="Anna", reply_to=reply_to)
        update = Update.de_json(self.telegram.updates[-1], self.parts.application.bot)
        await self.parts.application.process_update(update)
        return self.telegram.messages(GROUP)[before:]


@pytest.fixture
async def rig(tmp_path: Path, telegram: FakeTelegram) -> AsyncIterator[Rig]:
    store = AsyncStore(Store.open(tmp_path / "bridge.db"))
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        telegram_bot_token=TOKEN,
        telegram_base_url=telegram.base_url,
        telegram_chat_ids=str(GROUP),
        smsc_login="acme",
        smsc_password="pw",
    )
    parts = build_parts(
        settings, store, HealthMonitor(BridgeStatus(), HealthRules(30, 300)), Metrics()
    )
    await parts.application.initialize()
    yield Rig(parts, telegram)
    await parts.application.shutdown()
    store.close()


async def test_a_reply_answers_the_prompt_it_quotes_not_a_message_that_reads_the_same(
    rig: Rig,
) -> None:
    [prompt] = await rig.says("/search")
    assert prompt.plain.startswith("🔎 What should I look for?")
    lookalike = await rig.parts.chats.gateway(GROUP).send_text(prompt.plain, html=False)
    [same_text] = [m for m in rig.telegram.messages(GROUP) if m.message_id == lookalike.message_id]
    assert same_text.plain == prompt.plain and same_text.message_id != prompt.message_id
    assert await rig.says("boiler", reply_to=same_text) == []  # conversation: left alone
    [answer] = await rig.says("boiler", reply_to=prompt)
    assert answer.plain.startswith("SMS containing “boiler”")


async def test_each_prompt_answers_for_its_own_command(rig: Rig) -> None:
    [search] = await rig.says("/search")
    [sender] = await rig.says("/from")
    [by_sender] = await rig.says("8 926 111-22-33", reply_to=sender)
    [by_words] = await rig.says("boiler 2d", reply_to=search)
    assert by_sender.plain.startswith("SMS from +7 926 111-22-33")
    assert by_words.plain.startswith("SMS containing “boiler”")


async def test_the_book_of_prompts_forgets_the_oldest_first() -> None:
    prompts = Prompts(kept=2)
    prompts.asked(GROUP, 1, "search")
    prompts.asked(GROUP, 2, "from")
    prompts.asked(GROUP, 3, "search")
    assert [await prompts.answered(GROUP, m) for m in (1, 2, 3)] == [None, "from", "search"]
    assert await prompts.answered(-1002, 3) is None  # the same message ID in another chat


async def test_a_reply_that_comes_before_telegram_answered_the_prompts_send_waits_for_it() -> None:
    """The person sees the prompt as soon as Telegram has it, before its answer reaches the
    bridge: their reply is judged once the prompt is booked, not turned away before."""
    prompts, answered = Prompts(), asyncio.Event()
    prompt = Message(40, datetime.now(UTC), Chat(GROUP, "supergroup"))

    async def send() -> Message:
        await answered.wait()  # Telegram's answer to the send, still on its way
        return prompt

    asking = asyncio.create_task(prompts.ask(GROUP, "search", send))
    judging = asyncio.create_task(prompts.answered(GROUP, 40))
    await asyncio.sleep(0)  # both under way: the reply waits
    assert not judging.done()
    answered.set()
    assert await judging == "search"
    await asking
    assert await prompts.answered(GROUP, 41) is None  # nothing on its way: at once
