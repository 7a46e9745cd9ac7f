"""How silences read in the chat: pure, the zone and "now" passed in (the gallery shows
each of them in both languages)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.text.clock import moment_in_zone
from bot.text.formatting import escape, short_name
from bot.text.i18n import _, ngettext
from state.silences import Silence

END_PREFIX = "um"  # the end button's data: `um:NUMBER`


def what_it_mutes(silence: Silence) -> str:
    """`SMS from +79261234567`, `SMS with “door 7”`, `every SMS` (HTML)."""
    if silence.match_key:
        return escape(_("SMS from {phone}").format(phone="+" + silence.match_key))
    if silence.match_text:
        return escape(_("SMS with “{text}”").format(text=silence.match_text))
    return escape(_("every SMS"))


def muted_text(silence: Silence, zone: ZoneInfo, now: datetime) -> str:
    """The answer to /mute."""
    text = _(
        "🔕 Silence {number} until {time}: {what} come here without a sound, a take button "
        "or reminders; they are kept in the history as always. /mutes lists the silences."
    )
    until = moment_in_zone(silence.ends_at, zone, now)
    return escape(text).format(number=silence.number, time=until, what=what_it_mutes(silence))


def silences_text(silences: Sequence[Silence], zone: ZoneInfo, now: datetime) -> str:
    """The answer to /mutes: each silence in force here, who set it, until when."""
    if not silences:
        return escape(_("No silences here. /mute 2h TEXT mutes such SMS for two hours."))
    lines = [escape(_("🔕 Silences here:"))]
    for silence in silences:
        line = _("{number}. {what}, set by {name}, until {time}; {muted} muted so far")
        lines.append(
            escape(line).format(
                number=silence.number,
                what=what_it_mutes(silence),
                name=escape(short_name(silence.set_by_name)),
                time=moment_in_zone(silence.ends_at, zone, now),
                muted=silence.muted,
            )
        )
    return "\n".join(lines)


def write_end(number: int) -> str:
    return f"{END_PREFIX}:{number}"


def end_buttons(silences: Sequence[Silence]) -> InlineKeyboardMarkup | None:
    """One button per silence, to end it."""
    if not silences:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("🔔 End {number}").format(number=silence.number),
                    callback_data=write_end(silence.number),
                )
            ]
            for silence in silences
        ]
    )


def ended_text(silence: Silence) -> str:
    """The one line a chat gets when one of its silences ends."""
    text = ngettext(
        "🔔 Silence {number} ended ({what}): it muted {n} SMS.",
        "🔔 Silence {number} ended ({what}): it muted {n} SMS.",
        silence.muted,
    )
    return escape(text).format(number=silence.number, what=what_it_mutes(silence), n=silence.muted)
