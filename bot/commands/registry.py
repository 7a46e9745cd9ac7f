"""One entry per chat command; the menu, /help, usage answers and handlers derive from it.

Adding a command is one `ChatCommand` in the module that holds its handler, listed in
`bot.commands.COMMANDS`, and one test file. Nothing else keeps a list of commands, so the
menu Telegram shows, /help and the handlers cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import Enum
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


class Access(Enum):
    """Who may use a command."""

    MEMBERS = "members"  # the configured chats, and the allowed users in a private chat


class UsageError(Exception):
    """A command's arguments are wrong; the message (maybe empty) says why."""


@dataclass(frozen=True)
class ChatCommand:
    name: str
    summary: str  # one line: the command menu and /help
    handler: Handler
    args: str = ""  # the arguments' shape, as the README writes it: "TEXT [WINDOW]"
    usage: str = ""  # what to type, with an example: the answer to bad arguments
    access: Access = Access.MEMBERS
    in_menu: bool = True  # /start is answered but not offered

    @property
    def synopsis(self) -> str:
        """The command with its arguments: `/search TEXT [WINDOW]`."""
        return f"/{self.name} {self.args}".rstrip()

    def usage_answer(self, reason: str = "") -> str:
        """The answer to arguments that could not be read."""
        usage = f"Usage: {self.usage}" if self.usage else f"/{self.name} takes no arguments."
        return f"{reason}\n{usage}" if reason else usage
