"""A look at a database file without opening it as the store would.

`sms-bridge check` must say what is in the file without changing it: no folder created, no
migration run, no write lock taken. So the file is opened read-only, and a missing file is
an answer ("will be created"), not an error. Who else may open the files is another
read-only look: `state.files.loose_permissions`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from state.files import private_umask
from state.migrations import SCHEMA_VERSION


class DatabaseUnreadable(Exception):
    """The file is there but SQLite cannot read it (not a database, locked, no access)."""


@dataclass(frozen=True)
class DatabaseSummary:
    """What a database file holds, as far as `check` cares."""

    schema_version: int  # 0 for an empty file: the first start creates the schema
    sms_count: int | None  # None when the schema is too new to know where SMS are kept

    @property
    def too_new(self) -> bool:
        """Written by a newer release than this one, which will refuse to open it."""
        return self.schema_version > SCHEMA_VERSION


def inspect_database(path: Path) -> DatabaseSummary | None:
    """Schema version and SMS count of the file at `path`, read-only; None if it is absent."""
    if not path.exists():
        return None
    try:
        with private_umask():  # even read-only, SQLite may create the -wal and -shm files
            conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
            try:
                version = int(conn.execute("PRAGMA user_version").fetchone()[0])
                count: int | None = None
                if version == 0:
                    count = 0
                elif version <= SCHEMA_VERSION:
                    count = int(conn.execute("SELECT count(*) FROM messages").fetchone()[0])
            finally:
                conn.close()
    except sqlite3.Error as error:
        raise DatabaseUnreadable(str(error)) from None
    return DatabaseSummary(version, count)
