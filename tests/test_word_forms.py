"""A long search word asked for by its forms in the index: the same SMS as its prefix."""

from __future__ import annotations

import sqlite3
import string
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from state import IncomingSms, Store, fts_query, history, messages, word_forms
from state.schema import FTS_TOKENIZER

RUSSIAN = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
ALPHABET = string.ascii_letters + string.digits + RUSSIAN + RUSSIAN.upper()
T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def tokenizer() -> Iterator[sqlite3.Connection]:
    """SQLite's own tokenizer, as the text index is made with it."""
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE said USING fts5(text, tokenize='{FTS_TOKENIZER}')")
    conn.execute("CREATE VIRTUAL TABLE said_terms USING fts5vocab(said, instance)")
    yield conn
    conn.close()


def tokens(conn: sqlite3.Connection, text: str) -> list[str]:
    conn.execute("DELETE FROM said")
    conn.execute("INSERT INTO said (text) VALUES (?)", (text,))
    return [term for (term,) in conn.execute("SELECT term FROM said_terms ORDER BY offset")]


def test_each_letter_folds_to_the_tokenizers_own_term(tokenizer: sqlite3.Connection) -> None:
    for letter in ALPHABET:
        assert [word_forms.fold(letter)] == tokens(tokenizer, letter), letter


@settings(max_examples=200)
@given(st.text(alphabet=ALPHABET, min_size=1, max_size=14))
def test_a_word_folds_to_the_tokenizers_own_term(tokenizer: sqlite3.Connection, word: str) -> None:
    assert [word_forms.fold(word)] == tokens(tokenizer, word)


@pytest.mark.parametrize("word", ["école", "Straße", "їжак", "foo_bar", "İstanbul", "x-ray"])
def test_a_word_folded_otherwise_than_by_lowering_is_not_folded_here(word: str) -> None:
    assert word_forms.fold(word) is None


def sms(smsc_id: int, text: str) -> IncomingSms:
    return IncomingSms(smsc_id, "79261234567", "79031234567", text, T0 + timedelta(minutes=smsc_id))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "bridge.db")
    yield opened
    opened.close()


def test_the_forms_of_a_term_are_the_indexed_words_that_start_with_it(store: Store) -> None:
    texts = ["pressure low", "Pressures high", "pressured", "press", "pressurf", "pressure"]
    messages.save_incoming(store, [sms(n, text) for n, text in enumerate(texts, 1)], [])
    assert word_forms.forms(store.conn, "pressure") == ["pressure", "pressured", "pressures"]
    assert word_forms.forms(store.conn, "pressurex") == []


def test_a_term_with_more_forms_than_listed_has_none(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = ["boilers", "boilerA", "boilerB", "boiler"]
    messages.save_incoming(store, [sms(n, text) for n, text in enumerate(texts, 1)], [])
    monkeypatch.setattr(word_forms, "FORMS_AT_MOST", 3)
    assert word_forms.forms(store.conn, "boiler") is None
    monkeypatch.setattr(word_forms, "FORMS_AT_MOST", 4)
    assert word_forms.forms(store.conn, "boiler") == ["boiler", "boilera", "boilerb", "boilers"]


def test_a_long_word_is_asked_for_by_its_forms_and_a_short_one_as_a_prefix() -> None:
    def forms_of(term: str) -> list[str] | None:
        return {"pressure": ["pressure", "pressures"], "давление": ["давление"]}.get(term, [])

    query = fts_query("Pressure boil ДАВЛЕНИЕ unknownword x", forms_of)
    assert query == (
        '("pressure" OR "pressures") AND "boil"* AND "давление" AND "unknownword"* AND "x"'
    )
    assert fts_query("temperatures", lambda term: None) == '"temperatures"*'  # too many
    assert fts_query("école_école", forms_of) == '"école_école"*'  # not folded here


WORDS = ["pressure", "pressures", "pressured", "presto", "Давление", "давления", "давлением"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4), min_size=1, max_size=20))
def test_a_search_by_forms_finds_what_the_prefix_finds(
    tmp_path_factory: pytest.TempPathFactory, texts: list[list[str]]
) -> None:
    store = Store.open(tmp_path_factory.mktemp("forms") / "bridge.db")
    try:
        messages.save_incoming(
            store, [sms(n, " ".join(words)) for n, words in enumerate(texts, 1)], []
        )
        for asked in ["pressure", "PRESSURED", "давлени", "давление", "pressure давлени"]:
            page = history.search(store, asked, None, None, 100)
            by_prefix = store.conn.execute(
                "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid",
                (fts_query(asked),),
            ).fetchall()
            assert [s.smsc_id for s in page.messages] == [rowid for (rowid,) in by_prefix]
            assert page.total == len(by_prefix)
    finally:
        store.close()


def test_a_search_lists_the_forms_of_a_long_word_on_its_connection(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages.save_incoming(store, [sms(1, "pressure low"), sms(2, "pressures high")], [])
    listed: list[str] = []
    listing = word_forms.forms

    def spied(conn: sqlite3.Connection, term: str) -> list[str] | None:
        assert conn is store.conn
        found = listing(conn, term)
        listed.extend(found or [])
        return found

    monkeypatch.setattr(word_forms, "forms", spied)
    page = history.search(store, "Pressure", None, None, 10)
    assert listed == ["pressure", "pressures"] and page.total == 2
