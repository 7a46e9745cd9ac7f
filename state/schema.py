"""The schema's words that queries repeat: the partial indexes' conditions, the tokenizer.

The tables themselves are made by the steps of `state.migrations`, in order; what a query
must write exactly as a step wrote it is kept here, once, for both.
"""

from __future__ import annotations

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
