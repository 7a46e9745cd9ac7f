"""From "reply to this SMS" to an SMS that went out once: the preview, Send, Cancel.

An allowed user (SMS_REPLY_USER_IDS) replies to a relayed SMS, or writes `/sms PHONE
TEXT`: the bot answers with a preview (number, sender name, the text as it will go, parts,
SMSC's price and the balance) and two buttons that only the author can press, for ten
minutes, and only while SMS_REPLY_USER_IDS still names them (checked at the press: a user
removed from it cannot use an old preview). Send makes the preview `sending` in one
transaction that also checks the daily limit (so a double tap or two people make one
send), commits, then asks send.php once. What came back is recorded and shown;
`bot.features.replies.tracking` follows the delivery. "Send again" is pressed under the same rules,
and a press the daily limit refuses leaves the offer as it was, saying when it can go.
The log names SMS and people by their IDs; the numbers SMS go to only at DEBUG.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from telegram import CallbackQuery, InlineKeyboardMarkup, Message

from bot.chat.presses import answer_press, refuse_foreign_press
from bot.core.database import AsyncStore
from bot.features.replies.compose import (
    again_markup,
    limit_text,
    preview_markup,
    preview_text,
    price_line,
    read_sms_data,
    state_text,
)
from bot.features.replies.sending import send_once
from bot.relay.chats import Chats
from bot.relay.gateway import WriteFailed
from bot.smsc.parts import sms_parts
from bot.smsc.send_api import (
    SendRefused,
    SmscNoAnswer,
    SmscOutbox,
)
from bot.text.formatting import short_name
from bot.text.i18n import _
from state import outgoing
from state.oncall import Person
from state.outgoing import Claim, Draft, Outgoing, OutgoingState

log = logging.getLogger(__name__)

PREVIEW_LIFETIME = timedelta(minutes=10)
BALANCE_FRESH_FOR = 60.0  # seconds: SMSC allows ten balance requests a minute


def day_start(now: datetime, zone: ZoneInfo) -> datetime:
    """Midnight of `now`'s day in the display zone: where the daily limit starts over."""
    local = now.astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def next_day_start(now: datetime, zone: ZoneInfo) -> datetime:
    """The next midnight in the display zone: when the daily limit starts over."""
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(tomorrow, datetime.min.time(), tzinfo=zone).astimezone(UTC)


def on_its_preview(chats: Chats, query: CallbackQuery, out: Outgoing) -> bool:
    """Whether the press comes from the preview's own message, in its own chat (also
    after a move to a supergroup): a button's data names any preview a client likes.
    Telegram can show the preview before its message ID is booked: then its chat."""
    message = query.message
    return (
        message is not None
        and out.preview_message_id in (None, message.message_id)
        and chats.key_of(message.chat.id) == chats.key_of(int(out.chat))
    )


@dataclass
class Replies:
    """Everything sending needs, built in the wiring when SMS_REPLY_USER_IDS is set."""

    store: AsyncStore
    outbox: SmscOutbox
    chats: Chats
    zone: ZoneInfo
    user_ids: set[int]
    sender_name: str | None
    daily_limit: int
    currency: str | None = None  # the SMSC account's, for prices and the balance
    _balance: tuple[float, str | None] = field(default=(-BALANCE_FRESH_FOR, None))

    def may_send(self, user_id: int) -> bool:
        return user_id in self.user_ids

    async def balance(self) -> str | None:
        at, known = self._balance
        if time.monotonic() - at < BALANCE_FRESH_FOR:
            return known
        try:
            known = await self.outbox.balance()
        except SmscNoAnswer as error:
            log.warning("SMSC's balance is not known: %s", error)
        self._balance = (time.monotonic(), known)
        return known

    async def last_balance(self) -> str | None:
        """The balance SMSC last reported (to a price request or a send), for /status;
        never asks SMSC."""
        _at, known = self._balance
        return known or await self.store.call(outgoing.last_balance)

    async def today(self) -> int:
        """SMS parts that went out today (display zone), for the limit and /status."""
        since = day_start(datetime.now(UTC), self.zone)
        return await self.store.call(outgoing.parts_went_out, since)

    async def over_limit(self, parts: int) -> str | None:
        """Why an SMS of `parts` parts cannot go today (the daily limit), and from when it
        can; None when it can go now."""
        used = await self.today()
        if used + parts <= self.daily_limit:
            return None
        now = datetime.now(UTC)
        return limit_text(
            self.daily_limit, used, parts, next_day_start(now, self.zone), self.zone, now
        )

    # -- the preview ---------------------------------------------------------------------

    async def propose(self, asked: Message, phone: str, text: str, answers: int | None) -> None:
        """Store a preview and show it, as an answer to `asked`; raises WriteFailed."""
        user = asked.from_user
        assert user is not None
        draft = Draft(
            phone=phone,
            text=text,
            sender_name=self.sender_name,
            parts=sms_parts(text).count,
            chat=self.chats.key_of(asked.chat_id),  # the configured ID, also after a move
            topic_id=asked.message_thread_id if asked.is_topic_message else None,
            answers_sms=answers,
            author=Person(user.id, user.full_name or user.username or str(user.id)),
        )
        now = datetime.now(UTC)
        out = await self.store.call(outgoing.create_preview, draft, now, now + PREVIEW_LIFETIME)
        price, can_send = await self._price(out)
        today = (await self.today(), self.daily_limit)
        text_html = preview_text(out, sms_parts(text), price, self.zone, now, today)
        message = await self.chats.gateway(asked.chat_id).send_text(
            text_html,
            topic_id=draft.topic_id,
            reply_to=None if asked.chat.type == "private" else asked.message_id,
            markup=preview_markup(out.id, can_send),
            retry=True,
        )
        await self.store.call(outgoing.set_preview_message, out.id, message.message_id)
        log.info("SMS %d proposed by user %d (%d parts)", out.id, user.id, draft.parts)
        log.debug("SMS %d would go to %s", out.id, phone)

    async def _price(self, out: Outgoing) -> tuple[str, bool]:
        """The price line of a preview, and whether Send is offered at all."""
        try:
            quote = await self.outbox.quote(out.phone, out.text, out.sender_name)
        except SendRefused as refused:
            return _("SMSC would refuse it: {why}").format(why=refused.said), False
        except SmscNoAnswer:
            quote = None
        balance = await self.balance()
        return price_line(quote.cost if quote else None, balance, self.currency), True

    # -- the buttons ----------------------------------------------------------------------

    async def on_press(self, query: CallbackQuery) -> None:
        """Send, Cancel or Send again: only the author, and Send and Send again only while
        SMS_REPLY_USER_IDS names them; each press answered at once."""
        read = read_sms_data(query.data)
        out = await self.store.call(outgoing.get, read[1]) if read else None
        if read is None or out is None:
            await answer_press(query, _("This button no longer works."), alert=True)
            return
        verb, _id = read
        if not on_its_preview(self.chats, query, out):  # before anything of it is told
            await refuse_foreign_press(query)
            return
        if query.from_user.id != out.author.user_id:
            await answer_press(
                query,
                _("Only {name} can press this: the preview is theirs.").format(
                    name=short_name(out.author.name)
                ),
                alert=True,
            )
            return
        if verb == "cancel":  # sends nothing: the author may, allowed or not
            cancelled = await self.store.call(outgoing.cancel, out.id)
            await answer_press(query, _("Cancelled.") if cancelled else _("Too late to cancel."))
            await self.show(out.id)
        elif not self.may_send(query.from_user.id):
            log.warning("SMS %d: user %d may no longer send SMS", out.id, query.from_user.id)
            await answer_press(
                query,
                _("Nothing sent: you may no longer send SMS; the admin can allow you again."),
                alert=True,
            )
        elif verb == "send":
            await self._send(query, out)
        else:
            await self._send_again(query, out)

    async def _send_again(self, query: CallbackQuery, out: Outgoing) -> None:
        """After status.php said SMSC never had it: a new send, with a new ID. The old
        row is retired in the same transaction, so a refused press leaves it as it was."""
        now = datetime.now(UTC)
        claim, again = await self.store.call(
            outgoing.resend, out.id, now, day_start(now, self.zone), self.daily_limit
        )
        if claim is Claim.OVER_LIMIT:  # the offer and its button stay
            await answer_press(query, await self._limit_reached(out), alert=True)
            return
        if claim is not Claim.CLAIMED or again is None:
            await answer_press(
                query,
                _(
                    "Nothing sent: Send again was already used, or expired. To send it, reply "
                    "to the SMS again or write /sms."
                ),
                alert=True,
            )
            if claim is Claim.EXPIRED:  # its button goes; a used one's message is the new send's
                await self.show(out.id)
            return
        log.info("SMS %d sent again as %d by user %d", out.id, again.id, out.author.user_id)
        await self._go(query, again)

    async def _limit_reached(self, out: Outgoing) -> str:
        return await self.over_limit(out.parts) or _("Not sent: the daily limit is reached.")

    async def _send(self, query: CallbackQuery, out: Outgoing) -> None:
        now = datetime.now(UTC)
        claim = await self.store.call(
            outgoing.claim, out.id, now, day_start(now, self.zone), self.daily_limit
        )
        if claim is Claim.OVER_LIMIT:
            await answer_press(query, await self._limit_reached(out), alert=True)
            return
        if claim is not Claim.CLAIMED:
            await answer_press(
                query,
                _(
                    "Nothing sent: this preview was already used, or expired. To send it, "
                    "reply to the SMS again or write /sms."
                ),
                alert=True,
            )
            await self.show(out.id)
            return
        await self._go(query, out)

    async def _go(self, query: CallbackQuery, out: Outgoing) -> None:
        """Send a claimed SMS (one request) and show what came of it."""
        await answer_press(query, _("⏳ Sending…"))
        balance = await send_once(self.store, self.outbox, out)
        if balance is not None:
            self._balance = (time.monotonic(), balance)
        await self.show(out.id)

    async def show(self, outgoing_id: int, now: datetime | None = None) -> None:
        """Edit the preview message to say where this SMS stands now."""
        out = await self.store.call(outgoing.get, outgoing_id)
        if out is None or out.preview_message_id is None:
            return
        now = now or datetime.now(UTC)
        text = state_text(out, sms_parts(out.text), self.zone, now, self.currency)
        offered = out.state is OutgoingState.NOT_SENT and now < out.expires_at
        markup: InlineKeyboardMarkup | None = again_markup(out.id) if offered else None
        try:
            await self.chats.gateway(int(out.chat)).edit_text(
                out.preview_message_id, text, markup=markup
            )
        except WriteFailed as failed:
            log.warning("could not update the preview of SMS %d: %s", out.id, failed)
