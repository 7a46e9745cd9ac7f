"""What can go wrong when talking to SMSC, and what the poller does about each.

    SmscError
    ├── SmscUnavailable        no usable answer: timeout, refused connection, HTTP error
    │   └── SmscGarbageReply   an answer, but not SMSC's JSON (empty, HTML, truncated)
    └── SmscApiError           SMSC answered with an error code (HTTP 200, `error_code`)

The table of error codes lives here and only here: `policy_for(code)` says how long to
pause before asking again and whether the chats must be told.
"""

from __future__ import annotations

from dataclasses import dataclass


class SmscError(Exception):
    """Base class: polling SMSC did not produce a list of SMS."""


class SmscUnavailable(SmscError):
    """No usable answer; worth retrying with backoff."""


class SmscGarbageReply(SmscUnavailable):
    """The answer was not the JSON SMSC sends (empty, an HTML page, truncated JSON...)."""


class SmscApiError(SmscError):
    """SMSC answered with an error code."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(f"SMSC error {code}: {description}")
        self.code = code
        self.description = description

    @property
    def policy(self) -> ErrorPolicy:
        return policy_for(self.code)


@dataclass(frozen=True)
class ErrorPolicy:
    """How the poller reacts to one SMSC error code."""

    meaning: str
    pause: float  # seconds before the next request (the first time, if `grows`)
    grows: bool = False  # doubles with each repeat, up to MAX_GROWING_PAUSE
    tell_chats: bool = False


MAX_GROWING_PAUSE = 600.0

ERROR_POLICIES: dict[int, ErrorPolicy] = {
    # A bug or a bad setting: nothing improves by asking fast; log loudly and back off.
    1: ErrorPolicy("error in parameters", pause=60, grows=True),
    # Five of these within 30 minutes block the IP for 30 minutes: ask at most every 10.
    2: ErrorPolicy("invalid login or password, or IP not allowed", pause=600, tell_chats=True),
    # SMSC blocks for 10 to 30 minutes; asking while blocked does not help.
    4: ErrorPolicy("IP address temporarily blocked", pause=900),
    # More than three identical requests within a minute.
    9: ErrorPolicy("too many identical requests, wait a minute", pause=60),
}
UNKNOWN_CODE_POLICY = ErrorPolicy("unexpected SMSC error", pause=60, grows=True)


def policy_for(code: int) -> ErrorPolicy:
    return ERROR_POLICIES.get(code, UNKNOWN_CODE_POLICY)
