"""The chain: who is called when nobody takes an SMS, each call placed once, and how it went.

`call_due(now)` places the steps that fell due; `check_due(now)` asks status.php how the
calls placed went. Both take `now` (the loop gives the clock's), so the tests drive time.
The money rules are the replies' (`bot.features.replies.sending`): a step is stored with
its own ID before the one send.php request (`state.calls.claim_step`, which also checks
the take, an earlier answer and the daily cap in the same transaction); the answer decides
(an SMSC error code: nothing placed; no connection: nothing left; anything else: maybe
placed, `unknown`, settled by status.php, where only -3 means it never went out); nothing
is ever placed again for the same step, by any layer (`SmscOutbox.call` retries nothing).

What the chat sees, as replies to the SMS's message: "📞 Calling Anna…", "Anna did not
answer, calling Boris…", "Anna answered the call", and once a day that calls stopped at
CALL_DAILY_LIMIT. Whether a call was answered is UNCONFIRMED at SMSC (see
`bot.smsc.send_api.call_outcome`): a status that is not plainly "answered" is shown with
SMSC's code and words, and the chain goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import bot.features.oncall.call_texts as texts
from bot.core.database import AsyncStore
from bot.features.oncall.call_plan import (
    Policy,
    callee_index,
    day_start,
    next_due,
    spoken_text,
    steps,
)
from bot.relay.chats import Chats
from bot.relay.gateway import WriteFailed
from bot.smsc.send_api import (
    CallOutcome,
    SendNotMade,
    SendRefused,
    SendUnknown,
    SmscNoAnswer,
    SmscOutbox,
    call_outcome,
)
from bot.text.i18n import in_language
from state import calls as journal
from state import messages
from state.calls import Call, Callee, CallState, Chain, Claimed, Ended

log = logging.getLogger(__name__)

CHECK_EVERY = 5.0  # seconds between looks at what fell due
FIRST_CHECK_AFTER = 15.0  # seconds from a call to its first status.php question
CHECK_AGAIN_AFTER = 15.0  # SMSC answers five status requests per call a minute
UNKNOWN_CHECK_AFTER = 30.0  # seconds from a lost answer to its first status question
MAX_CHECKS = 40  # then status.php is not asked again; an unsettled call stays shown


def smsc_number(e164: str) -> str:
    """A number as SMSC takes it (and as replies send it): international digits, no `+`."""
    return e164.lstrip("+")


class Member(Protocol):
    """A person of the team file (`bot.features.oncall.team.Member`)."""

    @property
    def key(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def phone(self) -> str: ...


CallOrder = Callable[[str, datetime], Awaitable[Sequence[Member]]]


class Calling:
    """Places the calls of every chain that fell due, and follows them."""

    def __init__(
        self,
        store: AsyncStore,
        chats: Chats,
        outbox: SmscOutbox,
        policies: dict[str, Policy],
        call_order: CallOrder,
        zone: ZoneInfo,
        daily_limit: int,
        *,
        voice: str = "",
        param: str = "",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self._chats = chats
        self.outbox = outbox
        self.policies = policies
        self._call_order = call_order
        self._zone = zone
        self.daily_limit = daily_limit
        self._voice = voice
        self._param = param
        self._clock = clock

    async def run(self) -> None:
        await self.store.call(
            journal.recover_interrupted, self._clock() + timedelta(seconds=UNKNOWN_CHECK_AFTER)
        )
        while True:
            try:
                now = self._clock()
                await self.call_due(now)
                await self.check_due(now)
            except Exception as error:  # the loop must not end
                log.error("calls: a pass failed", exc_info=error)
            await asyncio.sleep(CHECK_EVERY)

    # --- placing -------------------------------------------------------------------------

    async def call_due(self, now: datetime) -> None:
        for chain in await self.store.call(journal.due_chains, now):
            await self._step(chain, now)

    async def _step(self, chain: Chain, now: datetime) -> None:
        policy = self.policies.get(chain.chat)
        if policy is None:
            await self.store.call(journal.end_chain, chain.chat, chain.smsc_id, Ended.GONE)
            return
        order = list(await self._call_order(chain.chat, now))
        if chain.step >= steps(policy, len(order)):
            why = Ended.NOBODY if not order else Ended.DONE
            await self.store.call(journal.end_chain, chain.chat, chain.smsc_id, why)
            return
        member = order[callee_index(chain.step, len(order))]
        callee = Callee(member.key, member.name, member.phone)
        claim = await self.store.call(
            journal.claim_step,
            chain,
            callee,
            now,
            day_start(now, self._zone),
            self.daily_limit,
            next_due(policy, chain.step, len(order), now),
        )
        if claim.outcome is Claimed.CAPPED:
            await self._say(chain.chat, chain.telegram_message_id, texts.capped(self.daily_limit))
        if claim.call is None:
            log.info("calls: SMS %d in %s: %s", chain.smsc_id, chain.chat, claim.outcome)
            return
        try:
            await self._place(chain, claim.call, policy, now)
        except Exception as error:  # a bug or the database: it may have gone out
            log.error("call %d: failed unexpectedly", claim.call.id, exc_info=error)
            left = await self.store.call(journal.get, claim.call.id)
            if left is not None and left.state is CallState.CALLING:
                await self._unknown(claim.call, now)  # status.php settles it

    async def _place(self, chain: Chain, call: Call, policy: Policy, now: datetime) -> None:
        found = await self.store.call(messages.sms_by_id, [chain.smsc_id])
        if not found:  # deleted meanwhile (retention): nothing to say
            await self.store.call(journal.settle, call.id, CallState.NOT_MADE)
            return
        sms = found[0]
        waited = (now - chain.relayed_at).total_seconds()
        text = spoken_text(sms.sender, sms.text, waited, policy.read_code)
        earlier = await self.store.call(journal.calls_of, chain.chat, chain.smsc_id)
        before = next((c for c in reversed(earlier) if c.step < call.step), None)
        await self._send(call, text, now)
        placed = await self.store.call(journal.get, call.id)
        if placed is None:
            return
        await self._say(chain.chat, chain.telegram_message_id, texts.placing(placed, before))

    async def _send(self, call: Call, text: str, now: datetime) -> None:
        log.debug("call %d (our id %s) to %s", call.id, call.send_id, call.callee.phone)
        try:
            sent = await self.outbox.call(
                smsc_number(call.callee.phone),
                text,
                call.send_id,
                voice=self._voice,
                param=self._param,
            )
        except SendRefused as refused:
            with in_language("en"):
                why = str(refused.said)
            log.warning("call %d refused by SMSC (error %d): %s", call.id, refused.code, why)
            await self.store.call(
                journal.settle,
                call.id,
                CallState.REFUSED,
                status_code=refused.code,
                reason=refused.sentence,
            )
            return
        except SendNotMade as error:
            log.warning("call %d not placed: SMSC not reachable (%s)", call.id, error)
            await self.store.call(journal.settle, call.id, CallState.NOT_MADE)
            return
        except SendUnknown as error:
            log.warning("call %d: %s; it may have been placed, asking status.php", call.id, error)
            await self._unknown(call, now)
            return
        log.info("call %d placed to %s (our id %s)", call.id, call.callee.key, call.send_id)
        await self.store.call(
            journal.settle,
            call.id,
            CallState.PLACED,
            smsc_id=sent.smsc_id,
            cost=sent.cost,
            next_check_at=now + timedelta(seconds=FIRST_CHECK_AFTER),
        )

    async def _unknown(self, call: Call, now: datetime) -> None:
        check_at = now + timedelta(seconds=UNKNOWN_CHECK_AFTER)
        await self.store.call(journal.settle, call.id, CallState.UNKNOWN, next_check_at=check_at)

    # --- following -----------------------------------------------------------------------

    async def check_due(self, now: datetime) -> None:
        for call in await self.store.call(journal.due_checks, now):
            await self._check(call, now)

    async def _check(self, call: Call, now: datetime) -> None:
        again = (
            None if call.checks + 1 >= MAX_CHECKS else now + timedelta(seconds=CHECK_AGAIN_AFTER)
        )
        try:
            code = await self.outbox.status_code(smsc_number(call.callee.phone), call.send_id)
        except SmscNoAnswer as error:  # no answer: unsettled, asked later, shown in /status
            log.warning("call %d: status.php gave no answer (%s)", call.id, error)
            await self.store.call(journal.book_check, call.id, again)
            return
        outcome = call_outcome(code)
        if outcome is CallOutcome.NEVER_WENT_OUT and call.state is CallState.UNKNOWN:
            await self.store.call(journal.checked, call.id, CallState.NEVER_WENT_OUT, code, None)
            await self._tell(call, texts.never_went_out(call))
        elif outcome is CallOutcome.ANSWERED:
            if await self.store.call(journal.checked, call.id, CallState.ANSWERED, code, None):
                await self._tell(call, texts.answered(call))
        elif outcome is CallOutcome.NOT_ANSWERED or outcome is CallOutcome.UNKNOWN:
            # UNCONFIRMED codes: anything but an answer is no answer, shown with its code
            if await self.store.call(
                journal.checked, call.id, CallState.NOT_ANSWERED, code, None
            ) and await self.store.call(journal.was_last, call):
                await self._tell(call, texts.nobody_answered(call, code))
        else:  # still ringing, or SMSC does not know an accepted call yet: ask again
            state: CallState = call.state
            if outcome is CallOutcome.RINGING and call.state is CallState.UNKNOWN:
                state = CallState.PLACED  # it went out after all
            await self.store.call(journal.checked, call.id, state, code, again)

    async def _tell(self, call: Call, text: str) -> None:
        chains = await self.store.call(journal.chain_message, call.chat, call.smsc_id)
        await self._say(call.chat, chains, text)

    async def _say(self, chat: str, reply_to: int | None, text: str) -> None:
        target = self._chats.target(chat)
        if target is None:
            return
        try:
            await self._chats.for_target(target).send_text(
                text, topic_id=target.topic_id, reply_to=reply_to, retry=True
            )
        except WriteFailed as failed:
            log.warning("calls: could not tell chat %s: %s", chat, failed)

    # --- what /status shows --------------------------------------------------------------

    async def status_lines(self, now: datetime) -> list[str]:
        made = await self.store.call(journal.calls_since, day_start(now, self._zone))
        lines = [texts.made_today(made, self.daily_limit)]
        unsettled = await self.store.call(journal.unsettled)
        lines += [texts.unsettled(call, self._zone, now) for call in unsettled]
        return lines
