"""Runs the real `sms-bridge run` as a child process, with its log captured to a file."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bot.app.settings import Settings
from tests.fakes.smsc import LOGIN, PASSWORD, FakeSmsc
from tests.fakes.telegram import TOKEN, FakeTelegram
from tests.fakes.wait import wait_until

FIRST_START_DONE = r"first start: \d+ SMS stored as history"  # the backfill has finished
# Every variable the bridge reads, from the settings class itself: a setting added there is
# kept out of the tests' bridges too, whatever the developer's shell or CI exports.
SETTING_NAMES = frozenset(name.upper() for name in Settings.model_fields)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sms_bridge_command() -> list[str]:
    """The installed console script, as a user runs it."""
    script = Path(sys.executable).with_name("sms-bridge")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without any bridge setting, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if k.upper() not in SETTING_NAMES}
    env.update(settings)
    return env


def bridge_settings(
    smsc: FakeSmsc, telegram: FakeTelegram, database: Path, **overrides: str
) -> dict[str, str]:
    """The environment of a bridge wired to the fakes, polling every second."""
    settings = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": telegram.base_url,
        "SMSC_BASE_URL": smsc.url,
        "SMSC_LOGIN": LOGIN,
        "SMSC_PASSWORD": PASSWORD,
        "SMSC_POLL_INTERVAL": "1",
        "DATABASE_PATH": str(database),
    }
    return clean_environment(**{**settings, **overrides})


class BridgeProcess:
    def __init__(self, workdir: Path, env: dict[str, str], name: str = "bridge") -> None:
        self.workdir = workdir
        self.env = env
        self.log_path = workdir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.runs = 0

    def start(self) -> BridgeProcess:
        self.runs += 1
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.runs} ---\n".encode())
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [*sms_bridge_command(), "run"],
            cwd=self.workdir,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        return self

    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")

    def wait_for_log(self, pattern: str, timeout: float = 20.0) -> None:
        regex = re.compile(pattern)
        wait_until(lambda: regex.search(self.log()), timeout, f"log line /{pattern}/")

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 15.0) -> tuple[int, float]:
        """Send `signum`; returns (exit code, seconds until exit)."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
            raise AssertionError(
                f"bridge did not exit within {timeout} s of signal {signum}"
            ) from None
        finally:
            self._log.close()
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.running:
            assert self.process is not None
            self.process.kill()
            self.process.wait()
            self._log.close()
