"""The lines between the parts, read from the imports: a test fails when one is crossed.

- `state/` knows nothing of Telegram, SMSC or HTTP: it is the store, and nothing else.
- Chat commands reach chats through the gateways (`bot.chats`), never the relay's loop.
- Only `bot/smsc/` speaks SMSC: other modules use the `bot.inbox` protocol and the
  errors' policies, never SMSC's error numbers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports (absolute names; relative imports are not used here)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def crossing(paths: list[Path], forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    """Per module, the imports of `forbidden` modules (or of their submodules)."""
    crossed = {
        str(path.relative_to(ROOT)): sorted(
            name
            for name in imports_of(path)
            if any(name == f or name.startswith(f + ".") for f in forbidden)
        )
        for path in paths
    }
    return {path: names for path, names in crossed.items() if names}


def test_the_store_knows_nothing_of_telegram_smsc_or_http() -> None:
    assert crossing(modules("state"), ("bot", "telegram", "httpx", "aiohttp")) == {}


def test_chat_commands_never_reach_into_the_relay() -> None:
    assert crossing(modules("bot/commands"), ("bot.relay", "bot.delivery_plan")) == {}


@pytest.mark.parametrize("module", ["bot.smsc.errors", "bot.smsc.reply"])
def test_only_the_smsc_package_reads_smsc_error_numbers_and_replies(module: str) -> None:
    outside = [p for p in modules("bot") if "smsc" not in p.relative_to(ROOT).parts]
    assert crossing(outside, (module,)) == {}
