"""Logging set-up, with every secret blanked out of every line.

httpx logs request URLs, and a Bot API URL holds the bot token; exceptions can quote
URLs and request bodies. Rather than trusting each call site, the formatter replaces every
secret (and its URL-encoded form) in the finished line, traceback included.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from urllib.parse import quote

REDACTED = "[redacted]"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MIN_SECRET_LENGTH = 6  # shorter values would blank out ordinary words

# Loggers that write request URLs or repeat what we already log better.
_QUIET = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    # We catch RetryAfter ourselves and log it once; its own report is a traceback.
    "telegram.ext.AIORateLimiter": logging.CRITICAL,
}


def secret_variants(secrets: Iterable[str]) -> list[str]:
    """Each secret as it may appear in a line: raw, URL-encoded, and a token's secret half."""
    variants: set[str] = set()
    for secret in secrets:
        forms = {secret, quote(secret, safe=""), quote(secret)}
        _, _, token_secret = secret.partition(":")
        if len(token_secret) >= MIN_SECRET_LENGTH:
            forms.add(token_secret)
        variants |= {form for form in forms if len(form) >= MIN_SECRET_LENGTH}
    return sorted(variants, key=len, reverse=True)  # longest first: no partial leftovers


class Redactor:
    """Blanks every form of the secrets out of a text: log lines, and what chats are shown."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._variants = secret_variants(secrets)

    def redact(self, text: str) -> str:
        for secret in self._variants:
            text = text.replace(secret, REDACTED)
        return text


class RedactingFormatter(logging.Formatter):
    """A formatter that blanks out secrets in the finished line."""

    def __init__(self, secrets: Iterable[str], fmt: str = LOG_FORMAT) -> None:
        super().__init__(fmt)
        self._redactor = Redactor(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return self._redactor.redact(super().format(record))


def setup_logging(level: int | str, secrets: Iterable[str]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, quiet_level in _QUIET.items():
        logging.getLogger(name).setLevel(quiet_level)
