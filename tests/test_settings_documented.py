"""Every setting is documented once each in `.env.example`, the README and the settings class,
with the same default in all three: a user reading either file sees what the code does."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic_core import PydanticUndefined

from bot.app.settings import Settings

ROOT = Path(__file__).parent.parent
REQUIRED = object()


def code_defaults() -> dict[str, Any]:
    """Each setting's default as the settings class has it (REQUIRED when there is none)."""
    defaults: dict[str, Any] = {}
    for name, field in Settings.model_fields.items():
        if field.default is PydanticUndefined and field.default_factory is None:
            defaults[name.upper()] = REQUIRED
        elif field.default_factory is not None:
            defaults[name.upper()] = field.default_factory()  # type: ignore[call-arg]
        else:
            defaults[name.upper()] = field.default
    return defaults


def as_written(value: Any) -> str:
    """A default as a user writes it in .env: `30`, `false`, `data/bridge.db`, or empty."""
    if value is None or value is REQUIRED or value == []:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def env_example() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text("utf-8").splitlines()
    pairs = [line.split("=", 1) for line in lines if re.match(r"^[A-Z_]+=", line)]
    return dict(pairs)


def readme_settings() -> dict[str, str]:
    """The README's settings table: variable -> the default column, backticks removed."""
    section = (ROOT / "README.md").read_text("utf-8").split("## Settings", 1)[1]
    table = [line for line in section.split("\n## ", 1)[0].splitlines() if line.startswith("|")]
    rows: dict[str, str] = {}
    for line in table[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        names = re.findall(r"`([A-Z_]+)`", cells[0])
        defaults = [d.strip().strip("`") for d in cells[1].split(" / ")]
        if len(defaults) != len(names):
            defaults = [cells[1].strip("`")] * len(names)
        rows.update(zip(names, defaults, strict=True))
    return rows


def test_the_same_settings_everywhere() -> None:
    assert sorted(env_example()) == sorted(code_defaults())
    assert sorted(readme_settings()) == sorted(code_defaults())


def test_env_example_values_are_the_defaults_or_empty() -> None:
    example = env_example()
    for name, default in code_defaults().items():
        assert example[name] in ("", as_written(default)), name


def test_the_readme_states_each_default_as_the_code_has_it() -> None:
    readme = readme_settings()
    for name, default in code_defaults().items():
        if default is REQUIRED:
            assert readme[name] == "required", name
        elif as_written(default):
            assert readme[name] == as_written(default), name
        else:  # no value: the README says what happens instead ("empty", "off", a rule)
            assert readme[name] not in ("", "required"), name
