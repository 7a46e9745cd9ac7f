"""RETENTION_DAYS: SMS older than that are deleted when the bridge starts, then once a day.

What goes and what stays is `state.retention`'s rule. This module only runs it: in small
batches on the store's thread (the SMS received, then the SMS sent for a person), pausing
between them, so that the poller storing new SMS and the relays booking deliveries get
the store in between and never wait more than one batch; then, if anything went (replies
alone too), the freed space goes back to the file system, in steps as well. A purge that
fails is logged and tried again the next day: it must never stop the bridge.

What is already older than the retention when it is fetched, and that no chat is to get
(the first start's history), is never stored at all
(`Store.keep_for`, so the order of the start-up's purge and first poll does not matter);
`bot.intake.poller.log_too_old` is the one line written about it.

The last step, the WAL checkpoint that shrinks the file, cannot finish while another
connection reads (an /export's snapshot, a backup): it is tried again a few times a
little later, and if it still cannot finish, a warning says so and what follows: the
space is free inside the file, and SQLite's next automatic checkpoint that finds no reader
in the way shrinks the file; the next purge empties the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core.database import AsyncStore
from state import Store, retention

log = logging.getLogger(__name__)

EVERY = timedelta(days=1)
PAUSE = 0.05  # seconds between batches: the store's other calls go first
CHECKPOINT_TRIES = 4
CHECKPOINT_RETRY = 30.0  # seconds between tries: an export of a large window takes some


@dataclass(frozen=True)
class Purged:
    """What one purge deleted."""

    sms: int  # SMS received
    replies: int  # SMS sent for a person
    kept_aside: int = 0  # records the database refused, kept aside in their raw form


class Retention:
    """Deletes what is older than `days`, at start and every `every`, until cancelled."""

    def __init__(
        self,
        store: AsyncStore,
        days: int,
        *,
        batch: int = retention.BATCH,
        pause: float = PAUSE,
        every: timedelta = EVERY,
        checkpoint_retry: float = CHECKPOINT_RETRY,
    ) -> None:
        self._store = store
        self._keep = timedelta(days=days)
        self._days = days
        self._batch = batch
        self._pause = pause
        self._every = every
        self._checkpoint_retry = checkpoint_retry

    async def run(self) -> None:
        while True:
            try:
                await self.purge(datetime.now(UTC))
            except Exception as error:  # the bridge goes on; the next day tries again
                log.error("retention: the purge failed; trying again tomorrow", exc_info=error)
            await asyncio.sleep(self._every.total_seconds())

    async def purge(self, now: datetime) -> Purged:
        """Delete every SMS received, and every settled SMS sent, before `now - days` that
        may go; then give the space back if anything went."""
        cutoff = now - self._keep
        purged = Purged(
            await self._in_batches(retention.purge_batch, cutoff),
            await self._in_batches(retention.purge_replies_batch, cutoff),
            await self._in_batches(retention.purge_kept_aside_batch, cutoff),
        )
        log.info(
            "retention: %d SMS received, %d sent and %d kept aside before %s deleted "
            "(RETENTION_DAYS=%d)",
            purged.sms,
            purged.replies,
            purged.kept_aside,
            cutoff.strftime("%Y-%m-%d %H:%M UTC"),
            self._days,
        )
        if purged.sms or purged.replies or purged.kept_aside:
            await self._give_space_back()
        return purged

    async def _in_batches(
        self, batch: Callable[[Store, datetime, int], int], cutoff: datetime
    ) -> int:
        """Run `batch` on the store's thread until it deletes less than a batch, pausing
        in between; how many rows went."""
        deleted = 0
        while True:
            count = await self._store.call(batch, cutoff, self._batch)
            deleted += count
            if count < self._batch:
                return deleted
            await asyncio.sleep(self._pause)

    async def _in_steps(self, step: Callable[[Store], bool]) -> None:
        """Run `step` on the store's thread until it says it is done, pausing in between."""
        while True:
            if not await self._store.call(step):
                return
            await asyncio.sleep(self._pause)

    async def _give_space_back(self) -> None:
        await self._in_steps(retention.merge_index)  # drops the index's tombstones
        if not await self._store.call(retention.gives_space_back):
            log.warning(
                "retention: converting the database to give space back in steps: one "
                "VACUUM, once (the bridge waits for it; SMS wait at SMSC meanwhile)"
            )
            done = await self._store.call(retention.convert_to_incremental)
            if done.complete or await self._checkpoint():
                log.info("retention: database converted; space given back")
            return
        freed = await self._store.call(retention.free_pages)
        await self._in_steps(retention.hand_back)
        if await self._checkpoint():
            log.info("retention: %d free pages given back to the file system", freed)

    async def _checkpoint(self) -> bool:
        """Empty the write-ahead log so the file shrinks now, trying again while another
        connection is in the way; whether it finished (if not, a warning says what next)."""
        for attempt in range(1, CHECKPOINT_TRIES + 1):
            done = await self._store.call(retention.checkpoint)
            if done.complete:
                return True
            if attempt < CHECKPOINT_TRIES:
                log.debug(
                    "retention: checkpoint busy (%d of %d frames copied); again in %g s",
                    done.copied,
                    done.frames,
                    self._checkpoint_retry,
                )
                await asyncio.sleep(self._checkpoint_retry)
        log.warning(
            "retention: the write-ahead log could not be emptied after %d tries (%d of %d "
            "frames copied): another connection kept reading or writing (an /export or "
            "/stats, a backup, the sqlite3 shell). Nothing is lost and the deleted SMS are "
            "gone; the freed space stays inside the file until SQLite's next automatic "
            "checkpoint that no reader holds up shrinks it, and the next purge empties the log",
            CHECKPOINT_TRIES,
            done.copied,
            done.frames,
        )
        return False
