"""The SQLite store of SMS and their deliveries. Knows nothing of Telegram or SMSC."""

from state.lean_imports import import_sqlite_utils

import_sqlite_utils()  # before anything imports it: see state.lean_imports

# ruff: noqa: E402

from state.files import (
    LoosePermissions,
    create_private_file,
    database_files,
    loose_permissions,
    make_private_folder,
)
from state.history import Page, fts_query
from state.inspection import DatabaseSummary, DatabaseUnreadable, inspect_database
from state.messages import error_kind
from state.migrations import SCHEMA_VERSION, SchemaTooNew
from state.models import (
    ChatQueue,
    DeliveryStatus,
    IncomingSms,
    KeptAside,
    PendingDelivery,
    Placement,
    Saved,
    SmsNotStored,
    StoredSms,
)
from state.store import Store

__all__ = [
    "SCHEMA_VERSION",
    "ChatQueue",
    "DatabaseSummary",
    "DatabaseUnreadable",
    "DeliveryStatus",
    "IncomingSms",
    "KeptAside",
    "LoosePermissions",
    "Page",
    "PendingDelivery",
    "Placement",
    "Saved",
    "SchemaTooNew",
    "SmsNotStored",
    "Store",
    "StoredSms",
    "create_private_file",
    "database_files",
    "error_kind",
    "fts_query",
    "inspect_database",
    "loose_permissions",
    "make_private_folder",
]
