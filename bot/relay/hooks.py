"""What a feature adds to relaying, without the relay knowing the feature: delivery hooks.

A feature that puts something on relayed messages (take buttons) or keeps something of
them (a reminder's due time) gives the relay a `DeliveryHook`. The relay asks each hook,
for each message:

1. `reserve`: how many characters to keep free in each part, for what the hook adds
   later (a "taken by" line edited in after a press);
2. `leaving`: the message as it leaves, after its deliveries are marked SENDING: the hook
   may change the parts' text and put markup on the first part;
3. `booked`: inside the one transaction that marks the deliveries sent
   (`deliveries.mark_sent`),
   on the store's thread: the hook's rows are written with the delivery or not at all, so
   a crash between Telegram's answer and the commit leaves neither, and the retry writes
   them once;
4. `delivered`: after that commit, to catch up with what changed while the message was
   on its way. Best effort: the SMS is delivered whatever a hook does here.

A repeat (a route's `collapse`, `bot.relay.repeats`) makes no message: it is counted in
one already shown, whose text then changes. For it the relay asks each hook
`ends_run` (may this message take no more repeats: the take buttons say so once one of
its SMS is taken), `recounted` (in the transaction that books the repeat: the message's
new text, for a hook that keeps it), and, when the count is edited in, `reshowing` (what
the hook puts on the message again: the take button, who took it).

A hook subclasses `DeliveryHook` and takes the defaults (nothing added, nothing kept) for
the steps it has no part in. At most one hook changes what a message shows: a message has
one markup, and what `delivered` compares is the whole message as sent.

Hooks are asked in the features' order, each `leaving` handed what the one before gave.
A hook may ask for a message without a notification sound (`silent`, which the routes'
say starts), or mute it (`muted`: a silence from the chat, `/mute`): a muted message goes
without a sound and with nothing that calls people (no markup), so the hooks after it add
no button and keep no reminder for it (`Sent.muted` tells `booked` and `delivered`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from telegram import InlineKeyboardMarkup

from bot.routing.targets import ChatTarget
from state import Store


@dataclass(frozen=True)
class Outgoing:
    """A message as it is about to leave: its parts (HTML), the markup on the first, and
    whether it goes without a notification sound."""

    target: ChatTarget
    ids: tuple[int, ...]  # the SMS it carries: one, or a digest's several
    texts: tuple[str, ...]
    markup: InlineKeyboardMarkup | None = None
    silent: bool = False  # disable_notification: the routes' say (silent, quiet hours)
    muted: bool = False  # a silence covers it: no sound, no button, no reminder


@dataclass(frozen=True)
class Sent:
    """A message Telegram accepted, as the relay books it."""

    target: ChatTarget
    ids: tuple[int, ...]
    message_id: int  # Telegram's ID of its first part, which carries the markup
    base_html: str  # the first part as the relay made it, before any hook changed it
    sent_html: str  # the first part as it went (escaped, if it had to go as plain text)
    markup: InlineKeyboardMarkup | None
    at: datetime  # when Telegram's answer came
    muted: bool = False  # it left muted (`Outgoing.muted`)


class DeliveryHook(Protocol):
    """A feature's part in relaying a message; see the module's docstring for when each
    step is called."""

    def reserve(self, target: ChatTarget) -> int:
        """Characters kept free in each part of a message to `target`."""
        return 0

    async def leaving(self, message: Outgoing) -> Outgoing:
        """The message as it leaves."""
        return message

    def booked(self, store: Store, sent: Sent) -> None:
        """Write what is kept of `sent`, in the transaction that books it sent."""
        return  # a body, not a stub: a hook that keeps nothing takes this one

    async def delivered(self, sent: Sent) -> None:
        """After the booking committed."""
        return

    def ends_run(self, store: Store, target: ChatTarget, ids: tuple[int, ...]) -> bool:
        """Whether the message carrying `ids` in `target` takes no more repeats."""
        return False

    def recounted(
        self, store: Store, target: ChatTarget, telegram_message_id: int, base_html: str
    ) -> None:
        """A repeat was counted into a message: `base_html` is what it shows now (before any
        hook's text). In the transaction that books the repeat."""
        return

    async def reshowing(self, message: Outgoing, telegram_message_id: int) -> Outgoing:
        """A booked message as an edit shows it again, with its count of repeats."""
        return message
