"""Every text the bot writes into a chat, in English or Russian, from gettext catalogues.

The English is in the code, marked `_("...")`, `ngettext(...)` for counts (Russian has
three plural forms: 1 минута, 2 минуты, 5 минут) and `N_("...")` for texts written down
before a language is known, such as a command's menu line, translated where they are
shown. The Russian lives in `bot/locale/ru/LC_MESSAGES/messages.po`; `make messages`
extracts new texts into it, and a test fails while any of them has no translation.
Babel compiles the catalogue in memory when it is first used, so the repository holds no
binary `.mo` file to fall out of step.

Placeholders are `str.format` fields with names (`{count}`), so a translation may put
them in any order. The language is UI_LANGUAGE for everything, except where a text is
wanted in another one (the Russian command menu, tests rendering both): `in_language`.
"""

from __future__ import annotations

import gettext
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Literal

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, get_currency_symbol

Language = Literal["en", "ru"]
LANGUAGES: tuple[Language, ...] = ("en", "ru")
LOCALE_DIR = Path(__file__).parent.parent / "locale"
DOMAIN = "messages"

_default: list[Language] = ["en"]  # UI_LANGUAGE, set once at start
_override: ContextVar[Language | None] = ContextVar("language", default=None)


def set_language(language: Language) -> None:
    """The language of every text from now on (UI_LANGUAGE)."""
    _default[0] = language


def current_language() -> Language:
    return _override.get() or _default[0]


@contextmanager
def in_language(language: Language) -> Iterator[None]:
    """Texts made inside this block are in `language`, whatever UI_LANGUAGE says."""
    token = _override.set(language)
    try:
        yield
    finally:
        _override.reset(token)


@cache
def catalogue(language: Language) -> gettext.NullTranslations:
    """The compiled catalogue of one language (English is the source: no catalogue)."""
    if language == "en":
        return gettext.NullTranslations()
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        compiled = io.BytesIO()
        write_mo(compiled, read_po(po, locale=language))  # fuzzy entries are left out
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def _(message: str) -> str:
    """`message` in the current language."""
    return catalogue(current_language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a text that fits `count`, in the current language."""
    return catalogue(current_language()).ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Marks a text for the catalogue without translating it yet: `_()` it where shown."""
    return message


class Phrase:
    """A text for people made before its language is known, translated where it is shown.

    An error is raised deep in a client, in no chat's language; the same error is shown
    later in /status (UI_LANGUAGE) and in /healthz (English). So it carries the English,
    marked `N_`, and the fields, and each reader gets `str(phrase)` in its own language.
    """

    def __init__(self, message: str, **fields: object) -> None:
        self.message = message
        self.fields = fields

    def __str__(self) -> str:
        return _(self.message).format(**self.fields)

    def __repr__(self) -> str:
        return f"Phrase({self.message!r}, {self.fields!r})"


def number(value: int) -> str:
    """A count as the language writes it: `2,000` in English, `2 000` in Russian."""
    return str(format_decimal(value, locale=current_language()))


def money(amount: str, currency: str | None) -> str:
    """An amount as SMSC wrote it (`"1871.62"`), as the language writes money: `1 871,62 ₽`
    in Russian, `RUB 1,871.62` in English; without a known currency, the number alone,
    grouped the same way. A text that is not a number is shown as it came."""
    try:
        value = Decimal(amount.strip())
    except InvalidOperation:
        return amount
    if not value.is_finite():
        return amount
    language = current_language()
    # Every digit SMSC gave is kept (a price of 0.325 is not 0.33), at least two decimals.
    if currency is None:
        return str(
            format_decimal(value, format="#,##0.00", locale=language, decimal_quantization=False)
        )
    text = str(format_currency(value, currency, locale=language, decimal_quantization=False))
    # CLDR sets a symbol of letters (`RUB`) apart from the digits; Babel does not.
    symbol = str(get_currency_symbol(currency, locale=language))
    if symbol.isalpha():
        mark = re.escape(symbol)
        text = re.sub(rf"{mark}(?=\d)|(?<=\d){mark}", lambda m: _spaced(m, symbol), text)
    return text


def _spaced(match: re.Match[str], symbol: str) -> str:
    """The symbol with a no-break space on the side of the digits."""
    before = match.start() > 0 and match.string[match.start() - 1].isdigit()
    return f"\u00a0{symbol}" if before else f"{symbol}\u00a0"
