"""An outgoing SMS as history answers show it, among the SMS received. Pure.

The chat's own commands (/last, /history, /search, /from) list what the bridge sent for
a person beside what it received, whether or not replies are on now: the rows are the
store's (`state.outgoing`), so their lines are the chat layer's, and the replies feature
borrows `reason_of` for its previews.
"""

from __future__ import annotations

from bot.smsc.send_api import smsc_reason
from bot.text.clock import FullMoments, short_moment
from bot.text.formatting import display_phone, escape, short_name, text_atoms
from bot.text.i18n import _
from bot.text.sms_view import Look
from state.outgoing import Outgoing, OutgoingState


def reason_of(out: Outgoing) -> str:
    """Why it stands where it does, in the current language: SMSC's code filled in."""
    if not out.reason:
        return ""
    return str(smsc_reason(out.reason, out.status_code))


def went_out_words(out: Outgoing) -> str:
    """Where an outgoing SMS stands, in a few words, for lists."""
    if out.state in (OutgoingState.DELIVERED, OutgoingState.UNDELIVERED) and out.reason:
        return reason_of(out)
    if out.state is OutgoingState.UNKNOWN:
        return _("maybe sent: checking")
    if out.state is OutgoingState.UNSETTLED:
        return _("no final status")
    return _("sent")


def history_entry(out: Outgoing, look: Look) -> list[str]:
    """An outgoing SMS as an item of a history answer: `📤 03:12 · to +7926…, Anna: text`."""
    when = short_moment(out.sent_at or out.created_at, look.zone, look.now)
    to = _("to {phone}").format(phone=display_phone(out.phone))
    words, who = went_out_words(out), short_name(out.author.name)
    head = f"<b>📤 {when} · {escape(to)}</b>, {escape(who)} · {escape(words)}: "
    return [head, *text_atoms(out.text, look.hide_codes)]


def history_line(out: Outgoing, moments: FullMoments) -> str:
    """An outgoing SMS as plain text, for answers sent as a file (`plain_entry`'s twin)."""
    when = moments(out.sent_at or out.created_at)
    to = _("to {phone}").format(phone=display_phone(out.phone))
    return f"{when} · {to} · {out.author.name} · {went_out_words(out)} · id {out.id}\n{out.text}"
