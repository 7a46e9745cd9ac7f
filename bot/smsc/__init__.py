"""SMSC, the SMS provider: its inbox as a `bot.core.inbox.Inbox`, the reply parser, the errors.

Everything that knows SMSC's API lives in this package: the requests and their fields, the
reply formats, the error codes and what each one calls for. The rest of the bridge sees
pages of SMS and errors that carry their own policy. Sending (send.php) belongs here too,
beside the inbox, sharing the errors.
"""

from bot.smsc.credentials import SmscCredentials
from bot.smsc.errors import (
    ERROR_POLICIES,
    TRANSPORT_POLICY,
    SmscApiError,
    SmscError,
    SmscGarbageReply,
    SmscRedirected,
    SmscUnavailable,
    policy_for,
)
from bot.smsc.inbox_api import PAGE_SIZE, SmscClient
from bot.smsc.responses import InboxReply, parse_inbox_reply, parse_record, parse_smsc_time

__all__ = [
    "ERROR_POLICIES",
    "PAGE_SIZE",
    "TRANSPORT_POLICY",
    "InboxReply",
    "SmscApiError",
    "SmscClient",
    "SmscCredentials",
    "SmscError",
    "SmscGarbageReply",
    "SmscRedirected",
    "SmscUnavailable",
    "parse_inbox_reply",
    "parse_record",
    "parse_smsc_time",
    "policy_for",
]
