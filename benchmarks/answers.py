"""First answers: a chat command to the bot's answer, through the real bridge, on a big file.

`sms-bridge run` on a copy of the queries benchmark's database (SMS spread over a year),
in private chats of allowed users (configured chats, where every command answers). A
command is sent as an update of the fake Bot API and timed from then to the first
`sendMessage` or `sendDocument` of its answer (the update's way in, the command, its query
and its rendering, the write). The first answer of each command after the start is
reported apart (caches cold), then the p95 of the repeats. Commands go one at a time,
each command in its own private chat, so that a chat's pace (one message a second; a long
answer is several) never holds an answer back.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks import queries
from benchmarks.common import Result, percentile, phone
from tests.fakes.bridge import BridgeProcess, bridge_settings
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram
from tests.fakes.wait import wait_until

FIRST_CHAT = 5252  # command i is asked in the private chat FIRST_CHAT + i
TARGET_MS = 50.0
SPACING = 0.8  # seconds between commands: a chat is asked again after its whole last answer
ANSWERS = ("sendMessage", "sendDocument")  # a long answer is a file


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


def run(folder: Path, database_count: int, repeats: int) -> list[Result]:
    source = queries.database(folder, database_count)
    smsc, telegram = FakeSmsc().start(), FakeTelegram().start()
    smsc.next_id = 10 * database_count
    firsts: dict[str, float] = {}
    times: dict[str, list[float]] = {command: [] for command in commands()}
    chats = [FIRST_CHAT + index for index in range(len(commands()))]
    with tempfile.TemporaryDirectory() as work:
        database = Path(work) / "bridge.db"
        shutil.copyfile(source, database)
        env = bridge_settings(
            smsc,
            telegram,
            database,
            TELEGRAM_CHAT_IDS=",".join(str(chat) for chat in chats),
            TELEGRAM_ALLOWED_USER_IDS=",".join(str(chat) for chat in chats),
            SMSC_POLL_INTERVAL="30",
            LOG_LEVEL="INFO",  # the start's last line says when commands are answered
        )
        bridge = BridgeProcess(Path(work), env, "answers").start()
        try:
            # A copy of a file that did its first start long ago: no first-start line, only
            # the one that says the chat side is up (migrations of a big file come before).
            bridge.wait_for_log("answering chat commands", timeout=300)
            for round_number in range(repeats + 1):
                for chat, command in zip(chats, commands(), strict=True):
                    seconds = _answer_time(telegram, chat, command)
                    if round_number == 0:
                        firsts[command] = seconds
                    else:
                        times[command].append(seconds)
                    time.sleep(SPACING)
        finally:
            bridge.kill()
            smsc.stop()
            telegram.stop()
    how = (
        f"sms-bridge run on a copy of a {database_count:,}-SMS database, one private chat "
        f"of an allowed user per command; update handed to the bridge -> the answer's first "
        f"sendMessage or sendDocument at the fake Bot API; the first answer after the start, "
        f"then p95 of {repeats} more"
    )
    results = []
    for command in commands():
        name = command.split()[0] + (" " + command.split()[1] if " " in command else "")
        if command.startswith("/from"):
            name = "/from PHONE"
        p95 = percentile(times[command], 0.95) * 1000
        results.append(Result("answers", f"{name}: first", firsts[command] * 1000, "ms", how=how))
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
    return results
