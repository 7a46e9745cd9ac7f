"""The lines between the parts, read from the imports: a test fails when one is crossed.

The packages are layers, in the order an SMS travels and then the chat side
(docs/architecture.md draws it): a module imports only from its own package or from a
layer below it. So `state/` knows nothing of Telegram, SMSC or HTTP; the relay and the
chat commands know no feature; a feature may use everything but another feature and the
application that wires them. No module imports itself back through others, even from
inside a function.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LAYERS = [
    "state",  # the SQLite store: schema, migrations, the queries
    "bot.text",  # how text reads: translations, escaping, times (pure)
    "bot.core",  # shared by every part: database handle, health, alerts, the Inbox protocol
    "bot.smsc",  # the one SMSC client: inbox, send, status, errors
    "bot.routing",  # which chats get an SMS
    "bot.intake",  # the poller: SMSC's inbox into the store
    "bot.relay",  # the store into the chats
    "bot.chat",  # commands and presses, answered in the chat
    "bot.features",  # optional features, one package each
    "bot.app",  # settings, wiring, lifecycle
    "bot.cli",  # the command line
]

# What stage two of the reshaping (issue 17) removes: the dispatcher and the relay still
# name features directly. Each pair is (module, imported package).
NOT_YET: set[tuple[str, str]] = {
    ("bot.chat.dispatcher", "bot.features.oncall"),
    ("bot.chat.dispatcher", "bot.features.replies"),
    ("bot.chat.context", "bot.features.oncall"),
    ("bot.chat.context", "bot.features.replies"),
    ("bot.chat.presses", "bot.features.oncall"),
    ("bot.chat.answers", "bot.features.replies"),
    ("bot.relay.relay", "bot.features.oncall"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def our_modules() -> dict[str, Path]:
    paths = [*(ROOT / "bot").rglob("*.py"), *(ROOT / "state").rglob("*.py")]
    return {module_name(path): path for path in sorted(paths)}


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, wherever the import statement is (absolute names)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def layer_of(module: str) -> int | None:
    for rank, layer in enumerate(LAYERS):
        if module == layer or module.startswith(layer + "."):
            return rank
    return None


def feature_of(module: str) -> str | None:
    parts = module.split(".")
    return ".".join(parts[:3]) if parts[:2] == ["bot", "features"] and len(parts) > 2 else None


def crossings() -> Iterator[tuple[str, str]]:
    modules = our_modules()
    for module, path in modules.items():
        own = layer_of(module)
        if own is None:
            continue
        for name in imports_of(path):
            other = layer_of(name)
            if other is None or (name not in modules and name.rsplit(".", 1)[0] not in modules):
                continue
            upward = other > own
            across = feature_of(name) not in (None, feature_of(module)) and own == other
            if upward or across:
                yield module, feature_of(name) or LAYERS[other]


def test_every_module_is_in_a_layer() -> None:
    outside = [m for m in our_modules() if layer_of(m) is None and m not in ("bot", "bot.__main__")]
    assert outside == []


def test_no_module_imports_from_a_layer_above_it_or_from_another_feature() -> None:
    crossed = sorted(set(crossings()) - NOT_YET)
    assert crossed == []


def test_the_pairs_still_to_remove_are_still_there() -> None:
    """NOT_YET lists only crossings that exist, so a removed one is noticed and struck off."""
    assert set(crossings()) >= NOT_YET


def import_graph() -> dict[str, set[str]]:
    modules = our_modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = set()
        for name in imports_of(path):
            if name in modules:
                targets.add(name)
            elif name.rsplit(".", 1)[0] in modules:
                targets.add(name.rsplit(".", 1)[0])  # `from package import name`
        graph[module] = targets - {module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.xfail(
    reason="issue 17 stage two removes the presses/context/replies cycle", strict=True
)
def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_the_store_knows_nothing_of_telegram_smsc_or_http() -> None:
    for module, path in our_modules().items():
        if module.startswith("state"):
            named = {n.split(".")[0] for n in imports_of(path)}
            assert not named & {"bot", "telegram", "httpx", "aiohttp"}, module


@pytest.mark.parametrize("module", ["bot.smsc.errors", "bot.smsc.responses"])
def test_only_the_smsc_package_reads_smsc_error_numbers_and_replies(module: str) -> None:
    readers = [
        name
        for name, path in our_modules().items()
        if not name.startswith("bot.smsc") and any(i.startswith(module) for i in imports_of(path))
    ]
    assert readers == []
