"""A long search word asked for by the words the text index holds that start with it.

Search matches each word of 3+ letters as a prefix ("pressure" finds "pressures"). FTS5
keeps prefix indexes of 3 to 5 letters (`FTS_PREFIXES`); for a longer word it has none,
and before it gives the first match it reads every term that starts with the word and
merges their lists of SMS into one, in memory: the whole list, however few rows the
answer takes. "pressure" is in 99,772 SMS of a million: the newest 2,000 a routed chat
may see took 6.4 ms to find as a prefix, 2.5 ms as the whole word (docs/benchmarks.md).

So a long word is asked for by its terms instead, `("pressure" OR "pressures")`, which
FTS5 walks lazily from the newest and stops at the page's end. The terms come from the
index itself, through `indexed_words` (an `fts5vocab` table: FTS5's own listing, one seek
a term, about 0.1 ms), so the query matches the SMS the prefix would have matched when it
was listed. An SMS stored between the listing and the query (a millisecond) may hold a
form not listed; it was not there when the search was asked. A word with more than
FORMS_AT_MOST forms, or with a letter outside `fold`'s alphabet, stays a prefix.
"""

from __future__ import annotations

import re
import sqlite3

from state.migrations import FTS_PREFIXES

FORMS_AT_MOST = 8  # a word with more forms than this stays a prefix: FTS5 merges them
LONGEST_PREFIX_INDEXED = max(int(length) for length in FTS_PREFIXES.split())

# Letters whose token the FTS tokenizer (unicode61, remove_diacritics 2) makes by lowering
# case alone: Latin and Russian letters, digits. Not ё to е nor й to и: it keeps both
# (tests/test_word_forms.py holds each letter to SQLite's own tokenizer).
_FOLDS_BY_LOWERING = re.compile(r"[0-9A-Za-zА-Яа-яЁё]+")


def fold(word: str) -> str | None:
    """The index's term for `word` (its one token), or None when `word` has a character
    whose folding is not plain lowering (then only FTS5 itself can tell)."""
    return word.lower() if _FOLDS_BY_LOWERING.fullmatch(word) else None


def needs_listing(term: str) -> bool:
    """Whether a prefix search of `term` would make FTS5 merge whole lists (no prefix
    index as long as it)."""
    return len(term) > LONGEST_PREFIX_INDEXED


def forms(conn: sqlite3.Connection, term: str) -> list[str] | None:
    """The indexed terms that start with `term` (itself too, if indexed), in order;
    None if there are more than FORMS_AT_MOST.

    Each is one seek: the next term is asked for from just past the last one found
    (`term + NUL` sorts after `term` and before any longer word), so no term's list of
    SMS is read.
    """
    found: list[str] = []
    after = term
    while len(found) <= FORMS_AT_MOST:
        row = conn.execute(
            "SELECT term FROM indexed_words WHERE term >= ? LIMIT 1", (after,)
        ).fetchone()
        if row is None or not row[0].startswith(term):
            return found
        found.append(row[0])
        after = row[0] + "\x00"
    return None
