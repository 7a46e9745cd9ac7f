"""One `DutyRoster` per running bridge, shared by the on-call feature and the calls.

The on-call feature builds the roster (and keeps its calendars read); the calls feature,
built after it from the same core parts, must ask the same roster whom to call, not a
copy whose calendars nobody refreshes. The on-call feature files its roster here under
the store it was built with; the calls find it there (none: the take buttons are off, and
so are calls, which a take stops).
"""

from __future__ import annotations

import weakref

from bot.core.database import AsyncStore
from bot.features.oncall.duty import DutyRoster

_ROSTERS: weakref.WeakKeyDictionary[AsyncStore, DutyRoster] = weakref.WeakKeyDictionary()


def keep_roster(store: AsyncStore, roster: DutyRoster) -> DutyRoster:
    """File the roster of the bridge that runs on `store` (the on-call feature's build)."""
    _ROSTERS[store] = roster
    return roster


def roster_of(store: AsyncStore) -> DutyRoster | None:
    """The roster the on-call feature built for the bridge on `store`, if it did."""
    return _ROSTERS.get(store)
