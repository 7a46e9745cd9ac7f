"""The SMSC inbox: an HTTP client, the reply parser, and the error-code policies."""

from bot.smsc.client import PAGE_SIZE, SmscClient
from bot.smsc.errors import (
    ERROR_POLICIES,
    ErrorPolicy,
    SmscApiError,
    SmscError,
    SmscGarbageReply,
    SmscUnavailable,
    policy_for,
)
from bot.smsc.reply import InboxReply, parse_inbox_reply, parse_record, parse_smsc_time

__all__ = [
    "ERROR_POLICIES",
    "PAGE_SIZE",
    "ErrorPolicy",
    "InboxReply",
    "SmscApiError",
    "SmscClient",
    "SmscError",
    "SmscGarbageReply",
    "SmscUnavailable",
    "parse_inbox_reply",
    "parse_record",
    "parse_smsc_time",
    "policy_for",
]
