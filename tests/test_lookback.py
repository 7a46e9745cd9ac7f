"""/last, /history, /search and /from share one query path: both kinds of SMS, what the
asking chat may see of them, and the heading (real SQLite, the clock passed in)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.chat.commands.lookback import (
    Asked,
    Containing,
    Found,
    FromSender,
    Newest,
    Within,
    look_back,
)
from bot.chat.windows import parse_window
from bot.core.database import AsyncStore
from state import IncomingSms, Placement, Store, messages, outgoing
from state.oncall import Person
from state.outgoing import Draft, OutgoingState

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
TEAM, OTHER = "-1001", "-1002"
PHONE = "79261112233"


@dataclass
class Inbox:
    store: Store
    thread: AsyncStore
    next_id: int = 1

    def received(self, text: str, minutes_ago: int, chat: str = TEAM, sender: str = PHONE) -> None:
        at = NOW - timedelta(minutes=minutes_ago)
        sms = IncomingSms(self.next_id, sender, "79031234567", text, at)
        messages.save_incoming(self.store, [sms], lambda _sms: Placement(((chat, False),), (chat,)))
        self.next_id += 1

    def sent(self, text: str, minutes_ago: int, chat: str = TEAM, phone: str = PHONE) -> None:
        at = NOW - timedelta(minutes=minutes_ago)
        draft = Draft(phone, text, None, 1, chat, None, None, Person(1, "Anna"))
        out = outgoing.create_preview(self.store, draft, at, at + timedelta(minutes=10))
        outgoing.claim(self.store, out.id, at, at - timedelta(hours=1), 50)
        outgoing.settle(self.store, out.id, OutgoingState.SENT)

    async def ask(self, asked: Asked, visible_to: str | None = None) -> Found:
        return await look_back(
            self.thread, asked, visible_to=visible_to, zone=MOSCOW, region="RU", now=NOW
        )


@pytest.fixture
async def inbox(tmp_path: Path) -> AsyncIterator[Inbox]:
    store = Store.open(tmp_path / "bridge.db")
    thread = AsyncStore(store)
    yield Inbox(store, thread)
    thread.close()


def texts(found: Found) -> list[str]:
    """What an answer lists, in time order, incoming and outgoing together."""
    timed = [(sms.received_at, sms.text) for sms in found.page.messages]
    timed += [(o.sent_at or o.created_at, o.text) for o in found.sent]
    return [text for _at, text in sorted(timed)]


def window(text: str) -> Within:
    return Within(parse_window(text, NOW, MOSCOW))


async def test_each_command_finds_both_kinds_of_sms_and_titles_what_it_looked_through(
    inbox: Inbox,
) -> None:
    inbox.received("boiler pressure low", 90)
    inbox.sent("boiler reset, thanks", 80)
    inbox.received("door open", 30, sender="79035550000")
    inbox.sent("boiler fixed", 20, phone="79035550000")
    hour = parse_window("1h", NOW, MOSCOW)

    within = await inbox.ask(Within(hour))
    assert texts(within) == ["door open", "boiler fixed"]
    assert (within.title, within.scope) == ("SMS received", hour.label())
    assert within.filename == hour.file_name(".txt")

    containing = await inbox.ask(Containing("boiler", None))
    assert texts(containing) == ["boiler pressure low", "boiler reset, thanks", "boiler fixed"]
    assert containing.title == "SMS containing “boiler”"
    assert containing.scope == "all stored history, times in MSK"
    assert containing.filename == "sms all.txt"

    sender = await inbox.ask(FromSender("8 926 111-22-33", None))
    assert texts(sender) == ["boiler pressure low", "boiler reset, thanks"]
    assert sender.title == "SMS from +7 926 111-22-33"

    newest = await inbox.ask(Newest(3))
    assert texts(newest) == ["boiler reset, thanks", "door open", "boiler fixed"]
    assert (newest.title, newest.scope) == ("The last 3 SMS", "times in MSK")
    assert newest.filename == "sms last 3.txt"


async def test_a_window_narrows_search_and_sender_alike(inbox: Inbox) -> None:
    inbox.received("boiler pressure low", 90)
    inbox.sent("boiler reset, thanks", 80)
    inbox.received("boiler again", 10)
    inbox.sent("boiler fixed", 5)
    hour = parse_window("1h", NOW, MOSCOW)
    for asked in (Containing("boiler", hour), FromSender(PHONE, hour)):
        found = await inbox.ask(asked)
        assert texts(found) == ["boiler again", "boiler fixed"], asked
        assert (found.scope, found.filename) == (hour.label(), hour.file_name(".txt"))


async def test_with_routes_a_chat_sees_its_own_sms_both_ways_and_an_operator_all(
    inbox: Inbox,
) -> None:
    inbox.received("for the team", 50)
    inbox.sent("from the team", 40)
    inbox.received("for the others", 30, chat=OTHER)
    inbox.sent("from the others", 20, chat=OTHER)
    ours = ["for the team", "from the team"]
    everything = [*ours, "for the others", "from the others"]
    asked: list[Asked] = [
        Newest(10),
        window("1h"),
        Containing("the", None),
        FromSender(PHONE, None),
    ]
    for each in asked:
        assert texts(await inbox.ask(each, visible_to=TEAM)) == ours, each
        assert texts(await inbox.ask(each)) == everything, each


async def test_the_last_n_count_incoming_and_outgoing_together_and_say_the_cap(
    inbox: Inbox,
) -> None:
    inbox.received("one", 40)
    inbox.sent("two", 30)
    inbox.received("three", 20)
    inbox.sent("four", 10)
    found = await inbox.ask(Newest(2))
    assert texts(found) == ["three", "four"]
    assert found.title == "The last 2 SMS"
    capped = await inbox.ask(Newest(100, capped=True))
    assert texts(capped) == ["one", "two", "three", "four"]
    assert capped.title == "The last 4 SMS"  # what is shown, not what was asked
    assert capped.scope == "times in MSK · at most 100 at a time"


async def test_nothing_found_is_titled_all_the_same(inbox: Inbox) -> None:
    empty = await inbox.ask(Newest(10))
    assert (empty.page.total, empty.sent) == (0, [])
    assert empty.title == "The last SMS"
    assert (await inbox.ask(window("2h"))).title == "SMS received"
