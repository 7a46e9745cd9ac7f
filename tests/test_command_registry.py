"""One registry entry per chat command: the menu, /help, usage and the README agree."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app.features import commands
from bot.chat.commands.about import help_text
from bot.chat.dispatcher import bot_commands
from tests.fakes.telegram import parse_telegram_html

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


def help_lines(**where: bool) -> list[str]:
    now = datetime(2026, 11, 28, 0, 10, tzinfo=UTC)
    text = help_text(COMMANDS, zone=ZoneInfo("Europe/Moscow"), now=now, **where)
    return parse_telegram_html(text).splitlines()


def test_help_first_says_how_to_take_an_sms_and_how_to_answer_one() -> None:
    lines = help_lines(relayed_here=True, takes=True, replies=True)
    assert lines[1].startswith("✋ Tap Take under an SMS")
    assert lines[2].startswith("↩️ Reply to an SMS to answer its sender by SMS")
    assert any(line.startswith("/sms ") for line in lines)
    assert any(line.startswith("/oncall ") for line in lines)


def test_help_with_replies_off_neither_offers_sms_nor_says_to_reply() -> None:
    lines = help_lines(relayed_here=True, takes=True, replies=False)
    assert not any(line.startswith("/sms") or "Reply to an SMS" in line for line in lines)
    assert lines[1].startswith("✋ Tap Take")


def test_help_in_a_private_chat_leaves_out_oncall_and_the_take_button() -> None:
    lines = help_lines(relayed_here=True, private=True, takes=True, replies=True)
    assert not any(line.startswith("/oncall") or "Tap Take" in line for line in lines)
    assert lines[1].startswith("↩️ Reply to an SMS")
    stranger = help_lines(relayed_here=False, private=True, takes=True, replies=True)
    assert not any("Reply to an SMS" in line for line in stranger)  # no SMS come there
