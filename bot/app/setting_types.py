"""The shapes settings come in, each with the check that goes with it (pydantic types).

`bot.app.settings.Settings` declares each setting with one of these, so the class reads as the
list of settings it is, and a check is written once however many settings share it. A
failed check raises ValueError with a message that never quotes a secret; `bot.app.settings`
turns it into one line naming the variable.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr
from pydantic_settings import NoDecode

from bot.routing.targets import ChatTarget
from state.phones import supported_region

MIN_ESCALATE_AFTER = 60  # a reminder sooner than a minute is noise, not escalation
MIN_PUSH_PATH = 16  # characters: the path is the push endpoint's only secret
PUSH_PATH_CHARACTERS = re.compile(r"/[A-Za-z0-9._~/-]*")  # URL-safe as written, no escapes


def _split_commas(value: Any) -> Any:
    if isinstance(value, str):
        return [part for part in (p.strip() for p in value.split(",")) if part]
    return value


def _chat_targets(value: Any) -> Any:
    parts = _split_commas(value)
    if isinstance(parts, list):
        return [p if isinstance(p, ChatTarget) else ChatTarget.parse(str(p)) for p in parts]
    return parts


def _at_least_one_chat(value: list[ChatTarget]) -> list[ChatTarget]:
    if not value:
        raise ValueError("needs at least one chat ID")
    return list(dict.fromkeys(value))  # keep order, drop repeats


def _zero_or_a_minute(value: float) -> float:
    if 0 < value < MIN_ESCALATE_AFTER:
        raise ValueError(f"must be 0 (off) or at least {MIN_ESCALATE_AFTER} seconds")
    return value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _known_region(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    region = value.strip().upper()
    if not supported_region(region):
        raise ValueError(
            f"{value!r} is not a region code phonenumbers knows (two letters, such as RU, UA or KZ)"
        )
    return region


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value


def is_loopback(host: str) -> bool:
    """`localhost`, 127.0.0.0/8 or ::1: this machine, where no network sees the traffic."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refuse_clear_text(url: str, what_it_would_show: str) -> None:
    """https://, or http:// to this machine only (a test server): plain http:// would show
    `what_it_would_show` to every network on the way."""
    if url.startswith("http://") and not is_loopback(urlsplit(url).hostname or ""):
        raise ValueError(
            f"http:// would show {what_it_would_show} to every network on the way: use "
            "https:// (http:// is allowed only to this machine, such as http://127.0.0.1)"
        )


def _private_url(value: str) -> str:
    """The SMSC address: its requests carry the password."""
    refuse_clear_text(value, "the SMSC password")
    return value


def _secret_private_url(value: SecretStr) -> SecretStr:
    """A URL whose token is the secret (a heartbeat's ping URL): checked as `_private_url`,
    never quoted."""
    url = value.get_secret_value()
    if not url.startswith(("http://", "https://")) or not urlsplit(url).hostname:
        raise ValueError("must be an https:// URL (the check's ping URL)")
    refuse_clear_text(url, "its token")
    return value


def url_secrets(url: str) -> list[str]:
    """A secret URL, and the parts of it a log line might quote apart: its path and query,
    its password."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return [part for part in (url, path, parts.password) if part and part != "/"]


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone") from None
    return value


def _secret_path(value: SecretStr) -> SecretStr:
    path = value.get_secret_value()  # the messages never quote it: it is a secret
    if not path.startswith("/"):
        raise ValueError("must start with / (for example /smsc/ and a long random part)")
    if len(path) < MIN_PUSH_PATH:
        raise ValueError(f"must be at least {MIN_PUSH_PATH} characters: it is the secret")
    if not PUSH_PATH_CHARACTERS.fullmatch(path):
        raise ValueError("may hold only letters, digits and / . _ ~ -")
    return value


# Comma-separated lists, as an environment variable holds them.
ChatTargets = Annotated[
    list[ChatTarget], NoDecode, BeforeValidator(_chat_targets), AfterValidator(_at_least_one_chat)
]
UserIds = Annotated[list[int], NoDecode, BeforeValidator(_split_commas)]

HttpUrl = Annotated[str, AfterValidator(_http_url)]
BaseUrl = Annotated[HttpUrl, AfterValidator(lambda url: url.rstrip("/"))]
PrivateBaseUrl = Annotated[BaseUrl, AfterValidator(_private_url)]  # carries credentials
ZoneName = Annotated[str, AfterValidator(_known_zone)]
Region = Annotated[str, BeforeValidator(_known_region)]
PushPath = Annotated[SecretStr, AfterValidator(_secret_path)]
SecretUrl = Annotated[SecretStr, AfterValidator(_secret_private_url)]  # carries a token
Port = Annotated[int, Field(ge=1, le=65535)]
EscalateAfter = Annotated[float, Field(ge=0), AfterValidator(_zero_or_a_minute)]
LogLevel = Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR"], BeforeValidator(_upper)]
Language = Annotated[Literal["en", "ru"], BeforeValidator(_lower)]
