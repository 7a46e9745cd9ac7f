"""Who the bridge is at SMSC: a login and its password, or an API key.

The settings read the credentials; this package alone knows how SMSC wants them written
(`login` and `psw`, or `apikey`, in the POST body), so a change of SMSC's field names is a
change here and nowhere else. The secrets stay out of `repr`, so that a traceback or a
debug print of the client never shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SmscCredentials:
    """A login with its password (or the password's lowercase MD5), or an API key."""

    login: str | None = None
    password: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not (self.login and self.password) and not self.api_key:
            raise ValueError("SMSC credentials need a login and a password, or an API key")

    def form(self) -> dict[str, str]:
        """The fields that sign a request: login and psw when both are set, else apikey."""
        if self.login and self.password:
            return {"login": self.login, "psw": self.password}
        assert self.api_key  # guaranteed by __post_init__
        return {"apikey": self.api_key}
