"""Button kinds: each reads back what it writes, and no two share a prefix.

A button's data outlives the process that wrote it (a message keeps its button for as
long as it stays in the chat), so what a kind writes must read back to the same value,
fit Telegram's 64 bytes, and route to that kind alone.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.app.features import button_kinds
from bot.chat.button_kinds import ButtonKind, ButtonKinds, prefix_of
from bot.features.oncall.buttons import Press

KINDS = button_kinds()
REGISTRY = ButtonKinds(KINDS)


@pytest.mark.parametrize(
    ("kind", "value"),
    [(kind, value) for kind in KINDS for value in kind.examples],
    ids=lambda item: item.prefix if isinstance(item, ButtonKind) else repr(item),
)
def test_every_kind_reads_back_what_it_writes_and_routes_to_itself(
    kind: ButtonKind[Any], value: object
) -> None:
    data = kind.write(value)
    assert prefix_of(data) == kind.prefix
    assert len(data.encode("utf-8")) <= 64
    assert kind.read(data) == value
    assert REGISTRY.read(data) == (kind, value)


def test_no_two_kinds_share_a_prefix_and_every_kind_says_its_format() -> None:
    prefixes = [kind.prefix for kind in KINDS]
    assert len(prefixes) == len(set(prefixes))
    assert all(kind.shape.startswith(kind.prefix + ":") and kind.examples for kind in KINDS)
    assert sorted(prefixes) == ["r", "rd", "sms", "t", "td", "um"]


def test_the_registry_refuses_a_second_kind_with_a_taken_prefix() -> None:
    take = next(kind for kind in KINDS if kind.prefix == "t")
    with pytest.raises(ValueError, match="'t'"):
        ButtonKinds([*KINDS, take])


def test_the_longest_digest_button_still_fits_telegrams_limit() -> None:
    """SMSC IDs have at most 19 digits: a digest's two of them and its verb fit."""
    longest = Press(take=False, first=10**18, last=10**19 - 1)
    data = longest.data()
    assert len(data) <= 64 and REGISTRY.read(data) is not None


@pytest.mark.parametrize("data", [None, "", "garbage:x", "t:", "t:x", "td:9:7", "sms:burn:1", "x"])
def test_data_no_kind_reads_is_no_press_of_ours(data: str | None) -> None:
    assert REGISTRY.read(data) is None
