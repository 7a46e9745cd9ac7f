"""`sms-bridge demo`: the real bridge plays a night from an SMSC simulated on 127.0.0.1 into
the chat, with only a bot token and a chat ID, and reaches nothing beyond this machine."""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bot.app.lock import AlreadyRunning, InstanceLock
from bot.app.settings import ConfigError
from bot.demo.command import demo_database, load_demo_settings, start_afresh
from bot.smsc import SmscCredentials
from tests.conftest import GROUP, OPERATOR
from tests.fakes.bridge import clean_environment, sms_bridge_command
from tests.fakes.telegram import TOKEN, FakeTelegram, SentMessage

REAL_SMSC = {"SMSC_BASE_URL": "https://smsc.ru", "SMSC_LOGIN": "acme", "SMSC_PASSWORD": "real"}


class Trap:
    """A proxy on 127.0.0.1 that records every request sent its way and lets none through."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        trap = self

        class Handler(BaseHTTPRequestHandler):
            def _refuse(self) -> None:
                trap.requests.append(self.requestline)
                self.send_error(403)

            do_GET = do_POST = do_CONNECT = _refuse

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def trap() -> Iterator[Trap]:
    proxy = Trap()
    yield proxy
    proxy.stop()


def first(
    telegram: FakeTelegram, starts: str, *, after: int = 0, timeout: float = 20.0
) -> SentMessage:
    def found() -> list[SentMessage]:
        return [m for m in telegram.messages(GROUP)[after:] if m.plain.startswith(starts)]

    telegram.wait_for(lambda: found(), timeout=timeout, what=starts)
    with telegram.lock:
        return replace(found()[0])


@pytest.mark.e2e
def test_the_demo_relays_its_night_and_reaches_nothing_beyond_this_machine(
    tmp_path: Path, telegram: FakeTelegram, trap: Trap
) -> None:
    telegram.administrators[GROUP] = [OPERATOR]  # replies open to the group's admins
    env = clean_environment(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_BASE_URL=telegram.base_url,
        TELEGRAM_CHAT_IDS=str(GROUP),
        DATABASE_PATH=str(tmp_path / "data" / "bridge.db"),
        **REAL_SMSC,  # set, and never used
        # Anything not for 127.0.0.1 goes to the trap instead of the network.
        HTTP_PROXY=trap.url,
        HTTPS_PROXY=trap.url,
        ALL_PROXY=trap.url,
        NO_PROXY="127.0.0.1,localhost",
    )
    output = tmp_path / "demo.out"
    with output.open("wb") as out:
        demo = subprocess.Popen(
            [*sms_bridge_command(), "demo", "--speed", "5"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        # The first SMS waits for a whole process to start (6.5 s alone here; more than
        # 20 s once, beside seven other test workers on two cores): a deadline, not a pace.
        code = first(telegram, "🔑 4821 · MyBank: Your login code: 4821.", timeout=90)
        assert code.markup is not None  # a Take button, as in any group
        late = first(telegram, "⏳ 3 h ")  # late, and its first line says how old first
        assert " old · +7 903 555-77-88: Evening shift" in late.plain.splitlines()[0]
        customer = first(telegram, "📩 +7 926 765-43-21: Hello, the lift")
        digest = first(telegram, "📦")
        assert telegram.sms_texts(GROUP).count("Cold store 3: door closed, cooling down.") == 1
        assert "Cold store 3" in digest.plain and "door open 4 min" in digest.plain

        telegram.user_sends(GROUP, "On our way", user_id=OPERATOR, reply_to=customer)
        preview = first(telegram, "📤 SMS to +7 926 765-43-21")
        assert preview.markup is not None
        [send] = [b for b in preview.markup["inline_keyboard"][0] if "Send" in b["text"]]
        telegram.user_presses(preview, user_id=OPERATOR, data=send["callback_data"])

        def shown() -> str:
            return next(
                m.plain for m in telegram.messages(GROUP) if m.message_id == preview.message_id
            )

        telegram.wait_for(lambda: "✅ delivered" in shown(), timeout=40, what="delivered")
        first(telegram, "📩 +7 926 765-43-21: Thank you, got it.")  # the customer answers
        first(telegram, "📩 +7 916 111-22-33: Boiler room 2: pressure back to normal")
    finally:
        demo.send_signal(signal.SIGINT)
        assert demo.wait(20) == 0
    said = output.read_text("utf-8")
    assert "took 1 SMS into its outbox, none sent to a phone" in said
    polls = int(said.split("the simulated SMSC answered ")[1].split()[0])
    assert polls >= 3
    assert trap.requests == []
    assert "polling http://127.0.0.1:" in said and "smsc.ru" not in said
    assert not (tmp_path / "data" / "bridge.db").exists()
    assert (tmp_path / "data" / "demo.db").exists()
    history = "Boiler room 2: daily self-test passed"  # stored before the night: not relayed
    assert not any(history in text for text in telegram.sms_texts(GROUP))


def test_the_demo_settings_replace_smsc_the_database_and_what_reaches_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    routes = tmp_path / "routes.toml"
    routes.write_text("")
    for name, value in {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_CHAT_IDS": "-100123",
        "DATABASE_PATH": str(tmp_path / "data" / "demo.db"),  # the real one: kept apart
        "SMSC_API_KEY": "real-key",
        "PUSH_PORT": "8080",
        "PUSH_PATH": "/smsc/a-long-secret-path",
        "HEALTH_PORT": "9090",
        "ROUTES_FILE": str(routes),
        **REAL_SMSC,
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_demo_settings()
    assert settings.smsc_base_url.startswith("http://127.0.0.1")
    assert settings.smsc_auth() == SmscCredentials("demo", "demo-password")
    assert settings.database_path == tmp_path / "data" / "demo-demo.db"
    assert (settings.push_port, settings.health_port, settings.routes_file) == (None, None, None)


def test_the_demo_needs_a_chat_id_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.delenv("TELEGRAM_CHAT_IDS", raising=False)
    with pytest.raises(ConfigError, match="TELEGRAM_CHAT_IDS is not set"):
        load_demo_settings()
    run = subprocess.run(
        [*sms_bridge_command(), "demo"],
        cwd=tmp_path,
        env=clean_environment(TELEGRAM_BOT_TOKEN=TOKEN),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and run.stderr.startswith("sms-bridge: TELEGRAM_CHAT_IDS is not")


def test_each_demo_starts_on_a_fresh_database_unless_one_is_running_on_it(
    tmp_path: Path,
) -> None:
    real = tmp_path / "bridge.db"
    demo = demo_database(real)
    for path in (real, demo, demo.with_name("demo.db-wal")):
        path.write_text("kept")
    running = InstanceLock(demo)
    running.acquire()
    try:
        with pytest.raises(AlreadyRunning):
            start_afresh(demo)
        assert demo.exists()
    finally:
        running.release()
    start_afresh(demo)
    assert not demo.exists() and not demo.with_name("demo.db-wal").exists()
    assert real.read_text() == "kept"
