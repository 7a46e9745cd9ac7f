"""The schema's words that queries repeat: the partial indexes' conditions, the tokenizer.

The tables themselves are made by the steps of `state.migrations`, in order; what a query
must write exactly as a step wrote it is kept here, once, for both.
"""

from __future__ import annotations

from functools import lru_cache

from state.models import DeliveryStatus

FTS_TOKENIZER = "unicode61 remove_diacritics 2"


def status_literal(status: DeliveryStatus) -> str:
    """A delivery status as an SQL string literal (the values are plain lowercase words)."""
    return f"'{status.value}'"


# The conditions of the partial indexes on deliveries, written once. SQLite uses a partial
# index only for a query whose WHERE repeats the index's condition with the same literal
# values (a bound parameter never matches), so the store writes these very strings into its
# queries instead of binding the statuses. They are part of published schema steps: the
# text must never change (tests/test_store.py pins it).
OPEN_DELIVERY = (
    f"status IN ({status_literal(DeliveryStatus.PENDING)}, "
    f"{status_literal(DeliveryStatus.SENDING)})"
)
FAILED_DELIVERY = f"status = {status_literal(DeliveryStatus.FAILED)}"
UNCERTAIN_DELIVERY = "uncertain > 0"


# The full-text index has a second column, `chats`: the tokens of the chats whose history
# shows the SMS (its `message_chats` rows, written with it). A routed chat's /search asks
# for its token beside the words, and FTS5 walks the two lists together, instead of
# looking each match up in `message_chats`: a count of 10,000 in a million took 10 ms
# with the look-ups, 4 with the token (docs/benchmarks.md).
def chat_token(chat_id: str) -> str:
    """A chat's ID as one token of the index (the tokenizer splits at `-`: a letter for it)."""
    return "chat" + chat_id.replace("-", "n")


@lru_cache(maxsize=1024)
def chat_tokens(chat_ids: tuple[str, ...]) -> str | None:
    """The `chats` value of an SMS shown in these chats' histories; None for none.

    Remembered: a catch-up asks it for each SMS, of a few sets of chats (0.1 µs, not 0.9).
    """
    return " ".join(chat_token(chat) for chat in chat_ids) or None
