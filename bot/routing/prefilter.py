"""A route pattern's prefilter: words any match must contain, looked for without a timer.

A route's pattern runs with a time limit (`bot.routing.routes`), and `regex` keeps that
limit by reading the process's CPU clock, a system call, twice a search: on this
machine 3 to 4 µs of the 4.5 a timed search took, against under 1 µs untimed. A catch-up
of a million SMS through 10 such patterns spent some 40 s reading the clock. Most SMS
are ruled out by a word alone: `(?i)pressure \\d+\\.\\d bar` cannot match a text without
"pressure" in it. So each pattern gets, where one can be read from it, a prefilter: an
alternation of the literal runs of which every match holds at least one, searched
untimed (a literal search has no backtracking to run away with), and only a text that
passes it is searched with the real pattern, timed. What a pattern matches is unchanged.

The literals are read from Python's own parse of the pattern (`re._parser`, the syntax
routes are written in and checked by); the prefilter runs in `regex` with the same case
rule as where each run stands, so it folds case exactly as the pattern does. Where `re`
and `regex` could read a pattern differently it gets no prefilter: a literal brace or
bracket (`{e<=1}` is fuzzy matching in `regex`, `[[:alpha:]]` a class), verbose mode
(`regex` skips more kinds of white space), ASCII or locale rules. The parser is
private to the standard library: if it is missing or fails on a pattern, that pattern
has no prefilter, and routing is as before, only slower.
"""

from __future__ import annotations

import importlib
import re
import warnings
from collections.abc import Iterable
from itertools import chain
from typing import Any

import regex

MIN_LITERAL = 2  # a one-character run is in nearly every text: it would only cost
_GUARDED = frozenset(map(ord, "{}[]"))  # literal in `re`, syntax in `regex`: see above
_UNCERTAIN_FLAGS = re.VERBOSE | re.ASCII | re.LOCALE

Literal = tuple[str, bool]  # a run of characters, and whether it matches in any case
Requirement = frozenset[Literal]  # every match holds one of these


class _NoPrefilter(Exception):
    """The pattern holds something `re` and `regex` may read differently."""


def literal_prefilter(pattern: str) -> regex.Pattern[str] | None:
    """The untimed search a text must pass before `pattern` can match it; None when no
    literal can be read from the pattern (then every text goes to the pattern)."""
    try:
        parser: Any = importlib.import_module("re._parser")
        with warnings.catch_warnings():  # said once already, when the route was checked
            warnings.simplefilter("ignore")
            parsed = parser.parse(pattern)
        if parsed.state.flags & _UNCERTAIN_FLAGS:
            return None
        constants: Any = importlib.import_module("re._constants")
        reader = _Reader(constants)
        required = reader.sequence(parsed.data, bool(parsed.state.flags & re.IGNORECASE))
    except _NoPrefilter:
        return None
    except Exception:  # the private parser changed or failed: no prefilter, same routing
        return None
    if required is None or _strength(required) < MIN_LITERAL:
        return None
    return regex.compile("|".join(_fragment(text, fold) for text, fold in sorted(required)))


def prefilter_decides(pattern: str) -> bool:
    """Whether the prefilter's answer is the pattern's own, so no timed search need follow
    it: the pattern is nothing but a run of characters, or a choice of such runs (in one
    group at most), as `(?i)invoice|счёт` is. Its prefilter is then those very runs, each
    with its case rule, and finds one exactly where the pattern matches; and a search of
    fixed words has no backtracking to run away with. Anything else, or any doubt (a
    pattern `re` parses with a shared start taken out of its branches), says no: the
    pattern runs as before, timed."""
    if literal_prefilter(pattern) is None:
        return False
    try:
        parser: Any = importlib.import_module("re._parser")
        c: Any = importlib.import_module("re._constants")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            items = list(parser.parse(pattern).data)
        if len(items) == 1 and items[0][0] is c.SUBPATTERN:
            _group, added, removed, inner = items[0][1]
            if (added | removed) & ~re.IGNORECASE:
                return False
            items = list(inner)
        if len(items) == 1 and items[0][0] is c.BRANCH:
            return all(_only_characters(branch, c) for branch in items[0][1][1])
        return _only_characters(items, c)
    except Exception:  # the private parser changed or failed: the pattern runs, timed
        return False


def _only_characters(items: Iterable[tuple[Any, Any]], constants: Any) -> bool:
    found = list(items)
    return bool(found) and all(op is constants.LITERAL for op, _value in found)


def _fragment(text: str, fold: bool) -> str:
    return f"(?{'i' if fold else '-i'}:{regex.escape(text)})"


def _strength(requirement: Requirement) -> int:
    """How much a requirement rules out: the length of its shortest literal."""
    return min(len(text) for text, _ in requirement)


class _Reader:
    """Walks `re._parser`'s tree; each method returns a Requirement, or None when that
    part of the pattern demands no literal."""

    def __init__(self, constants: Any) -> None:
        self.c = constants

    def sequence(self, items: Iterable[tuple[Any, Any]], fold: bool) -> Requirement | None:
        """Items matched one after another: each holds what it requires, so the sequence
        requires the strongest of them (consecutive literals joined as one run)."""
        found: list[Requirement] = []
        run: list[str] = []
        for op, value in items:
            if op is self.c.LITERAL:
                if value in _GUARDED:
                    raise _NoPrefilter
                run.append(chr(value))
                continue
            if run:
                found.append(frozenset({("".join(run), fold)}))
                run = []
            required = self.item(op, value, fold)
            if required is not None:
                found.append(required)
        if run:
            found.append(frozenset({("".join(run), fold)}))
        return max(found, key=_strength, default=None)

    def item(self, op: Any, value: Any, fold: bool) -> Requirement | None:
        c = self.c
        if op is c.SUBPATTERN:
            _group, added, removed, inner = value
            if (added | removed) & _UNCERTAIN_FLAGS:
                raise _NoPrefilter
            fold = (fold or bool(added & re.IGNORECASE)) and not removed & re.IGNORECASE
            return self.sequence(inner, fold)
        if op is c.BRANCH:  # one of the branches matched: one of their requirements holds
            branches = [self.sequence(branch, fold) for branch in value[1]]
            known = [required for required in branches if required is not None]
            return frozenset(chain.from_iterable(known)) if len(known) == len(branches) else None
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            low, _high, inner = value
            required = self.sequence(inner, fold)
            return required if low >= 1 else None
        if op is c.ATOMIC_GROUP:
            return self.sequence(value, fold)
        self.walk_value(value)
        return None  # classes, anchors, look-arounds, references, conditionals

    def walk_value(self, value: Any) -> None:
        """Look through a look-around's or conditional's patterns for guarded literals."""
        parts = value if isinstance(value, (tuple, list)) else (value,)
        for part in parts:
            if hasattr(part, "data"):
                self.sequence(part, False)
