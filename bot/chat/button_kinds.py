"""One entry per kind of button; a press finds its handler by the prefix of its data.

A button's data is what the client sends back, 64 bytes at most, and any client can send
any: so each kind writes and reads its own format (`write`, `read`: a press whose data
does not read is answered "no longer works", never guessed at), says who may press it
(`who`), and handles what it read. The prefix is the data's first field, before ":";
no two kinds share one (`ButtonKinds` refuses), so no press can reach the wrong handler,
and a kind added later never changes how older buttons route. Data formats never change
either: a button stays in a chat for as long as its message does, across restarts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from telegram import CallbackQuery
from telegram.ext import ContextTypes

P = TypeVar("P")


async def anyone(_context: ContextTypes.DEFAULT_TYPE, _value: object, _user_id: int) -> None:
    """Anyone in the chat may press; the handler checks what only the data can tell."""
    return


@dataclass(frozen=True)
class ButtonKind(Generic[P]):
    """One kind of button: its data's prefix and format, and what a press on it does."""

    prefix: str  # the data's first field: "t" for `t:7`
    shape: str  # the format, as the docs write it: `t:SMSC_ID`
    write: Callable[[P], str]
    read: Callable[[str], P | None]  # None: not this kind's data, or unreadable
    handler: Callable[[CallbackQuery, P, ContextTypes.DEFAULT_TYPE], Awaitable[None]]
    examples: tuple[P, ...]  # values every test writes and reads back
    # Who may press: None when this user may, else the pop-up that says who may.
    who: Callable[[ContextTypes.DEFAULT_TYPE, P, int], Awaitable[str | None]] = anyone


def prefix_of(data: str) -> str:
    return data.partition(":")[0]


class ButtonKinds:
    """The registry: each kind by its prefix."""

    def __init__(self, kinds: Sequence[ButtonKind[Any]] = ()) -> None:
        self._kinds: dict[str, ButtonKind[Any]] = {}
        for kind in kinds:
            if kind.prefix in self._kinds or ":" in kind.prefix or not kind.prefix:
                raise ValueError(f"button prefix {kind.prefix!r} is taken or malformed")
            self._kinds[kind.prefix] = kind

    def read(self, data: str | None) -> tuple[ButtonKind[Any], Any] | None:
        """The kind a press's data belongs to and what it reads as; None if no kind
        reads it."""
        kind = self._kinds.get(prefix_of(data or ""))
        if kind is None or data is None:
            return None
        value = kind.read(data)
        return None if value is None else (kind, value)
