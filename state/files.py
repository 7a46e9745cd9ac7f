"""The database's files hold one-time codes: only the bridge's own user may open them.

SMS are stored as written, codes included: in the database file and in SQLite's
write-ahead log and shared-memory files beside it (`-wal`, `-shm`). So every file the
bridge creates there is mode 0600 and every folder it creates 0700, whatever the process
umask: the usual umask, 0022, would leave them readable by every local user.

SQLite creates `-wal` and `-shm` itself. Most builds give them the database file's mode,
but that is a build detail, so the store also narrows the umask while it opens
(`private_umask`).

What already exists is left as it is: a data folder an administrator made (and may
manage) is theirs to set, and a file made by an older release is not changed behind the
operator's back. `sms-bridge check` looks at them instead (`loose_permissions`, which only
reads) and warns about any that others may open.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700
_OTHERS = 0o077  # every permission bit of the group and of everyone else
_OTHERS_READ = 0o044


def database_files(path: Path) -> tuple[Path, Path, Path]:
    """The database file and the two files SQLite keeps beside it in WAL mode."""
    return path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


def make_private_folder(folder: Path) -> None:
    """Create `folder` and its missing parents, each 0700; folders already there are kept."""
    missing = []
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    for created in reversed(missing):
        try:
            created.mkdir(mode=PRIVATE_FOLDER)
        except FileExistsError:
            continue  # made by someone else meanwhile: theirs
        created.chmod(PRIVATE_FOLDER)  # exactly, whatever the umask took away


def create_private_file(path: Path) -> bool:
    """Create an empty file readable by this user only; False if it was already there."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_FILE)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, PRIVATE_FILE)  # exactly, whatever the umask took away
    finally:
        os.close(fd)
    return True


@contextmanager
def private_umask() -> Iterator[None]:
    """While inside, files and folders the process creates are its user's alone.

    For files created by code we do not control (SQLite's `-wal` and `-shm`). The umask
    belongs to the whole process, so hold it briefly: a file another thread creates
    meanwhile only ends up more private than it would have been.
    """
    previous = os.umask(_OTHERS)
    try:
        yield
    finally:
        os.umask(previous)


@dataclass(frozen=True)
class LoosePermissions:
    """A file or folder that users other than its owner may open."""

    path: Path
    mode: int  # the permission bits, e.g. 0o644
    is_folder: bool

    @property
    def private_mode(self) -> int:
        return PRIVATE_FOLDER if self.is_folder else PRIVATE_FILE

    @property
    def readable_by_others(self) -> bool:
        return bool(self.mode & _OTHERS_READ)


def loose_permissions(paths: Iterable[Path]) -> list[LoosePermissions]:
    """The paths that exist and give their group or everyone any access; only reads."""
    found = []
    for path in paths:
        try:
            status = path.stat()
        except OSError:  # absent, or not ours to look at: nothing to warn about here
            continue
        mode = stat.S_IMODE(status.st_mode)
        if mode & _OTHERS:
            found.append(LoosePermissions(path, mode, stat.S_ISDIR(status.st_mode)))
    return found
