"""The Russian catalogue: every text the bot writes has a translation, with the same fields."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.text.i18n import LOCALE_DIR, _, catalogue, in_language, ngettext

BOT = Path(__file__).parent.parent / "bot"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
_FIELD = re.compile(r"\{(\w*)\}")


def source_texts() -> set[str | tuple[str, str]]:
    """Every text marked for translation in bot/, as `make messages` extracts it."""
    found: set[str | tuple[str, str]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(BOT), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else (message[0], message[1]))
    return found


def russian() -> dict[str, tuple[str, ...]]:
    with (LOCALE_DIR / "ru" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        entries = read_po(po, locale="ru")
    assert not entries.obsolete, "obsolete entries: run `make messages`"
    table = {}
    for entry in entries:
        if entry.id and "fuzzy" not in entry.flags:
            key = entry.id[0] if isinstance(entry.id, tuple) else entry.id
            forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
            table[key] = tuple(forms)
    return table


def test_every_text_has_a_russian_translation() -> None:
    table = russian()
    missing = []
    for text in source_texts():
        key = text[0] if isinstance(text, tuple) else text
        forms = table.get(key, ())
        wanted = 3 if isinstance(text, tuple) else 1  # Russian has three plural forms
        if len(forms) != wanted or not all(forms):
            missing.append(key)
    assert missing == [], "untranslated (run `make messages`, then translate): " + repr(missing)


def test_translations_keep_every_placeholder() -> None:
    table = russian()
    for text in source_texts():
        key = text[0] if isinstance(text, tuple) else text
        for form in table.get(key, ()):
            assert set(_FIELD.findall(form)) == set(_FIELD.findall(key)), (key, form)


@pytest.mark.parametrize(
    ("count", "word"),
    [(1, "минуту"), (3, "минуты"), (5, "минут"), (11, "минут"), (21, "минуту"), (24, "минуты")],
)
def test_russian_counts_take_the_right_plural_form(count: int, word: str) -> None:
    with in_language("ru"):
        assert ngettext("{n} minute", "{n} minutes", count).format(n=count) == f"{count} {word}"


def test_english_is_the_source_and_russian_is_compiled_from_the_po() -> None:
    assert catalogue("en").gettext("today") == "today"
    with in_language("ru"):
        assert _("today") == "сегодня"
    assert _("today") == "today"


@pytest.mark.parametrize(
    ("word", "instead"),
    [
        (r"\bмост", "«бот» in chat texts, «сервис» in admin lines"),
        (r"превью", "«черновик»"),
        (r"\(а\)", "an impersonal form: «Взято: Anna»"),
        (r"Юникод", "«кириллица»"),
        (r"(?i)\bцен", "«стоимость», one word for one amount"),
        (r"\bОтда", "«Вернуть»: the take button's pair"),
    ],
)
def test_the_russian_texts_keep_one_word_for_one_thing(word: str, instead: str) -> None:
    """From a native reader's review: the words that read wrong, and what replaced them."""
    found = [form for forms in russian().values() for form in forms if re.search(word, form)]
    assert found == [], f"«{word}» in {found}: write {instead}"
