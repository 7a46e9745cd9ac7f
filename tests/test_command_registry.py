"""One registry entry per chat command: the menu, /help, usage and the README agree."""

from __future__ import annotations

import re
from pathlib import Path

from bot.app.features import commands
from bot.chat.dispatcher import bot_commands

COMMANDS = commands()

README = Path(__file__).parent.parent / "README.md"


def readme_chat_commands() -> list[str]:
    """The first column of the README's chat-command table, as written."""
    section = README.read_text("utf-8").split("## Chat commands", 1)[1].split("\n## ", 1)[0]
    cells = re.findall(r"^\| `(/[^`]+)` \|", section, re.MULTILINE)
    return [cell.replace("\\|", "|") for cell in cells]  # "|" is escaped in a table


def test_the_readme_lists_every_offered_command_as_the_registry_spells_it() -> None:
    offered = [command.synopsis() for command in COMMANDS if command.in_menu]
    assert sorted(readme_chat_commands()) == sorted(offered)


def test_the_menu_is_the_registry_in_each_language() -> None:
    menu = [(c.command, c.description) for c in bot_commands(COMMANDS, "en")]
    assert menu == [(c.name, c.summary) for c in COMMANDS if c.in_menu]
    russian = bot_commands(COMMANDS, "ru")
    assert [c.command for c in russian] == [name for name, _ in menu]
    assert all(ru.description != en for ru, (_, en) in zip(russian, menu, strict=True))


def test_names_are_unique_and_what_telegram_accepts() -> None:
    names = [command.name for command in COMMANDS]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9_]{1,32}", name) for name in names)
    assert all(3 <= len(c.summary) <= 256 for c in COMMANDS)


def test_every_command_with_arguments_says_how_to_write_them() -> None:
    for command in COMMANDS:
        if command.args:
            answer = command.usage_answer()
            assert answer.startswith(f"Usage: {command.synopsis()}. Try: /{command.name}")
            assert "\n" not in answer and len(command.examples) >= 2
