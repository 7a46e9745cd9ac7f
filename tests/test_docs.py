"""docs/reliability.md names the test behind each guarantee: every one it names exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_every_test_the_reliability_map_names_exists() -> None:
    text = (ROOT / "docs" / "reliability.md").read_text("utf-8")
    missing = []
    for path, name in set(re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", text)):
        source = ROOT / path
        if not source.exists():
            missing.append(path)
            continue
        tree = ast.parse(source.read_text("utf-8"))
        defined = {
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        if name and name not in defined:
            missing.append(f"{path}::{name}")
    assert missing == []
