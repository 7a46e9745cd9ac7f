"""/sms PHONE TEXT, a reply to a relayed SMS, and the Send / Cancel / Send again buttons.

The first two make a preview of an SMS to send; the buttons act on it (`Replies.on_press`).

Only SMS_REPLY_USER_IDS may send (empty: replies are off). The text is taken exactly as
written after the number (line breaks included), never re-joined from split words. A
reply goes to the relayed SMS's sender; a reply to a digest names no single sender, so
it is refused with a pointer to /sms.
"""

from __future__ import annotations

import logging
import re

from telegram import CallbackQuery, Message, Update
from telegram.ext import ContextTypes

from bot.chat.answers import asked_in, reply
from bot.chat.button_kinds import ButtonKind
from bot.chat.commands.registry import ChatCommand, UsageError
from bot.chat.context import bridge_of
from bot.chat.presses import answer_press
from bot.features.replies.compose import phone_or_none, read_sms_data, sms_data, why_not_to
from bot.features.replies.feature import RepliesFeature
from bot.text.formatting import escape
from bot.text.i18n import N_, _
from state import deliveries, messages

log = logging.getLogger(__name__)

# "/sms" (or "/sms@bot"), then what may be a number: digits, spaces and +()-. , which may
# run on into a text that starts with digits ("/sms +79261112233 10 minutes late").
_SMS_COMMAND = re.compile(r"^/\S+[ \t]+(\+?\d[\d \t()\-.]*\d)")


def _number_ends(written: str) -> list[int]:
    """Where the number may end in `written`: all of it, then before each space, longest
    first (a text that starts with digits runs on from the number)."""
    ends = [len(written)]
    for at in range(len(written) - 1, 0, -1):
        if written[at] in " \t" and written[at - 1] not in " \t":
            ends.append(at)
    return ends


def split_sms_command(text: str, region: str) -> tuple[str, str]:
    """(number, text) of `/sms PHONE TEXT`, the number read in `region` as E.164 digits and
    the text exactly as typed; UsageError if not. The number is the longest run of the
    digits written first that reads as a phone number."""
    match = _SMS_COMMAND.match(text)
    if match is None:
        raise UsageError(_("write the number, then the text"))
    written = match.group(1)
    for end in _number_ends(written):
        phone = phone_or_none(written[:end], region)
        if phone is not None:
            rest = text[match.start(1) + end :].lstrip(" \t")
            return phone, rest.removeprefix("\n")  # the line break after the number
    raise UsageError(_("“{text}” is not a phone number").format(text=written))


async def _refused(update: Update, context: ContextTypes.DEFAULT_TYPE, why: str) -> None:
    await reply(update, context, "⛔ " + escape(why))


async def sms_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Preview an SMS to a number; it goes out only when you press Send."""
    bridge = bridge_of(context)
    feature = bridge.feature(RepliesFeature)
    asked, user = asked_in(update), update.effective_user
    if user is None:
        why: str | None = _("Only a person may send SMS.")
    elif feature is None:
        why = _("Replies by SMS are off here; the admin can turn them on.")
    else:
        why = feature.refusal(user.id)
    if why is not None or feature is None:
        await _refused(update, context, why or "")
        return
    phone, text = split_sms_command(asked.text or "", bridge.phone_region)
    if (why := await feature.why_not(text)) is not None:
        await _refused(update, context, why)
        return
    await feature.replies.propose(asked, phone, text, answers=None)


async def sms_reply(update: Update, context: ContextTypes.DEFAULT_TYPE, replied: Message) -> bool:
    """A reply to a relayed SMS by someone who may send: a preview. False if it is not one."""
    bridge = bridge_of(context)
    feature = bridge.feature(RepliesFeature)
    asked, user = asked_in(update), update.effective_user
    gateway = bridge.chats.configured(asked.chat_id)
    if gateway is None or user is None or feature is None:
        return False
    smsc_ids = await bridge.store.call(
        deliveries.sms_in_message, bridge.chats.keys_of(gateway), replied.message_id
    )
    if not smsc_ids or feature.refusal(user.id) is not None:
        return False  # a reply to something else, or a conversation: not for us
    if len(smsc_ids) > 1:
        await _refused(update, context, _("That message holds several SMS: use /sms PHONE TEXT."))
        return True
    [sms] = await bridge.store.call(messages.sms_by_id, smsc_ids)
    text = asked.text or ""
    why = why_not_to(sms.sender, bridge.phone_region) or await feature.why_not(text)
    if why is not None:
        await _refused(update, context, why)
        return True
    phone = phone_or_none(sms.sender, bridge.phone_region, typed=False)
    assert phone is not None
    log.info("reply to SMS %d by user %d in chat %s", sms.smsc_id, user.id, asked.chat_id)
    await feature.replies.propose(asked, phone, text, answers=sms.smsc_id)
    return True


async def on_sms_press(
    query: CallbackQuery, _read: tuple[str, int], context: ContextTypes.DEFAULT_TYPE
) -> None:
    """Send, Cancel or Send again, to the replies; only the author may (`Replies.on_press`)."""
    feature = bridge_of(context).feature(RepliesFeature)
    if feature is None:
        await answer_press(
            query, _("Replies by SMS are off here; the admin can turn them on."), alert=True
        )
        return
    await feature.replies.on_press(query)


BUTTONS = [
    ButtonKind(
        prefix="sms",
        shape="sms:send|cancel|again:OUTGOING_ID",
        write=lambda read: sms_data(*read),
        read=read_sms_data,
        handler=on_sms_press,
        examples=(("send", 1), ("cancel", 2), ("again", 3)),
    )
]


COMMANDS = [
    ChatCommand(
        "sms",
        N_("send an SMS: a preview first, it goes out when you press Send"),
        sms_command,
        args=N_("PHONE TEXT"),
        examples=(N_("/sms +79261234567 We are on it"), N_("/sms 89261234567 Call me back")),
    )
]
