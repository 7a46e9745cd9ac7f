"""A route pattern's untimed prefilter: never rules out a text the pattern matches."""

from __future__ import annotations

import dataclasses
import logging
import random
from datetime import UTC, datetime

import pytest
import regex
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from benchmarks.common import sms_text
from bot.routing.prefilter import literal_prefilter, prefilter_decides
from bot.routing.routes import Route, RouteCheck, Router, matching_routes
from state import IncomingSms
from tests.test_routes import EVERYWHERE, route


def matches(rule: Route, text: str) -> bool:
    """Whether the route, one of its own, takes an SMS of `text`."""
    return bool(matching_routes((RouteCheck.of(rule),), "", "", text))


def words(pattern: str) -> str | None:
    """The prefilter's source, or None."""
    found = literal_prefilter(pattern)
    return None if found is None else found.pattern


def test_the_words_a_match_needs_are_read_with_their_case_rule() -> None:
    assert words("(?i)pressure \\d+\\.\\d bar") == "(?i:pressure\\ )"
    assert words("(?i)balance|баланс") == "(?i:balance)|(?i:баланс)"
    assert words("\\b\\d{4,8}\\b.*(?i:code|код)") == "(?i:code)|(?i:код)"
    assert words("Оплата [\\d ]+,\\d\\d RUB") == "(?-i:Оплата\\ )"
    assert words("(?i:alarm(?-i:XY))") == "(?i:alarm)"
    assert words("(?:ab)*cd") == "(?-i:cd)"  # what may repeat no times is not needed
    assert words("(?:door|gate)+ on") == "(?-i:door)|(?-i:gate)"  # the longer words win


@pytest.mark.parametrize(
    "pattern",
    [
        "door{e<=1}",  # fuzzy matching in `regex`, five literal characters in `re`
        "alarm[[:digit:]]x",  # a class in `regex`, a set and "]x" in `re`
        "(?=.*\\{)alarm",  # a guarded literal in a look-ahead
        "(?x) ala rm",  # `regex` skips more kinds of white space than `re`
        "(?a)alarm",
        "(?a:alarm)x",
        "a|bc",  # a one-character word is in nearly every text
        "(a|aa)+$",
        "\\d+",
        "alarm|\\d+",  # one branch needs no word: nothing is needed
    ],
)
def test_no_prefilter_where_re_and_regex_may_differ_or_nothing_is_needed(pattern: str) -> None:
    assert words(pattern) is None


TRICKY = "aAsSſkKKßẞiIİıeEёЁ Σσς0 7-."  # letters that fold case in unusual ways

_LITERAL = st.text(TRICKY, min_size=1, max_size=4).map(regex.escape)
_WORD = st.text(TRICKY, min_size=2, max_size=5).map(regex.escape)
_OTHER = st.sampled_from([".", "\\d", "\\s", "[as]", "[^k]", "\\b", "$", "^"])
_ATOM = st.one_of(_LITERAL, _OTHER)


def _grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, inner).map("".join),
        st.tuples(inner, inner).map("|".join).map(lambda p: f"(?:{p})"),
        inner.map(lambda p: f"({p})"),
        st.tuples(st.sampled_from(["i", "-i"]), inner).map(lambda f: f"(?{f[0]}:{f[1]})"),
        st.tuples(inner, st.sampled_from(["*", "+", "?", "{1,2}", "{0,2}", "+?"])).map(
            lambda r: f"(?:{r[0]}){r[1]}"
        ),
        inner.map(lambda p: f"(?={p})"),
    )


def _keep_needed(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Ways to wrap a part every match needs that keep it needed."""
    return st.one_of(
        st.tuples(inner, inner).map("|".join).map(lambda p: f"(?:{p})"),
        inner.map(lambda p: f"({p})"),
        st.tuples(st.sampled_from(["i", "-i"]), inner).map(lambda f: f"(?{f[0]}:{f[1]})"),
        st.tuples(inner, st.sampled_from(["+", "{1,2}", "+?"])).map(lambda r: f"(?:{r[0]}){r[1]}"),
    )


_ANY_PART = st.recursive(_ATOM, _grow, max_leaves=6)
_NEEDED = st.recursive(_WORD, _keep_needed, max_leaves=4)  # so most patterns get a prefilter


def _patterns() -> st.SearchStrategy[str]:
    parts = st.tuples(st.sampled_from(["", "(?i)"]), _ANY_PART, _NEEDED, _ANY_PART)
    return parts.map("".join)


@settings(max_examples=400)
@given(pattern=_patterns(), data=st.data())
def test_a_text_the_pattern_matches_always_passes_its_prefilter(
    pattern: str, data: st.DataObject
) -> None:
    """Texts made to match (`from_regex`, Python's reading) and texts of the same letters
    in any case: wherever `regex` finds the pattern, the prefilter finds a word."""
    try:
        compiled = regex.compile(pattern)
    except regex.error:
        assume(False)
        return
    found = literal_prefilter(pattern)
    assume(found is not None)
    assert found is not None
    made = data.draw(st.from_regex(pattern) | st.text(TRICKY, max_size=12))
    text = data.draw(st.sampled_from([made, made.upper(), made.lower(), made.casefold()]))
    if compiled.search(text) is not None:
        assert found.search(text) is not None, (pattern, text, found.pattern)


@pytest.mark.parametrize(
    ("pattern", "decides"),
    [
        ("(?i)balance|баланс", True),
        ("(?i)invoice|счёт|счет", True),
        ("Оплата ", True),
        ("(?i:alarm)", True),
        ("(?:door|gate)", True),
        ("(?i)door \\d+ opened", False),
        ("ab(?:cd|ef)", False),  # "ab" is needed, not enough
        ("(?:door|gate)+ on", False),
        ("заказ|заказы", False),  # `re` takes the shared start out of the branches
        ("(?s:alarm)", False),  # a flag beside the case rule: not worth the doubt
        ("(?i)(?-i:AB)cd", False),
        ("a|bc", False),  # no prefilter at all
        ("door{e<=1}", False),
    ],
)
def test_a_pattern_of_words_alone_is_decided_by_its_prefilter(pattern: str, decides: bool) -> None:
    assert prefilter_decides(pattern) is decides


_WORDS_ALONE = st.lists(_WORD, min_size=1, max_size=4).map("|".join)


@settings(max_examples=400)
@given(
    flags=st.sampled_from(["", "(?i)", "(?-i)"]),
    words=_WORDS_ALONE,
    group=st.sampled_from(["{}", "(?:{})", "({})", "(?i:{})"]),
    data=st.data(),
)
def test_where_the_prefilter_decides_it_answers_as_the_pattern_does(
    flags: str, words: str, group: str, data: st.DataObject
) -> None:
    """Texts made to match and texts of the same letters in any case, the tricky ones
    among them: the prefilter finds a word exactly where `regex` finds the pattern."""
    pattern = flags + group.format(words)
    assume(prefilter_decides(pattern))
    found = literal_prefilter(pattern)
    assert found is not None
    made = data.draw(st.from_regex(pattern) | st.text(TRICKY, max_size=12))
    text = data.draw(st.sampled_from([made, made.upper(), made.lower(), made.casefold()]))
    matched = regex.compile(pattern).search(text) is not None
    assert (found.search(text) is not None) is matched, (pattern, text, found.pattern)


BENCHMARK_PATTERNS = [
    "(?i)balance|баланс",
    "(?i)\\bups\\b.*on battery",
    "(?i)door \\d+ opened",
    "Оплата [\\d ]+,\\d\\d RUB",
    "(?i)invoice|счёт|счет",
    "(?i)температура \\d+ C",
    "(?i)(?:SPB|EKB)-\\d: boiler",
    "(?i)pressure \\d+\\.\\d bar",
    "\\b\\d{4,8}\\b.*(?i:code|код)",
    "(?i)заказ|order",
]


HANDWRITTEN = [
    "Ваш БАЛАНС 12 руб",
    "balance: 5",
    "UPS 2 on Battery since 03:10",
    "ups2 on battery",
    "DOOR 7 OPENED",
    "door seven opened",
    "Оплата 1 250,00 RUB",
    "оплата 1 250,00 RUB",
    "СЧЁТ 17 оплачен",
    "Invoice #5",
    "Температура 93 c",
    "spb-2: Boiler 3",
    "MSK-1: boiler",
    "PRESSURE 7.1 BAR",
    "Code 123456",
    "123 code",
    "Новый ЗАКАЗ 5",
]


@pytest.mark.parametrize("pattern", BENCHMARK_PATTERNS)
def test_routes_decide_as_without_a_prefilter_on_the_benchmarks_texts(pattern: str) -> None:
    with_words = route(1, text=pattern)
    assert with_words.prefilter is not None  # each of these needs a word
    without = dataclasses.replace(with_words, prefilter=None)
    rng = random.Random(pattern)
    texts = HANDWRITTEN + [sms_text(rng) for _ in range(3000)]
    decided = [matches(with_words, text) for text in texts]
    assert decided == [matches(without, text) for text in texts]
    assert any(decided), "the texts never match: the comparison says nothing"
    assert not all(decided), "the texts always match: the comparison says nothing"


def test_a_text_without_the_word_never_reaches_a_runaway_pattern(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`(a|aa)+` before either word runs out of time on a long run of a's; a text
    holding neither word is ruled out before that run starts."""
    runaway = route(1, text="(a|aa)+(?:alarm|alert)")
    rules = Router([runaway], EVERYWHERE)
    sms = IncomingSms(1, "79261234567", "79031234567", "a" * 60 + "b", datetime.now(UTC))
    decided, _ = rules.route(sms, True)
    assert not decided.failed and decided.route is None  # no match, not a timeout
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    unfiltered = Router([dataclasses.replace(runaway, prefilter=None)], EVERYWHERE)
    assert unfiltered.route(sms, True)[0].failed  # the same pattern, timed out without it
