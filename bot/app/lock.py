"""One bridge per database: a second `sms-bridge run` would relay everything twice.

An exclusive `flock` on a file beside the database, held for the life of the process.
The kernel drops it when the process dies, even by SIGKILL, so a crash never leaves a
stale lock behind. The file is beside the one-time codes and private like them: 0600, in
a folder created 0700 (see `state.files`).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from state import create_private_file, make_private_folder


class AlreadyRunning(Exception):
    """Another process holds the database's lock."""


def lock_path(database_path: Path) -> Path:
    """The lock file of the database at `database_path`."""
    return database_path.with_name(database_path.name + ".lock")


class InstanceLock:
    def __init__(self, database_path: Path) -> None:
        self.path = lock_path(database_path)
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        make_private_folder(self.path.parent)
        create_private_file(self.path)
        handle = self.path.open("r+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise AlreadyRunning(
                f"another sms-bridge (pid {holder}) is already running on this database "
                f"({self.path}); stop it first, or set a different DATABASE_PATH"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
