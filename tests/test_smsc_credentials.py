"""SMSC's credentials: the settings carry them, bot/smsc alone writes them into a request."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.smsc import SmscCredentials

ROOT = Path(__file__).resolve().parent.parent
SMSC_FIELDS = {"login", "psw", "apikey"}


def test_a_login_with_its_password_signs_as_login_and_psw_even_beside_an_api_key() -> None:
    assert SmscCredentials("acme", "pw").form() == {"login": "acme", "psw": "pw"}
    assert SmscCredentials("acme", "pw", "key-1234567").form() == {"login": "acme", "psw": "pw"}


def test_an_api_key_signs_alone_when_the_login_lacks_its_password() -> None:
    assert SmscCredentials(api_key="key-1234567").form() == {"apikey": "key-1234567"}
    assert SmscCredentials("acme", None, "key-1234567").form() == {"apikey": "key-1234567"}


@pytest.mark.parametrize(
    ("login", "password", "api_key"),
    [(None, None, None), ("acme", None, None), (None, "pw", None), ("acme", "", "")],
)
def test_credentials_that_sign_nothing_cannot_be_made(
    login: str | None, password: str | None, api_key: str | None
) -> None:
    with pytest.raises(ValueError, match="login and a password, or an API key"):
        SmscCredentials(login, password, api_key)


def test_the_secrets_stay_out_of_the_repr() -> None:
    shown = repr(SmscCredentials("acme", "pass-word-1", "key-1234567"))
    assert "acme" in shown and "pass-word-1" not in shown and "key-1234567" not in shown


def test_only_bot_smsc_names_smscs_credential_fields() -> None:
    """Settings carry the credentials; the form's field names are SMSC's, so bot/smsc's.
    The demo's simulated SMSC reads them from the other side, as SMSC does."""
    named = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}"
        for folder in ("bot", "state")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if not path.is_relative_to(ROOT / "bot" / "smsc")
        and path != ROOT / "bot" / "demo" / "simulated_smsc.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and node.value in SMSC_FIELDS
    ]
    assert named == []
