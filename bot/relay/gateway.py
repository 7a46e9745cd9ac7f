"""Every write into one Telegram chat goes through that chat's `ChatGateway`.

Telegram limits how fast a bot writes into one chat (about a message a second, and a 429
with `retry_after` past that) and counts edits like sends. If relayed SMS, command answers,
notices and edits each kept their own pace, together they would break the limit. So each
chat has one gateway, built in the wiring, and it alone:

- knows the chat's current ID: a group that becomes a supergroup gets a new one, which
  Telegram tells us once (`ChatMigrated`); the gateway switches, remembers it through
  `on_migrated`, and repeats the call there (nothing was posted in the old chat);
- grants turns through its `bot.relay.chat_pace.ChatPace`: one write at a time, a second apart, in
  a group within Telegram's 20 a minute, none before a `retry_after`, edits after the
  other writes;
- turns every failure into `WriteFailed`, carrying what `bot.core.telegram_errors` says it
  means (a refusal of the chat, or of this one message only), and remembers the last one
  for /status.

Whether to try again is the caller's choice: the relay keeps an SMS queued and decides
itself; answers and notices pass `retry=True`, which repeats a write only when Telegram
certainly did not show it (a 429), so a retry can never post twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, BinaryIO, TypeVar

from telegram import (
    ForceReply,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.ext import ExtBot

from bot.core.telegram_errors import SendFailure, Verdict, classify_send_error
from bot.core.timekeeping import SYSTEM_CLOCK, Clock
from bot.relay.chat_pace import GROUP_WINDOW, SEND_SPACING, ChatPace

RETRY_AFTER_MARGIN = 0.05  # sleep timers may fire a hair early; never be early after a 429
UPLOAD_TIMEOUT = 300.0  # seconds to send a file: up to 50 MB on a slow uplink
CERTAIN_RETRIES = 3  # `retry=True`: tries in all while Telegram answers 429
MAX_MOVES_FOLLOWED = 2  # a chat that keeps "moving" is a loop, not a migration
_ABOUT_ONE_MESSAGE = (Verdict.MESSAGE_REFUSED, Verdict.UNCHANGED)  # the chat is fine

T = TypeVar("T")
OnMigrated = Callable[[int, int], Awaitable[None]]  # (configured chat ID, new chat ID)


class WriteFailed(Exception):
    """A write into a chat did not go through; `failure` says what that means."""

    def __init__(self, failure: SendFailure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


async def _forget_migration(configured: int, moved_to: int) -> None:
    """The default `on_migrated`: keep the new ID in memory only."""


class ChatGateway:
    """The one way to write into one Telegram chat: paced, migration-aware, classified."""

    def __init__(
        self,
        chat_id: int,
        bot: ExtBot[Any],
        *,
        spacing: float = SEND_SPACING,
        group_window: tuple[int, float] = GROUP_WINDOW,
        moved_to: int | None = None,
        on_migrated: OnMigrated = _forget_migration,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.configured_id = chat_id
        self.chat_id = moved_to if moved_to is not None else chat_id
        self.title: str | None = None  # the chat's name, once Telegram told us
        self.last_error: str | None = None
        self._bot = bot
        self._on_migrated = on_migrated
        self._pace = ChatPace(spacing, group_window if chat_id < 0 else None, clock)

    def wait_needed(self) -> float:
        """Seconds until this chat may get a write (see `ChatPace.wait_needed`)."""
        return self._pace.wait_needed()

    def answers_to(self, chat_id: int) -> bool:
        """Whether a message from `chat_id` comes from this chat (before or after a move)."""
        return chat_id in (self.configured_id, self.chat_id)

    # -- the writes --------------------------------------------------------------------

    async def send_text(
        self,
        text: str,
        *,
        topic_id: int | None = None,
        html: bool = True,
        reply_to: int | None = None,
        markup: InlineKeyboardMarkup | ForceReply | None = None,
        silent: bool = False,
        retry: bool = False,
    ) -> Message:
        """Post a text message; raises WriteFailed."""

        def send(chat_id: int) -> Awaitable[Message]:
            return self._bot.send_message(
                chat_id=chat_id,
                text=text,
                message_thread_id=topic_id,
                parse_mode=ParseMode.HTML if html else None,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                reply_parameters=_reply_to(reply_to),
                reply_markup=markup,
                disable_notification=silent,
            )

        return await self._write(send, retry=retry)

    async def edit_text(
        self, message_id: int, text: str, *, markup: InlineKeyboardMarkup | None = None
    ) -> None:
        """Replace a message's text and buttons, yielding to other writes; raises WriteFailed.

        An edit to what the message already shows is a success, not a failure.
        """

        def edit(chat_id: int) -> Awaitable[Any]:
            return self._bot.edit_message_text(
                text=text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                reply_markup=markup,
            )

        try:
            await self._write(edit, retry=True, edit=True)
        except WriteFailed as failed:
            if failed.failure.verdict is not Verdict.UNCHANGED:
                raise

    async def send_document(
        self,
        content: bytes | BinaryIO,
        filename: str,
        *,
        caption: str,
        topic_id: int | None = None,
        reply_to: int | None = None,
        retry: bool = False,
    ) -> Message:
        """Post a file with a plain-text caption; raises WriteFailed.

        `content` is the bytes, or an open file streamed from its start (read as it is
        sent, not into memory: an export may hold tens of megabytes).
        """

        def send(chat_id: int) -> Awaitable[Message]:
            return self._bot.send_document(
                chat_id=chat_id,
                document=_upload(content, filename),
                caption=caption,
                message_thread_id=topic_id,
                reply_parameters=_reply_to(reply_to),
                write_timeout=UPLOAD_TIMEOUT,
            )

        return await self._write(send, retry=retry)

    async def send_photo(
        self,
        content: bytes,
        *,
        caption: str,
        topic_id: int | None = None,
        reply_to: int | None = None,
        retry: bool = False,
    ) -> Message:
        """Post a picture (shown in the chat) with a plain-text caption; raises WriteFailed."""

        def send(chat_id: int) -> Awaitable[Message]:
            return self._bot.send_photo(
                chat_id=chat_id,
                photo=content,
                caption=caption,
                message_thread_id=topic_id,
                reply_parameters=_reply_to(reply_to),
            )

        return await self._write(send, retry=retry)

    async def _write(
        self, call: Callable[[int], Awaitable[T]], *, retry: bool, edit: bool = False
    ) -> T:
        """Make the call in this chat's turn; repeat it where nothing can have been posted."""
        retries_left = CERTAIN_RETRIES - 1 if retry else 0
        moves_left = MAX_MOVES_FOLLOWED
        while True:
            await self._pace.take_turn(edit=edit)
            try:
                result = await call(self.chat_id)
            except Exception as error:
                failure = classify_send_error(error)
                if failure.verdict not in _ABOUT_ONE_MESSAGE:  # /status: why the chat waits
                    self.last_error = failure.reason
                if failure.wait is not None:
                    self._pace.block(failure.wait + RETRY_AFTER_MARGIN)
                if failure.verdict is Verdict.MIGRATED and failure.new_chat_id is not None:
                    await self._follow(failure.new_chat_id)
                    if moves_left > 0:  # refused in the old chat: posting there is safe
                        moves_left -= 1
                        continue
                elif retries_left > 0 and failure.wait is not None:  # a 429: not posted
                    retries_left -= 1
                    continue
                raise WriteFailed(failure) from error
            self.last_error = None
            return result

    async def _follow(self, new_chat_id: int) -> None:
        self.chat_id = new_chat_id
        await self._on_migrated(self.configured_id, new_chat_id)

    # -- turns -------------------------------------------------------------------------


def _upload(content: bytes | BinaryIO, filename: str) -> InputFile:
    """A file to upload; an open file is read from its start, as it is sent."""
    if isinstance(content, bytes):
        return InputFile(content, filename=filename)
    content.seek(0)  # a repeated try sends it whole again
    return InputFile(content, filename=filename, read_file_handle=False)


def _reply_to(message_id: int | None) -> ReplyParameters | None:
    if message_id is None:
        return None
    # An answer to a command that was deleted meanwhile still goes out, just not as a reply.
    return ReplyParameters(message_id=message_id, allow_sending_without_reply=True)
