"""First answers: a chat command to the bot's answer, through the real bridge, on a big file.

`sms-bridge run` on a copy of the queries benchmark's database (SMS spread over a year),
in private chats of allowed users (configured chats, where every command answers). A
command is sent as an update of the fake Bot API and timed from then to the first
`sendMessage` or `sendDocument` of its answer (the update's way in, the command, its query
and its rendering, the write). The first answer of each command after the start is
reported apart (caches cold), then the p95 of the repeats. Commands go one at a time,
each command in its own private chat, so that a chat's pace (one message a second; a long
answer is several) never holds an answer back. One more is asked in the team chat the
database routes every third SMS to (a routes file is set, so that chat sees only its
own): its `/search` walks three matches for each one it may show.

Beside them, the query's share: the routed `/search` query alone, in this process on the
same file, asked back to back and after SPACING of idleness, as the bridge is asked. An
answer much slower than its query is the bridge's way (or the machine's); a query slower
after a pause than back to back is the machine's caches (docs/benchmarks.md).
"""

from __future__ import annotations

import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks import queries
from benchmarks.common import Result, percentile, phone
from state import Store, history
from tests.fakes.bridge import BridgeProcess, bridge_settings
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram
from tests.fakes.wait import wait_until

FIRST_CHAT = 5252  # command i is asked in the private chat FIRST_CHAT + i
TARGET_MS = 50.0
SPACING = 0.8  # seconds between commands: a chat is asked again after its whole last answer
ANSWERS = ("sendMessage", "sendDocument")  # a long answer is a file


ROUTED_COMMAND = "/search pressure"  # asked in queries.TEAM_CHAT, which sees a third
ROUTED_NAME = "/search pressure (routed chat)"
ROUTES = f'[[route]]\ntext = "pressure"\nchats = ["{queries.TEAM_CHAT}"]\n'


def commands() -> list[str]:
    sender = phone(random.Random(365))  # the first sender the database was built with
    return [
        "/last 100",
        "/search pressure",
        f"/from {sender}",
        "/history 10m",
        "/history 26.11",  # a whole day of the database: about 2,700 SMS
        "/status",
    ]


def _name(command: str) -> str:
    """How the results name a command: its first two words, a number as PHONE."""
    return "/from PHONE" if command.startswith("/from") else " ".join(command.split()[:2])


def _answer_time(telegram: FakeTelegram, chat: int, command: str) -> float:
    """Seconds from the update to the request that answers it."""
    with telegram.lock:
        before = len(telegram.requests)
    sent = time.monotonic()
    telegram.user_sends(chat, command, user_id=chat)

    def answered() -> float | None:
        with telegram.lock:
            for request in telegram.requests[before:]:
                if request.method in ANSWERS and int(request.params["chat_id"]) == chat:
                    return request.at
        return None

    wait_until(lambda: answered() is not None, timeout=30, what=f"the answer to {command}")
    at = answered()
    assert at is not None
    return at - sent


def _idle_penalty(database: Path, repeats: int) -> list[Result]:
    """The routed /search query alone, back to back and after SPACING idle (alternated)."""
    store = Store.open(database)

    def timed_query() -> float:
        started = time.perf_counter()
        history.search(store, "pressure", None, None, 2000, queries.TEAM_CHAT)
        return time.perf_counter() - started

    try:
        timed_query()  # the first read of the file is reported by the answers, not here
        busy, rested = [], []
        for _ in range(repeats):
            busy += [timed_query() for _ in range(3)][1:]  # the first follows a pause
            time.sleep(SPACING)
            rested.append(timed_query())
    finally:
        store.close()
    busy_ms, rested_ms = statistics.median(busy) * 1000, statistics.median(rested) * 1000
    how = (
        f"history.search of {ROUTED_COMMAND!r} for the routed chat in this process on the "
        f"same file: median of {len(busy)} asked back to back, of {len(rested)} asked after "
        f"{SPACING} s idle (alternated): the query's share of the routed answer"
    )
    return [
        Result("answers", "routed query alone, back to back", busy_ms, "ms", how=how),
        Result("answers", f"routed query alone, after {SPACING} s idle", rested_ms, "ms", how=how),
        Result(
            "answers",
            "routed query: idle / back to back",
            rested_ms / busy_ms,
            "x",
            how=how,
            higher_is_better=False,
        ),
    ]


def run(folder: Path, database_count: int, repeats: int) -> list[Result]:
    source = queries.database(folder, database_count)
    smsc, telegram = FakeSmsc().start(), FakeTelegram().start()
    smsc.next_id = 10 * database_count
    private = [FIRST_CHAT + index for index in range(len(commands()))]
    asked = [
        *(
            (chat, command, _name(command))
            for chat, command in zip(private, commands(), strict=True)
        ),
        (int(queries.TEAM_CHAT), ROUTED_COMMAND, ROUTED_NAME),
    ]
    firsts: dict[str, float] = {}
    times: dict[str, list[float]] = {name: [] for _chat, _command, name in asked}
    with tempfile.TemporaryDirectory() as work:
        database = Path(work) / "bridge.db"
        shutil.copyfile(source, database)
        (Path(work) / "routes.toml").write_text(ROUTES, "utf-8")
        env = bridge_settings(
            smsc,
            telegram,
            database,
            TELEGRAM_CHAT_IDS=",".join([*(str(chat) for chat in private), queries.TEAM_CHAT]),
            TELEGRAM_ALLOWED_USER_IDS=",".join(str(chat) for chat in private),
            ROUTES_FILE=str(Path(work) / "routes.toml"),
            SMSC_POLL_INTERVAL="30",
            LOG_LEVEL="INFO",  # the start's last line says when commands are answered
        )
        bridge = BridgeProcess(Path(work), env, "answers").start()
        try:
            # A copy of a file that did its first start long ago: no first-start line, only
            # the one that says the chat side is up (migrations of a big file come before).
            bridge.wait_for_log("answering chat commands", timeout=300)
            for round_number in range(repeats + 1):
                for chat, command, name in asked:
                    seconds = _answer_time(telegram, chat, command)
                    if round_number == 0:
                        firsts[name] = seconds
                    else:
                        times[name].append(seconds)
                    time.sleep(SPACING)
        finally:
            bridge.kill()
            smsc.stop()
            telegram.stop()
        machine = _idle_penalty(database, repeats)
    how = (
        f"sms-bridge run on a copy of a {database_count:,}-SMS database, one private chat "
        f"of an allowed user per command, and {ROUTED_COMMAND} in the team chat every third "
        f"SMS is routed to; update handed to the bridge -> the answer's first "
        f"sendMessage or sendDocument at the fake Bot API; the first answer after the start, "
        f"then p95 of {repeats} more"
    )
    results = []
    for _chat, _command, name in asked:
        p95 = percentile(times[name], 0.95) * 1000
        results.append(Result("answers", f"{name}: first", firsts[name] * 1000, "ms", how=how))
        results.append(
            Result(
                "answers",
                f"{name}: p95",
                p95,
                "ms",
                target=f"< {TARGET_MS:.0f}",
                met=p95 < TARGET_MS,
                how=how,
            )
        )
    return results + machine
