"""The files that hold one-time codes are the bridge's alone: 0600 in a 0700 folder.

Each test loosens the umask first (0022 is the usual default, 0000 the worst), so a mode
that comes out right is the bridge's doing, not the test machine's.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app.lock import InstanceLock
from state import IncomingSms, Store, database_files, inspect_database, loose_permissions, messages
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess
from tests.fakes.smsc import FakeSmsc

CODE = IncomingSms(1, "Bank", "79031234567", "Your code 123456", datetime(2026, 11, 27, tzinfo=UTC))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o000], ids=["umask 022", "umask 000"])
def loose_umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def test_a_new_store_its_wal_and_shm_are_private_whatever_the_umask(
    tmp_path: Path, loose_umask: int
) -> None:
    path = tmp_path / "data" / "nested" / "bridge.db"
    store = Store.open(path)
    try:
        messages.save_incoming(store, [CODE], ["-1001"])
        files = database_files(path)
        assert all(file.exists() for file in files)  # WAL mode: all three are there
        assert {file.name: mode(file) for file in files} == {
            "bridge.db": 0o600,
            "bridge.db-wal": 0o600,
            "bridge.db-shm": 0o600,
        }
        assert mode(tmp_path / "data") == mode(tmp_path / "data" / "nested") == 0o700
        assert os.umask(loose_umask) == loose_umask  # the store gave the umask back
    finally:
        store.close()


def test_the_instance_lock_file_is_private_whatever_the_umask(
    tmp_path: Path, loose_umask: int
) -> None:
    lock = InstanceLock(tmp_path / "data" / "bridge.db")
    lock.acquire()
    try:
        assert mode(lock.path) == 0o600 and mode(lock.path.parent) == 0o700
        assert lock.path.read_text().strip() == str(os.getpid())
    finally:
        lock.release()


def test_a_folder_the_administrator_made_is_left_as_it_is(tmp_path: Path, loose_umask: int) -> None:
    folder = tmp_path / "managed"
    folder.mkdir()
    folder.chmod(0o750)
    Store.open(folder / "bridge.db").close()
    lock = InstanceLock(folder / "bridge.db")
    lock.acquire()
    lock.release()
    assert mode(folder) == 0o750
    assert mode(folder / "bridge.db") == mode(folder / "bridge.db.lock") == 0o600


def test_the_read_only_look_of_check_creates_nothing_others_may_open(
    tmp_path: Path, loose_umask: int
) -> None:
    path = tmp_path / "bridge.db"
    Store.open(path).close()  # the last connection closing removes -wal and -shm
    assert inspect_database(path) is not None
    assert loose_permissions(database_files(path)) == []
    assert os.umask(loose_umask) == loose_umask


def test_only_what_others_may_open_is_reported(tmp_path: Path) -> None:
    private, readable, writable, folder = (
        tmp_path / "private",
        tmp_path / "readable",
        tmp_path / "writable",
        tmp_path / "folder",
    )
    for file, file_mode in ((private, 0o600), (readable, 0o644), (writable, 0o620)):
        file.touch()
        file.chmod(file_mode)
    folder.mkdir()
    folder.chmod(0o711)
    found = loose_permissions([private, readable, writable, folder, tmp_path / "absent"])
    assert [(f.path, f.mode, f.private_mode, f.readable_by_others) for f in found] == [
        (readable, 0o644, 0o600, True),
        (writable, 0o620, 0o600, False),
        (folder, 0o711, 0o700, False),
    ]


@pytest.mark.e2e
def test_the_running_bridge_keeps_its_database_files_private(
    tmp_path: Path, smsc: FakeSmsc, start_bridge: Callable[..., BridgeProcess]
) -> None:
    smsc.add_sms("Your code 123456")
    previous = os.umask(0o022)  # inherited by the bridge process
    try:
        bridge = start_bridge()
    finally:
        os.umask(previous)
    bridge.wait_for_log(FIRST_START_DONE)  # the SMS is stored
    data = tmp_path / "data"
    files = {file.name: mode(file) for file in data.iterdir()}
    assert files == {
        "bridge.db": 0o600,
        "bridge.db-wal": 0o600,
        "bridge.db-shm": 0o600,
        "bridge.db.lock": 0o600,
    }
    assert mode(data) == 0o700
