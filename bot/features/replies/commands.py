"""/sms PHONE TEXT, and a reply to a relayed SMS: a preview of an SMS to send.

Only SMS_REPLY_USER_IDS may send (empty: replies are off). The text is taken exactly as
written after the number (line breaks included), never re-joined from split words. A
reply goes to the relayed SMS's sender; a reply to a digest names no single sender, so
it is refused with a pointer to /sms.
"""

from __future__ import annotations

import logging
import re

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.chat.answers import asked_in, reply
from bot.chat.commands.registry import ChatCommand, UsageError
from bot.chat.context import BridgeContext, bridge_of
from bot.features.replies.compose import phone_or_none, why_not_text, why_not_to
from bot.smsc.parts import sms_parts
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


def _may_send(bridge: BridgeContext, user_id: int) -> str | None:
    """Why this user may not send, or None when they may."""
    if bridge.replies is None:
        return _("Replies by SMS are off here; the admin can turn them on.")
    if not bridge.replies.may_send(user_id):
        return _("Only people the admin allowed may send SMS; ask the admin to add you.")
    return None


async def sms_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Preview an SMS to a number; it goes out only when you press Send."""
    bridge = bridge_of(context)
    asked = asked_in(update)
    user = update.effective_user
    why = _may_send(bridge, user.id) if user else _("Only a person may send SMS.")
    if why is not None:
        await _refused(update, context, why)
        return
    phone, text = split_sms_command(asked.text or "", bridge.phone_region)
    if (why := why_not_text(text)) is not None:
        await _refused(update, context, why)
        return
    assert bridge.replies is not None
    if (why := await bridge.replies.over_limit(sms_parts(text).count)) is not None:
        await _refused(update, context, why)
        return
    await bridge.replies.propose(asked, phone, text, answers=None)


async def sms_reply(update: Update, context: ContextTypes.DEFAULT_TYPE, replied: Message) -> bool:
    """A reply to a relayed SMS by someone who may send: a preview. False if it is not one."""
    bridge = bridge_of(context)
    asked, user = asked_in(update), update.effective_user
    gateway = bridge.chats.configured(asked.chat_id)
    if gateway is None or user is None or bridge.replies is None:
        return False
    smsc_ids = await bridge.store.call(
        deliveries.sms_in_message, bridge.chats.keys_of(gateway), replied.message_id
    )
    if not smsc_ids or not bridge.replies.may_send(user.id):
        return False  # a reply to something else, or a conversation: not for us
    if len(smsc_ids) > 1:
        await _refused(update, context, _("That message holds several SMS: use /sms PHONE TEXT."))
        return True
    [sms] = await bridge.store.call(messages.sms_by_id, smsc_ids)
    text = asked.text or ""
    why = why_not_to(sms.sender, bridge.phone_region) or why_not_text(text)
    why = why or await bridge.replies.over_limit(sms_parts(text).count)
    if why is not None:
        await _refused(update, context, why)
        return True
    phone = phone_or_none(sms.sender, bridge.phone_region, typed=False)
    assert phone is not None
    log.info("reply to SMS %d by user %d in chat %s", sms.smsc_id, user.id, asked.chat_id)
    await bridge.replies.propose(asked, phone, text, answers=sms.smsc_id)
    return True


COMMANDS = [
    ChatCommand(
        "sms",
        N_("send an SMS: a preview first, it goes out when you press Send"),
        sms_command,
        args=N_("PHONE TEXT"),
        examples=(N_("/sms +79261234567 We are on it"), N_("/sms 89261234567 Call me back")),
    )
]
