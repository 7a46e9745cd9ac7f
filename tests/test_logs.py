"""No secret in any log line: raw, URL-encoded, or inside a traceback."""

from __future__ import annotations

import logging

from bot.core.logs import REDACTED, RedactingFormatter

TOKEN = "123456:AAbbCCddEEffGGhh"
PASSWORD = "pa ss/word"


def format_line(message: str, *args: object, exc: BaseException | None = None) -> str:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, message, args, None)
    if exc is not None:
        record.exc_info = (type(exc), exc, exc.__traceback__)
    return RedactingFormatter([TOKEN, PASSWORD]).format(record)


def test_raw_and_url_encoded_secrets_are_blanked() -> None:
    line = format_line("GET https://api.telegram.org/bot%s/getMe psw=%s", TOKEN, "pa%20ss%2Fword")
    assert TOKEN not in line and "pa%20ss%2Fword" not in line and REDACTED in line
    assert format_line("token 123456%3AAAbbCCddEEffGGhh").count(REDACTED) == 1


def test_the_token_secret_half_is_blanked_alone() -> None:
    assert "AAbbCCddEEffGGhh" not in format_line("secret AAbbCCddEEffGGhh")


def test_tracebacks_are_blanked_too() -> None:
    try:
        raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
    except RuntimeError as error:
        line = format_line("failed", exc=error)
    assert "Traceback" in line and TOKEN not in line
