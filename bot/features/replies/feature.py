"""The running replies feature: on when SMS_REPLY_USER_IDS names who may send.

It holds the sending side (`Replies`) and its follow-up (`Tracking`, a task that writes
into chats, so it starts once Telegram answers, first showing the sends a crash left
mid-way), adds the day's count and the balance to /status, and closes its SMSC client
at shutdown. It owns the checks before a preview, the same for /sms and for a reply to
a relayed SMS (`may_send`, `why_not`): who may send, and what may go today.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.chat.feature import CoreParts, Feature, Task
from bot.features.replies.compose import why_not_text
from bot.features.replies.flow import Replies
from bot.features.replies.tracking import Tracking
from bot.smsc.credentials import SmscCredentials
from bot.smsc.currency import account_currency
from bot.smsc.parts import sms_parts
from bot.smsc.send_api import SmscOutbox
from bot.text.formatting import escape
from bot.text.i18n import _, money


class RepliesSettings(Protocol):
    """The settings replies read."""

    @property
    def sms_reply_user_ids(self) -> list[int]: ...
    @property
    def smsc_base_url(self) -> str: ...
    @property
    def display_zone(self) -> ZoneInfo: ...
    @property
    def sms_sender(self) -> str | None: ...
    @property
    def sms_daily_limit(self) -> int: ...
    def smsc_auth(self) -> SmscCredentials: ...


def sent_today_line(used: int, limit: int, balance: str | None, currency: str | None) -> str:
    """/status's line (HTML): parts sent today against the limit, and the last balance."""
    sent = _("SMS parts sent today: {used} of {limit}").format(used=used, limit=limit)
    if balance:
        sent += " · " + _("balance {balance}").format(balance=money(balance, currency))
    return escape(sent)


@dataclass
class RepliesFeature(Feature):
    """The sending side, its follow-up, and the checks before a preview."""

    replies: Replies
    tracking: Tracking
    interrupted_sends: Sequence[int] = ()
    name: str = "replies"

    def refusal(self, user_id: int) -> str | None:
        """Why this user may not send, or None when they may (SMS_REPLY_USER_IDS)."""
        if self.replies.may_send(user_id):
            return None
        return _("Only people the admin allowed may send SMS; ask the admin to add you.")

    async def why_not(self, text: str) -> str | None:
        """Why `text` cannot go as an SMS now (nothing to send, too long, over the day's
        limit), or None."""
        return why_not_text(text) or await self.replies.over_limit(sms_parts(text).count)

    def tasks(self) -> Sequence[Task]:
        async def track() -> None:
            await self.tracking.run(show_first=self.interrupted_sends)

        return [Task("sms-tracking", track, with_telegram=True)]

    async def status_lines(self) -> list[str]:
        replies = self.replies
        used, balance = await replies.today(), await replies.last_balance()
        return [sent_today_line(used, replies.daily_limit, balance, replies.currency)]

    async def stop(self) -> None:
        await self.replies.outbox.aclose()


def build(settings: RepliesSettings, core: CoreParts) -> RepliesFeature | None:
    if not settings.sms_reply_user_ids:
        return None
    outbox = SmscOutbox(settings.smsc_base_url, settings.smsc_auth())
    replies = Replies(
        store=core.store,
        outbox=outbox,
        chats=core.chats,
        zone=settings.display_zone,
        user_ids=set(settings.sms_reply_user_ids),
        sender_name=settings.sms_sender,
        daily_limit=settings.sms_daily_limit,
        currency=account_currency(settings.smsc_base_url),
    )
    return RepliesFeature(replies, Tracking(replies), core.interrupted_sends)
