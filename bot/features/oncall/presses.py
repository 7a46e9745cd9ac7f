"""A press on a take or release button: recorded, answered at once, then shown everywhere.

Every press is answered (`answerCallbackQuery`) as soon as the database has decided,
before any message is edited, so the presser's spinner stops within a second even when
the chat is busy; a refused or unreadable press is answered too. The first press wins
(see `state.oncall`); a later one changes nothing and tells that person who has it.
Who may press: any member of the chat where the button is, or only ONCALL_USER_IDS when
set. What a press acts on is what the message pressed carries, as the relay booked it in
that chat (a forum topic of it, or its ID before a move to a supergroup), or, while
Telegram's answer to the send is not booked yet, the SMS being sent there: a button whose
data names an SMS that message does not carry is refused (`refuse_foreign_press`).
Every take, release and refusal is logged with IDs, never with SMS text.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from telegram import CallbackQuery
from telegram.ext import ContextTypes

from bot.chat.button_kinds import ButtonKind
from bot.chat.context import BridgeContext, bridge_of
from bot.chat.presses import answer_press, log_foreign_press, refuse_foreign_press
from bot.features.oncall.buttons import Press, read_press
from bot.features.oncall.feature import OnCall
from bot.text.clock import moment_in_zone
from bot.text.formatting import short_name
from bot.text.i18n import _, ngettext
from state import deliveries, messages, oncall
from state.oncall import Person, Take

log = logging.getLogger(__name__)


async def may_take(context: ContextTypes.DEFAULT_TYPE, press: Press, user_id: int) -> str | None:
    """Who may press a take or release button: ONCALL_USER_IDS when set, else anyone."""
    bridge = bridge_of(context)
    feature = bridge.feature(OnCall)
    if feature is None or feature.may_press(user_id):
        return None  # with the feature off, the press is answered as one that no longer works
    log.warning(
        "refused a press on SMS %d by user %d: not in ONCALL_USER_IDS", press.first, user_id
    )
    bridge.metrics.presses.labels(outcome="refused").inc()
    return _("Only the on-call team can take SMS here; the admin can add you to it.")


async def on_take_press(
    query: CallbackQuery, press: Press, context: ContextTypes.DEFAULT_TYPE
) -> None:
    """Take or release the SMS a button names, answer the presser, update the messages."""
    bridge = bridge_of(context)
    feature = bridge.feature(OnCall)
    message = query.message
    gateway = bridge.chats.configured(message.chat.id) if message is not None else None
    if gateway is None or feature is None or message is None:
        bridge.metrics.presses.labels(outcome="unknown").inc()
        await answer_press(query, _("This button no longer works."), alert=True)
        log.info(
            "turned away a press by user %d in chat %s: button %r no longer works",
            query.from_user.id,
            message.chat.id if message is not None else None,
            query.data,
        )
        return
    ids = await _sms_of(bridge, press, bridge.chats.keys_of(gateway), message.message_id)
    if ids is None:
        bridge.metrics.presses.labels(outcome="refused").inc()
        await refuse_foreign_press(query)
        return
    if not ids:
        await _nothing_kept(bridge, query, press)
        return
    user = query.from_user
    person = Person(user.id, user.full_name or user.username or str(user.id))
    if press.take:
        await _take(bridge, query, ids, person)
    else:
        await _release(bridge, query, ids, person)
    feature.edits.refresh(await bridge.store.call(oncall.messages_showing, ids))


def _kind(prefix: str, shape: str, take: bool, digest: bool) -> ButtonKind[Press]:
    return ButtonKind(
        prefix=prefix,
        shape=shape,
        write=Press.data,
        read=read_press,
        handler=on_take_press,
        examples=(Press(take, 7, 9) if digest else Press(take, 7, 7),),
        who=may_take,
    )


BUTTONS = [
    _kind("t", "t:SMSC_ID", take=True, digest=False),
    _kind("td", "td:FIRST:LAST", take=True, digest=True),
    _kind("r", "r:SMSC_ID", take=False, digest=False),
    _kind("rd", "rd:FIRST:LAST", take=False, digest=True),
]


async def _sms_of(
    bridge: BridgeContext, press: Press, keys: list[str], message_id: int
) -> list[int] | None:
    """The SMS a press acts on: those of `press` that the message pressed carries in this
    chat (`keys`: the chat and its topics), or that are on their way there in it. [] when
    there are none; None when the message carries others than the press names."""
    found = await bridge.store.call(
        deliveries.sms_pressed, keys, message_id, press.first, press.last
    )
    ids = [smsc_id for smsc_id in found if press.first <= smsc_id <= press.last]
    return ids if ids or not found else None


async def _nothing_kept(bridge: BridgeContext, query: CallbackQuery, press: Press) -> None:
    """The message pressed carries no SMS kept: it went with its SMS (RETENTION_DAYS), or
    was never a relayed one. The answer is the same either way, so a forged press cannot
    tell whether the SMS its data names is stored; the log tells which it was."""
    bridge.metrics.presses.labels(outcome="unknown").inc()
    await answer_press(query, _("This SMS is no longer kept."), alert=True)
    if await bridge.store.call(messages.sms_by_id, [press.first]):  # kept: not this message's
        log_foreign_press(query)
        return
    log.info(
        "turned away a press by user %d in chat %s: button %r, its SMS no longer kept",
        query.from_user.id,
        query.message.chat.id if query.message is not None else None,
        query.data,
    )


def _holder(take: Take, bridge: BridgeContext) -> str:
    moment = moment_in_zone(take.at, bridge.zone, datetime.now(UTC))
    return _("{name} took it at {time}").format(name=short_name(take.by.name), time=moment)


async def _take(
    bridge: BridgeContext, query: CallbackQuery, ids: Sequence[int], person: Person
) -> None:
    takes = await bridge.store.call(oncall.take, ids, person, datetime.now(UTC))
    others = [takes[i] for i in ids if i in takes and takes[i].by.user_id != person.user_id]
    mine = len(ids) - len(others)
    log.info(
        "SMS %s: %d taken by user %d, %d held by others",
        ",".join(map(str, ids)),
        mine,
        person.user_id,
        len(others),
    )
    if not others:
        bridge.metrics.presses.labels(outcome="taken").inc()
        await answer_press(query, _("✋ It is yours."))
    elif len(ids) == 1:
        bridge.metrics.presses.labels(outcome="already_taken").inc()
        await answer_press(query, _holder(others[0], bridge), alert=True)
    else:
        bridge.metrics.presses.labels(outcome="taken" if mine else "already_taken").inc()
        text = ngettext(
            "You took {mine}; {n} is held by others.",
            "You took {mine}; {n} are held by others.",
            len(others),
        )
        await answer_press(query, text.format(mine=mine, n=len(others)), alert=True)


async def _release(
    bridge: BridgeContext, query: CallbackQuery, ids: Sequence[int], person: Person
) -> None:
    released = await bridge.store.call(oncall.release, ids, person.user_id)
    log.info(
        "SMS %s: %d released by user %d", ",".join(map(str, ids)), len(released), person.user_id
    )
    if released:
        bridge.metrics.presses.labels(outcome="released").inc()
        await answer_press(query, _("↩️ Released: anyone may take it now."))
        return
    bridge.metrics.presses.labels(outcome="refused").inc()
    takes = await bridge.store.call(oncall.takes_of, ids)
    holder = next(iter(takes.values()), None)
    text = _holder(holder, bridge) if holder else _("Nobody holds it.")
    await answer_press(query, text, alert=True)
