"""Memory: peak RSS of `sms-bridge run` on a large database, idle and after a relay.

The real process runs on a copy of the queries benchmark's database (1,000,000 SMS over a
year), polling a fake SMSC every second. Figures are read from /proc/PID/status: VmRSS
(now) and VmHWM (the peak since start). "Idle" is after start-up and 5 s of polling;
"after relaying" is once a fake Bot API has every one of N new SMS, relayed to one private
chat (one message a second, backlog digests on, as by default); "after /stats" once the
chart of the last 30 days has arrived (drawn by a child process: the bridge never loads
matplotlib).
"""

from __future__ import annotations

import shutil
import signal
import tempfile
import time
from pathlib import Path

from benchmarks import queries
from benchmarks.common import Result
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess, bridge_settings
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram
from tests.fakes.wait import wait_until

CHAT = 5151  # a private chat
TARGET_MB = 120


def rss_mb(pid: int) -> dict[str, float]:
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            figures[name] = int(value.split()[0]) / 1024
    return figures


def run(folder: Path, database_count: int, relay_count: int) -> list[Result]:
    source = queries.database(folder, database_count)
    smsc, telegram = FakeSmsc().start(), FakeTelegram().start()
    smsc.next_id = 10 * database_count  # above every ID in the copied database
    with tempfile.TemporaryDirectory() as work:
        database = Path(work) / "bridge.db"
        shutil.copyfile(source, database)
        env = bridge_settings(
            smsc,
            telegram,
            database,
            TELEGRAM_CHAT_IDS=str(CHAT),
            SMSC_POLL_INTERVAL="1",
            LOG_LEVEL="INFO",
        )
        bridge = BridgeProcess(Path(work), env).start()
        try:
            bridge.wait_for_log(FIRST_START_DONE, timeout=120)
            bridge.wait_for_log("connected to Telegram")
            time.sleep(5)  # idle polling
            assert bridge.process is not None
            idle = rss_mb(bridge.process.pid)
            texts = {f"memory probe {n}: pump {n % 9} pressure high" for n in range(relay_count)}
            for text in sorted(texts):
                smsc.add_sms(text)
            wait_until(
                lambda: texts <= set(telegram.sms_texts(CHAT)),
                timeout=60 + relay_count / 10,
                what="every SMS relayed",
            )
            relayed = rss_mb(bridge.process.pid)
            telegram.user_sends(CHAT, "/stats 30d", user_id=CHAT)
            wait_until(
                lambda: any(m.kind == "photo" for m in telegram.messages(CHAT)),
                timeout=120,
                what="the /stats chart",
            )
            charted = rss_mb(bridge.process.pid)
            code, _ = bridge.stop(signal.SIGTERM)
            assert code == 0
        finally:
            bridge.kill()
            smsc.stop()
            telegram.stop()
    how = (
        f"sms-bridge run on a copy of a {database_count:,}-SMS database; /proc/PID/status "
        f"VmHWM; relay = {relay_count:,} new SMS to one private chat via digests "
        f"({len(telegram.messages(CHAT))} messages)"
    )
    return [
        Result(
            "memory",
            "peak RSS, idle",
            idle["VmHWM"],
            "MB",
            target=f"< {TARGET_MB} MB",
            met=idle["VmHWM"] < TARGET_MB,
            how=how,
            extra=idle,
        ),
        Result(
            "memory",
            f"peak RSS after relaying {relay_count:,} SMS",
            relayed["VmHWM"],
            "MB",
            target=f"< {TARGET_MB} MB",
            met=relayed["VmHWM"] < TARGET_MB,
            how=how,
            extra=relayed,
        ),
        Result(
            "memory",
            "peak RSS after /stats 30d",
            charted["VmHWM"],
            "MB",
            target=f"< {TARGET_MB} MB",
            met=charted["VmHWM"] < TARGET_MB,
            how=how,
            extra=charted,
        ),
    ]
