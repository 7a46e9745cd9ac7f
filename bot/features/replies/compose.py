"""What a person asked to send, checked; the preview and every later state, written. Pure.

Refused before any request, each with a line that says why: a recipient that cannot
receive an SMS (a sender name such as `Sberbank`, a short service number: anything
`phonenumbers` does not call a valid mobile or fixed-line number), an empty or
over-long text (SMSC takes 1000 characters). The preview shows exactly what will go: to
which number, from which sender name, the text as written, how many parts it takes and
what SMSC says it costs, in the account's currency written as the language writes money,
and how many parts of the daily limit are used today, so nobody learns it at Send. Later
edits of the same message add who sent it, when, and what became of it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import PhoneNumberType
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.chat.sent import reason_of
from bot.smsc.parts import MAX_LENGTH, Parts
from bot.text.clock import moment_in_zone
from bot.text.formatting import display_phone, escape, short_name
from bot.text.i18n import _, money, ngettext, number
from bot.text.numbers import ascii_int
from state.outgoing import Outgoing, OutgoingState
from state.phones import DEFAULT_REGION, e164_digits, parse_phone

# The kinds of number an SMS can go to; toll-free, premium, shared-cost and the like cannot
# (a fixed line may: operators turn an SMS to one into a call or drop it, SMSC charges it).
RECEIVES_SMS = frozenset(
    {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.FIXED_LINE}
)


def phone_or_none(text: str, region: str, *, typed: bool = True) -> str | None:
    """A number that can receive an SMS, as SMSC wants it (E.164 digits), or None.

    `typed`: a person wrote it, in `region`'s habits (`/sms 8 926 ...`); else it is a
    sender as SMSC wrote it (see `state.phones`).
    """
    number = parse_phone(text, region, typed=typed)
    if number is None or not phonenumbers.is_valid_number(number):
        return None
    return e164_digits(number) if phonenumbers.number_type(number) in RECEIVES_SMS else None


def why_not_to(sender: str, region: str = DEFAULT_REGION) -> str | None:
    """Why an SMS cannot go back to this sender (as SMSC wrote it), or None when it can."""
    if phone_or_none(sender, region, typed=False) is None:
        return _("{sender} cannot receive an SMS (a sender name or a short number).").format(
            sender=sender
        )
    return None


def why_not_text(text: str) -> str | None:
    if not text.strip():
        return _("There is no text to send.")
    if len(text) > MAX_LENGTH:
        too_long = ngettext(
            "The text has {n} character; SMSC takes at most {max}: shorten it.",
            "The text has {n} characters; SMSC takes at most {max}: shorten it.",
            len(text),
        )
        return too_long.format(n=number(len(text)), max=number(MAX_LENGTH))
    return None


def sms_data(verb: str, outgoing_id: int) -> str:
    return f"sms:{verb}:{outgoing_id}"


def read_sms_data(data: str | None) -> tuple[str, int] | None:
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] != "sms" or parts[1] not in ("send", "cancel", "again"):
        return None
    outgoing_id = ascii_int(parts[2])
    return None if outgoing_id is None else (parts[1], outgoing_id)


def limit_text(
    limit: int, used: int, parts: int, next_day: datetime, zone: ZoneInfo, now: datetime
) -> str:
    """Why an SMS cannot go today (the daily limit), from when it can, and who can change
    the limit. Short: a pop-up holds 200 characters."""
    text = _("Not sent: {used} of today's {limit} SMS parts are used, and this SMS takes {parts}.")
    text = text.format(limit=limit, used=used, parts=parts)
    if parts > limit:
        later = _("That is more than a whole day's limit: only the admin can raise it.")
    else:
        later = _("It can go from {time}; only the admin can raise the limit.").format(
            time=moment_in_zone(next_day, zone, now)
        )
    return f"{text} {later}"


def preview_markup(outgoing_id: int, can_send: bool) -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(_("✖️ Cancel"), callback_data=sms_data("cancel", outgoing_id))]
    if can_send:
        send = InlineKeyboardButton(_("📤 Send"), callback_data=sms_data("send", outgoing_id))
        buttons.insert(0, send)
    return InlineKeyboardMarkup([buttons])


def again_markup(outgoing_id: int) -> InlineKeyboardMarkup:
    again = InlineKeyboardButton(_("📤 Send again"), callback_data=sms_data("again", outgoing_id))
    return InlineKeyboardMarkup([[again]])


def parts_text(text: str, parts: Parts) -> str:
    """`1 SMS (Cyrillic: up to 70 characters)`, `3 SMS parts (67 characters each)`: what
    SMSC will count and charge, in plain words, with the length a part really holds."""
    if any("\u0400" <= ch <= "\u04ff" for ch in text):
        kind = _("Cyrillic")
    elif parts.unicode:
        kind = _("emoji or special characters")
    else:
        kind = _("Latin letters")
    n = parts.per_part
    if parts.count == 1:
        size = ngettext("up to {n} character", "up to {n} characters", n).format(n=n)
        return _("1 SMS ({kind}: {size})").format(kind=kind, size=size)
    size = ngettext("{n} character each", "{n} characters each", n).format(n=n)
    count = ngettext("{n} SMS part", "{n} SMS parts", parts.count).format(n=parts.count)
    return f"{count} ({kind}: {size})"


def price_line(cost: str | None, balance: str | None, currency: str | None) -> str:
    """`💰 cost 2,50 ₽ · balance 1 871,62 ₽`: what SMSC says a send costs, and what is left."""
    known = money(cost, currency) if cost else _("unknown (SMSC did not say)")
    line = _("cost {cost}").format(cost=known)
    if balance:
        line += " · " + _("balance {balance}").format(balance=money(balance, currency))
    return "💰 " + line


def today_line(used: int, limit: int) -> str:
    """How much of the daily limit is used today, before anyone presses Send."""
    return _("SMS parts sent today: {used} of {limit}").format(used=used, limit=limit)


def _head(out: Outgoing, parts: Parts) -> list[str]:
    sender = (
        _("from the sender name {name}").format(name=out.sender_name)
        if out.sender_name
        else _("from the account's own sender")
    )
    to = _("SMS to {phone}").format(phone=display_phone(out.phone))
    return [
        f"📤 <b>{escape(to)}</b>, {escape(sender)}",
        f"<blockquote>{escape(out.text)}</blockquote>",
        escape(parts_text(out.text, parts)),
    ]


def preview_text(
    out: Outgoing,
    parts: Parts,
    price: str,
    zone: ZoneInfo,
    now: datetime,
    today: tuple[int, int] | None = None,
) -> str:
    """The preview: what will go, what it costs, how much of today's limit is used (`today`:
    parts used, the limit), who can send it and until when."""
    until = _("Only {name} can send it, until {time}.").format(
        time=moment_in_zone(out.expires_at, zone, now), name=short_name(out.author.name)
    )
    lines = [*_head(out, parts), escape(price)]
    if today is not None:
        lines.append(escape(today_line(*today)))
    return "\n".join([*lines, f"<i>{escape(until)}</i>"])


def state_text(
    out: Outgoing, parts: Parts, zone: ZoneInfo, now: datetime, currency: str | None = None
) -> str:
    """The same message once something happened to the preview."""
    lines = state_lines(out, zone, now, currency)
    return "\n".join([*_head(out, parts), *(escape(line) for line in lines)])


def state_lines(
    out: Outgoing, zone: ZoneInfo, now: datetime, currency: str | None = None
) -> list[str]:
    state = out.state
    reason = reason_of(out)
    if state is OutgoingState.CANCELLED:
        return [_("✖️ Cancelled: nothing was sent.")]
    if state is OutgoingState.EXPIRED:
        return [_("⌛ Nobody pressed Send in time: nothing was sent.")]
    if state is OutgoingState.FAILED:
        return [_("⛔ Not sent: {reason}").format(reason=reason)]
    sent = _("Sent by {name} at {time}").format(
        name=short_name(out.author.name), time=moment_in_zone(out.sent_at or now, zone, now)
    )
    if out.cost:
        sent += " · " + _("cost {cost}").format(cost=money(out.cost, currency))
    if out.balance:
        sent += " · " + _("balance {balance}").format(balance=money(out.balance, currency))
    if state is OutgoingState.SENDING:
        return [_("⏳ Sending…")]
    if state is OutgoingState.UNKNOWN:
        return [
            _(
                "❓ SMSC's answer never came: it may have been sent. Asking SMSC; until it "
                "answers, nobody can send it again."
            )
        ]
    if state is OutgoingState.NOT_SENT:
        until = _("Only {name} can send it again, until {time}.").format(
            time=moment_in_zone(out.expires_at, zone, now), name=short_name(out.author.name)
        )
        return [_("⛔ SMSC never had it: it was not sent."), until]
    if state is OutgoingState.NOT_RESENT:
        return [
            _("⛔ SMSC never had it: it was not sent."),
            _(
                "Nobody pressed Send again in time. To send it, reply to the SMS again "
                "or write /sms."
            ),
        ]
    if state is OutgoingState.RESENT:
        return [_("↻ Sent again, as a new SMS.")]
    lines = ["📤 " + sent]
    if state is OutgoingState.DELIVERED:
        lines.append(_("✅ {status}").format(status=reason))
    elif state is OutgoingState.UNDELIVERED:
        lines.append(_("⚠️ {status}").format(status=reason))
    elif state is OutgoingState.UNSETTLED:
        lines.append(_("❔ No final status from SMSC within 24 hours."))
    else:
        lines.append(_("⏳ Delivery is being followed."))
    return lines
