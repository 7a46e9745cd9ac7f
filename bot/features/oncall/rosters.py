"""One `DutyRoster` per running bridge, shared by the on-call feature and the calls.

The on-call feature builds the roster (and keeps its calendars read); the calls feature,
built after it from the same core parts, must ask the same roster whom to call, not a
copy whose calendars nobody refreshes. Both get it here, by the store they were built
with: the first to ask makes it, the other gets that one.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

from bot.core.database import AsyncStore
from bot.features.oncall.duty import DutyRoster

_ROSTERS: weakref.WeakKeyDictionary[AsyncStore, DutyRoster] = weakref.WeakKeyDictionary()


def shared_roster(store: AsyncStore, make: Callable[[], DutyRoster]) -> DutyRoster:
    """The roster of the bridge that runs on `store`; made with `make` on first use."""
    roster = _ROSTERS.get(store)
    if roster is None:
        roster = _ROSTERS[store] = make()
    return roster
