"""Escalation: an SMS nobody took within ESCALATE_AFTER gets one reminder in each group.

Several SMS falling due at once make one reminder per chat that lists them, never a
flood, and each SMS is reminded once (`state.oncall.reminders_due` holds only what may
still need one). The list always fits one message: after an outage it names the oldest
and counts the rest (Telegram refuses a longer message for good, and then nobody would be
reminded at all). A reminder replies to the SMS it is about (the oldest, for a list) and
mentions the people on duty in that chat by user ID, so Telegram notifies them even
without a username; with nobody on duty it says how to get on. Its first line, all a
notification shows, starts with how old the SMS are (`⏰ ⏳ 12 min old · ...`): an SMS
relayed late is reminded of hours after it came, and its code has expired by then.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.core.database import AsyncStore
from bot.core.telegram_errors import Verdict
from bot.relay.chats import Chats
from bot.relay.gateway import WriteFailed
from bot.text.clock import short_moment
from bot.text.durations import minutes_in_words
from bot.text.formatting import (
    TEXT_LIMIT,
    display_phone,
    escape,
    short_name,
    text_atoms,
    visible_length,
)
from bot.text.i18n import _, ngettext
from bot.text.sms_view import age_text
from state import StoredSms, messages, oncall
from state.oncall import DueReminder, Person

log = logging.getLogger(__name__)

CHECK_EVERY = 10.0  # seconds between looks at what fell due
PREVIEW = 60  # characters of each SMS in a reminder's list


def mention(person: Person) -> str:
    """A mention that notifies, by user ID: works for people without a username."""
    return f'<a href="tg://user?id={person.user_id}">{escape(short_name(person.name))}</a>'


def preview(text: str, hide_codes: bool = False) -> str:
    """The start of an SMS on one line, its codes as the relayed message shows them.

    Codes are found in the whole text, as in the relayed message (a code word may come
    after the cut), so with HIDE_CODES a code is a spoiler here too, and never cut in two.
    """
    atoms: list[str] = []
    for atom in text_atoms(text, hide_codes):
        if atom.isspace():  # every run of whitespace is one space: the list stays one line
            if not atoms or atoms[-1] == " ":
                continue
            atom = " "
        atoms.append(atom)
    while atoms and atoms[-1] == " ":
        atoms.pop()
    shown: list[str] = []
    size = 0
    for atom in atoms:
        if size >= PREVIEW:
            return "".join(shown).rstrip() + "…"
        shown.append(atom)
        size += visible_length(atom)
    return "".join(shown)


def _entry(sms: StoredSms, zone: ZoneInfo, now: datetime, hide_codes: bool) -> str:
    when = short_moment(sms.received_at, zone, now)
    return f"• {when} · {escape(display_phone(sms.sender))}: {preview(sms.text, hide_codes)}"


def _more(left: int) -> str:
    text = ngettext("…and {n} more, see /open", "…and {n} more, see /open", left)
    return escape(text.format(n=left))


def fitted(entries: Sequence[str], room: int) -> list[str]:
    """The entries that fit in `room` characters (as Telegram counts them), one a line,
    oldest first; when not all do, a last line says how many more /open shows."""
    lines: list[str] = []
    used = 0
    for entry in entries:
        used += 1 + visible_length(entry)  # its line break, and what it shows
        if used > room:
            break
        lines.append(entry)
    else:
        return lines
    while lines:
        more = _more(len(entries) - len(lines))
        if sum(1 + visible_length(line) for line in lines) + 1 + visible_length(more) <= room:
            break
        lines.pop()
    return [*lines, _more(len(entries) - len(lines))]


def reminder_text(
    sms: Sequence[StoredSms],
    on_duty: Sequence[Person],
    after: float,
    zone: ZoneInfo,
    now: datetime,
    hide_codes: bool = False,
) -> str:
    """One reminder for every SMS of a chat that fell due: what, for how long, who is on.

    However many fell due at once (after an outage, hundreds), it is one message that fits
    Telegram's limit: the oldest SMS are listed, the rest counted.
    """
    minutes = minutes_in_words(after)
    if len(sms) == 1:
        head = _("Nobody took this SMS within {minutes}.").format(minutes=minutes)
    else:
        head = ngettext(
            "{n} SMS nobody took within {minutes}:",
            "{n} SMS nobody took within {minutes}:",
            len(sms),
        ).format(n=len(sms), minutes=minutes)
    # How old first: a reminder may come long after the SMS (relayed late, after an
    # outage), and its notification shows only this line.
    received = [item.received_at for item in sms]
    age = age_text(max(received), now, min(received))
    first = f"<b>{escape(f'⏰ {age} · {head}')}</b>"
    if on_duty:
        people = ", ".join(mention(person) for person in on_duty)
        last = escape(_("On duty:")) + " " + people
    else:
        last = escape(_("Nobody is on duty here. To go on duty: /oncall me"))
    listed: list[str] = []
    if len(sms) > 1:
        entries = [_entry(item, zone, now, hide_codes) for item in sms]
        room = TEXT_LIMIT - visible_length(first) - 1 - visible_length(last)
        listed = fitted(entries, room)
    return "\n".join([first, *listed, last])


class Reminders:
    """Looks for reminders that fell due and sends them, forever, until cancelled."""

    def __init__(
        self,
        store: AsyncStore,
        chats: Chats,
        zone: ZoneInfo,
        after: float,
        *,
        hide_codes: bool = False,
    ) -> None:
        self._store = store
        self._chats = chats
        self._zone = zone
        self._after = after
        self._hide_codes = hide_codes  # HIDE_CODES: codes in the list are spoilers

    async def run(self) -> None:
        while True:
            try:
                await self.remind_due()
            except Exception as error:  # the loop must not end
                log.error("could not send the reminders that fell due", exc_info=error)
            await asyncio.sleep(CHECK_EVERY)

    async def remind_due(self, now: datetime | None = None) -> None:
        """Send every reminder that fell due by `now` (the clock unless given)."""
        now = now or datetime.now(UTC)
        due = await self._store.call(oncall.due_reminders, now)
        by_chat: dict[str, list[DueReminder]] = {}
        for reminder in due:
            by_chat.setdefault(reminder.chat, []).append(reminder)
        for chat, reminders in by_chat.items():
            if await self._remind(chat, reminders, now):
                await self._store.call(oncall.reminded, reminders)

    async def _remind(self, chat: str, reminders: list[DueReminder], now: datetime) -> bool:
        """Send one chat's reminder; False when it should be tried again later."""
        target = self._chats.target(chat)
        if target is None:
            return True  # no longer configured: nobody to remind there
        gateway = self._chats.for_target(target)
        ids = [reminder.smsc_id for reminder in reminders]
        sms = await self._store.call(messages.sms_by_id, ids)
        duty = await self._store.call(oncall.on_duty, str(gateway.configured_id))
        text = reminder_text(sms, duty, self._after, self._zone, now, self._hide_codes)
        try:
            await gateway.send_text(
                text,
                topic_id=target.topic_id,
                reply_to=reminders[0].telegram_message_id,
                retry=True,
            )
        except WriteFailed as failed:
            log.warning("could not remind chat %s of SMS %s: %s", chat, ids, failed)
            # A chat that refuses, or a reminder refused as written: trying again every
            # CHECK_EVERY would refuse the same; the SMS's own message is in the chat.
            return failed.failure.verdict in (Verdict.CHAT_REFUSES, Verdict.MESSAGE_REFUSED)
        log.info("reminded chat %s of SMS %s, nobody took them", chat, ",".join(map(str, ids)))
        return True
