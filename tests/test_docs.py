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


def anchors(markdown: str) -> set[str]:
    """The anchors GitHub makes of a page's headings (code blocks hold no headings)."""
    found = set()
    outside = True
    for line in markdown.splitlines():
        if line.startswith("```"):
            outside = not outside
        elif outside and (heading := re.match(r"#{1,6} (.+)", line)):
            words = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower())
            found.add(words.replace(" ", "-"))
    return found


def test_every_link_between_the_readme_and_the_docs_leads_somewhere() -> None:
    """The README points at pages under docs/ and they at each other: every such link
    names a file that exists and, after `#`, a heading it has."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text("utf-8")):
            if re.match(r"[a-z]+:", target):
                continue  # https://, mailto:
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            found = linked.exists() and (not anchor or anchor in anchors(linked.read_text("utf-8")))
            if not found:
                broken.append(f"{page.name}: {target}")
    assert broken == []
