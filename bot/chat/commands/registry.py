"""One entry per chat command; the menu, /help, usage answers and handlers derive from it.

Adding a command is one `ChatCommand` in the module that holds its handler, listed in
`bot.chat.dispatcher.COMMANDS`, and one test file. Nothing else keeps a list of commands, so the
menu Telegram shows, /help and the handlers cannot drift apart. Texts are written in
English and marked `N_`; they are translated where they are shown (`bot.text.i18n`).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import Enum
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.text.i18n import _

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


class Access(Enum):
    """Who may use a command."""

    MEMBERS = "members"  # the configured chats, and the allowed users in a private chat


class UsageError(Exception):
    """A command's arguments are wrong; the message (maybe empty) says why, in one line."""


@dataclass(frozen=True)
class ChatCommand:
    name: str
    summary: str  # one line, N_-marked: the command menu and /help
    handler: Handler
    args: str = ""  # the arguments' shape, N_-marked, as the README writes it: TEXT [WINDOW]
    examples: tuple[str, ...] = ()  # N_-marked; two or three, shown with a bad argument
    access: Access = Access.MEMBERS
    in_menu: bool = True  # /start is answered but not offered

    def synopsis(self) -> str:
        """The command with its arguments, in the interface language: `/search TEXT [WINDOW]`."""
        return f"/{self.name} {_(self.args)}".rstrip() if self.args else f"/{self.name}"

    def usage_answer(self, reason: str = "") -> str:
        """One line for arguments that could not be read: why, and what to try."""
        examples = ", ".join(_(example) for example in self.examples)
        if reason:
            return _("{reason}. Try: {examples}").format(reason=reason, examples=examples)
        return _("Usage: {synopsis}. Try: {examples}").format(
            synopsis=self.synopsis(), examples=examples
        )
