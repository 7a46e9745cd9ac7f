"""What can go wrong when talking to SMSC, and what the bridge does about each.

    bot.core.inbox.InboxError           carries an ErrorPolicy; all the poller looks at
    └── SmscError                  talking to SMSC produced no answer to use
        ├── SmscUnavailable        no usable answer: timeout, refused connection, HTTP error
        │   └── SmscGarbageReply   an answer, but not SMSC's JSON (empty, HTML, truncated)
        ├── SmscRedirected         a redirect (HTTP 3xx), never followed: see below
        └── SmscApiError           SMSC answered with an error code (HTTP 200, `error_code`)

SMSC's error numbers live here and only here, in ERROR_POLICIES: each code's pause, whether
it grows, whether the chats are told at once, the log level and the metrics label travel
with the exception (`error.policy`), so the poller, the alerts and `check` never test a
number. Transport failures and garbage pass by themselves: they back off exponentially.
The same codes answer every SMSC endpoint, so sending (send.php) will extend this table
rather than start another.

Redirects are never followed, by any client that talks to SMSC: the login and password go
in the request's body, and following a redirect would post them again to wherever it
points, in clear text if that is http://. A redirect is no answer either: the inbox
raises `SmscRedirected` (its own policy: logged as an error, a pause that grows, counted
under `redirect`), sending reads it as an answer that is not SMSC's, and both say where it
pointed and what to do (`redirect_refused`). Only a person can tell whether the new
address is SMSC's own, and then set SMSC_BASE_URL to it.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from urllib.parse import urljoin, urlsplit

from bot.core.inbox import ErrorPolicy, InboxError
from bot.text.i18n import N_, Phrase


class SmscError(InboxError):
    """Base class: talking to SMSC did not produce an answer to use."""


TRANSPORT_POLICY = ErrorPolicy(
    "SMSC unavailable", metrics_label="transport", pause=None, log_level=logging.WARNING
)


NO_ANSWER = Phrase(N_("SMSC could not be reached"))
TIMED_OUT = Phrase(N_("SMSC did not answer in time"))
EMPTY = Phrase(N_("SMSC answered with an empty page"))
NOT_ITS_API = Phrase(N_("SMSC answered with a page that is not its API's answer"))


def not_its_api(status: int) -> Phrase:
    """An HTTP error page (a proxy's 502, a maintenance page) instead of SMSC's JSON."""
    return Phrase(
        N_("SMSC answered with a page that is not its API's answer (HTTP {status})"),
        status=status,
    )


class SmscUnavailable(SmscError):
    """No usable answer; worth retrying with backoff."""

    def __init__(self, message: str, said: Phrase = NO_ANSWER, detail: str = "") -> None:
        super().__init__(message, TRANSPORT_POLICY, said, detail)

    @property
    def summary(self) -> str:
        return f"{self.policy.meaning}: {self}"


class SmscGarbageReply(SmscUnavailable):
    """The answer was not the JSON SMSC sends (empty, an HTML page, truncated JSON...)."""

    def __init__(self, message: str, said: Phrase = NOT_ITS_API, detail: str = "") -> None:
        super().__init__(message, said, detail)


REDIRECT_POLICY = ErrorPolicy(
    "redirect not followed", metrics_label="redirect", pause=60, grows=True
)
REDIRECTED = Phrase(
    N_("SMSC answered with a redirect, which the bridge does not follow: check SMSC_BASE_URL")
)
MAX_SHOWN_ADDRESS = 100  # characters of a redirect's target quoted in the log


def redirect_target(base_url: str, location: str | None) -> str:
    """Where a redirect points, as `scheme://host[:port]` (no path, no query: the rest of a
    URL can be long and says nothing an operator needs); resolved against `base_url`."""
    if not location:
        return "an address it did not give"
    try:
        target = urlsplit(urljoin(base_url + "/", location.strip()))
        address = f"{target.scheme}://{target.netloc.rpartition('@')[2]}"
    except ValueError:
        return "an address that is no URL"
    shown = "".join(ch if ch.isprintable() else "?" for ch in address)
    return shown[:MAX_SHOWN_ADDRESS]


def redirect_refused(status: int, target: str) -> str:
    """The one line the log and `check` show about a redirect that was not followed."""
    return (
        f"SMSC answered with a redirect to {target} (HTTP {status}); not followed, so the "
        f"credentials went nowhere else: if {target} is SMSC's own https:// address, set "
        "SMSC_BASE_URL to it, else look at what stands between the bridge and SMSC"
    )


class SmscRedirected(SmscError):
    """SMSC (or something in its place) answered with a redirect; it was not followed."""

    def __init__(self, status: int, target: str) -> None:
        super().__init__(redirect_refused(status, target), REDIRECT_POLICY, REDIRECTED)
        self.status = status
        self.target = target

    @property
    def summary(self) -> str:
        return str(self)  # the message says what it means already


class SmscApiError(SmscError):
    """SMSC answered with an error code."""

    def __init__(self, code: int, description: str) -> None:
        said = Phrase(INBOX_REFUSALS.get(code, UNKNOWN_INBOX_REFUSAL), code=code)
        super().__init__(f"SMSC error {code}: {description}", policy_for(code), said)
        self.code = code
        self.description = description


AUTH_NOTICE = N_(
    "SMSC refused the credentials (error 2: invalid login or password, or this server's IP "
    "is not allowed). The bridge retries every 10 minutes; check SMSC_LOGIN/SMSC_PASSWORD "
    "or SMSC_API_KEY and the account's IP allow-list."
)

ERROR_POLICIES: dict[int, ErrorPolicy] = {
    # A bug or a bad setting: nothing improves by asking fast; log loudly and back off.
    1: ErrorPolicy("error in parameters", "1", pause=60, grows=True),
    # Five of these within 30 minutes block the IP for 30 minutes: ask at most every 10,
    # and tell the chats at once, since only an operator can fix the credentials.
    2: ErrorPolicy(
        "invalid login or password, or IP not allowed",
        "2",
        pause=600,
        tell_chats=True,
        notice=AUTH_NOTICE,
    ),
    # SMSC blocks for 10 to 30 minutes; asking while blocked does not help.
    4: ErrorPolicy("IP address temporarily blocked", "4", pause=900, log_level=logging.WARNING),
    # More than three identical requests within a minute.
    9: ErrorPolicy(
        "too many identical requests, wait a minute", "9", pause=60, log_level=logging.WARNING
    ),
}
# What a person reads about each refusal to read the inbox (SMSC's own description, in
# whatever language SMSC wrote it, goes to the log).
INBOX_REFUSALS: dict[int, str] = {
    1: N_("SMSC refused the bridge's request (error {code}): a fault of the bridge"),
    2: N_("SMSC refused the login or this server's IP (error {code})"),
    4: N_("SMSC has blocked this server's IP for a while (error {code})"),
    9: N_("SMSC asked to wait a minute: too many identical requests (error {code})"),
}
UNKNOWN_INBOX_REFUSAL = N_("SMSC answered with error {code}")
UNKNOWN_CODE_POLICY = ErrorPolicy("unexpected SMSC error", "unknown", pause=60, grows=True)


def policy_for(code: int) -> ErrorPolicy:
    """The policy for an SMSC error code; an unknown code is counted under its own number."""
    if code in ERROR_POLICIES:
        return ERROR_POLICIES[code]
    return replace(UNKNOWN_CODE_POLICY, metrics_label=str(code))


# -- sending: what each refusal means to a person, and what each delivery status says ----

SEND_REFUSALS: dict[int, str] = {
    1: N_("SMSC refused the request's parameters: a fault of the bridge, see its log."),
    2: N_("SMSC refused the account's login, or this server's IP is not allowed."),
    3: N_("There is not enough money on the SMSC account: top it up, then send again."),
    4: N_("SMSC has blocked this server's IP for a while after errors: try again later."),
    5: N_("SMSC refused the date format: a fault of the bridge, see its log."),
    6: N_("SMSC forbids this text or this sender name."),
    7: N_("SMSC says this phone number is not valid."),
    8: N_("SMSC cannot deliver an SMS to this number."),
    9: N_("SMSC refused it as a copy of a send within the last minute: wait a minute."),
}
UNKNOWN_REFUSAL = N_("SMSC refused the SMS (error {code}).")

# status.php codes: (meaning, final, delivered). -3 means SMSC has no such SMS: the one
# safe sign that a send whose answer was lost never went out.
# On a price request (cost=1), error 9 means more than five identical ones in a minute:
# the price is unknown for now, the SMS itself is not refused.
TOO_MANY_IDENTICAL = 9
NOT_FOUND = -3
DELIVERY_STATUSES: dict[int, tuple[str, bool, bool]] = {
    -3: (N_("not found at SMSC: it was never sent"), True, False),
    -1: (N_("waiting to be sent"), False, False),
    0: (N_("handed to the operator"), False, False),
    1: (N_("delivered"), True, True),
    2: (N_("delivered and read"), True, True),
    3: (N_("not delivered: it expired"), True, False),
    20: (N_("not delivered: the operator could not deliver it"), True, False),
    22: (N_("not delivered: a bad number"), True, False),
    23: (N_("not delivered: forbidden"), True, False),
    24: (N_("not delivered: not enough money"), True, False),
    25: (N_("not delivered: the number is unreachable"), True, False),
}
UNKNOWN_STATUS = (N_("status {code}"), False, False)
