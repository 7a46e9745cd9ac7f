"""The store, run on one dedicated thread so that SQLite never blocks the event loop.

Every call goes through `AsyncStore.call`, which also rides out a database locked by
another process: it waits with backoff and tries again instead of failing the caller.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Concatenate, ParamSpec, TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_never,
    wait_exponential_jitter,
)

from state import Store

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


def is_lock_error(exc: BaseException) -> bool:
    """SQLite's "database is locked"/"busy": another process holds the write lock."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    message = str(exc).lower()
    return "locked" in message or "busy" in message


def _log_lock(state: RetryCallState) -> None:
    log.warning("database is locked by another process; waiting (attempt %d)", state.attempt_number)


class AsyncStore:
    """The Store for async code: owns it and the single thread that uses it.

    `await store.call(deliveries.pending, chat, 10)` runs `deliveries.pending` on that thread.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self.path = store.path  # the database file, for reports read on a snapshot

    async def call(
        self, method: Callable[Concatenate[Store, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `method(store, *args, **kwargs)` on the store's thread; wait out lock errors."""
        loop = asyncio.get_running_loop()
        bound = functools.partial(method, self._store, *args, **kwargs)
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(is_lock_error),
            wait=wait_exponential_jitter(multiplier=0.2, max=5, jitter=0.2),
            stop=stop_never,
            before_sleep=_log_lock,
            reraise=True,
        ):
            with attempt:
                return await loop.run_in_executor(self._executor, bound)
        raise AssertionError("unreachable: tenacity either returns or raises")

    def close(self) -> None:
        """Finish the call in progress, then close the database."""
        self._executor.shutdown(wait=True)
        self._store.close()
