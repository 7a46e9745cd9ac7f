"""`sms-bridge check`: one line per part, exit 0 only when everything works; `!` warnings."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from state import Store, markers
from tests.fakes.bridge import free_port, sms_bridge_command
from tests.fakes.redirect import Collector, Redirector
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram

pytestmark = pytest.mark.e2e


def check(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*sms_bridge_command(), "check"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_everything_reachable(bridge_env: dict[str, str], tmp_path: Path, smsc: FakeSmsc) -> None:
    smsc.add_sms("one in the last hour")
    result = check(bridge_env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "✓ Telegram: bot @sms_bridge_test_bot" in lines
    assert "✓ chat -1001: Chat -1001" in lines and "✓ chat -1003:42: Chat -1003 topic 42" in lines
    assert "✓ SMSC: inbox readable (1 SMS in the last hour)" in lines
    assert any(line.startswith("✓ database:") and "will be created" in line for line in lines)
    assert any("SMSC_POLL_INTERVAL=1 is below 20s" in line for line in lines)
    assert "push endpoint: not configured (polling only)" in lines


def test_wrong_smsc_password_and_unreachable_telegram_are_named(
    bridge_env: dict[str, str], tmp_path: Path, telegram: FakeTelegram
) -> None:
    telegram.stop()
    result = check({**bridge_env, "SMSC_PASSWORD": "p4ss-NOT-right"}, tmp_path)
    assert result.returncode == 1
    assert "✗ Telegram: not reachable" in result.stdout
    assert "✗ SMSC: SMSC error 2: authorise error" in result.stdout
    assert "p4ss-NOT-right" not in result.stdout + result.stderr  # never echoed


def test_an_smsc_that_redirects_is_named_and_the_redirect_not_followed(
    bridge_env: dict[str, str], tmp_path: Path
) -> None:
    collector = Collector().start()
    redirector = Redirector(collector.url, status=307).start()  # a 307 re-posts the body
    try:
        result = check({**bridge_env, "SMSC_BASE_URL": redirector.url}, tmp_path)
    finally:
        redirector.stop()
        collector.stop()
    assert result.returncode == 1
    [line] = [line for line in result.stdout.splitlines() if line.startswith("✗ SMSC")]
    assert line.startswith(
        f"✗ SMSC: {redirector.url}: SMSC answered with a redirect to {collector.url} "
        "(HTTP 307); not followed"
    )
    assert "set SMSC_BASE_URL to it" in line
    assert collector.collected() == []


def test_database_files_others_may_open_are_warned_about_without_failing(
    bridge_env: dict[str, str], tmp_path: Path
) -> None:
    database = Path(bridge_env["DATABASE_PATH"])
    store = Store.open(database)  # kept open, as a running bridge keeps it
    try:
        markers.mark_first_start_done(store, datetime.now(UTC))  # a write: the -wal file is there
        result = check(bridge_env, tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert not [line for line in result.stdout.splitlines() if line.startswith("! database")]

        wal, folder = database.with_name("bridge.db-wal"), database.parent
        wal.chmod(0o644)
        folder.chmod(0o755)
        result = check(bridge_env, tmp_path)
    finally:
        store.close()
    assert result.returncode == 0, result.stdout + result.stderr  # a warning, not a failure
    warnings = [line for line in result.stdout.splitlines() if line.startswith("! database")]
    assert warnings == [
        f"! database: {folder} is readable by others (mode 0755): run chmod 700 {folder}",
        f"! database: {wal} is readable by others (mode 0644): run chmod 600 {wal}",
    ]


def test_a_dotenv_others_may_read_is_warned_about_without_failing(
    bridge_env: dict[str, str], tmp_path: Path
) -> None:
    """`.env` holds the bot token and the SMSC password: only its owner may read it."""
    dotenv = tmp_path / ".env"
    dotenv.write_text("UI_LANGUAGE=en\n")
    dotenv.chmod(0o644)
    result = check(bridge_env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr  # a warning, not a failure
    assert (
        "! .env: .env is readable by others (mode 0644), and it holds the bot token and "
        "passwords: run chmod 600 .env"
    ) in result.stdout.splitlines()
    dotenv.chmod(0o600)
    assert "! .env" not in check(bridge_env, tmp_path).stdout


def test_routes_are_summed_up_and_the_chats_they_name_are_checked(
    bridge_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "routes.toml").write_text(
        '[[route]]\nto = ["79031234567"]\nchats = ["-1009", "-1001"]\n'
        '[[route]]\ntext = "balance"\ndrop = true\n'
    )
    result = check({**bridge_env, "ROUTES_FILE": "routes.toml"}, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "✓ chat -1009: Chat -1009" in lines
    assert "✓ routes: routes.toml, 2 routes, 2 chats" in lines
    assert "✓ routes: not configured: every SMS goes to every chat of TELEGRAM_CHAT_IDS" in (
        check(bridge_env, tmp_path).stdout.splitlines()
    )


def test_the_team_file_is_summed_up(bridge_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "team.toml").write_text(
        '[people.anna]\nname = "Anna"\ntelegram_id = 1\nphone = "+7 926 123-45-67"\n'
        '[people.boris]\nname = "Boris"\ntelegram_id = 2\nphone = "+7 926 123-45-68"\n'
        '[chats."-1001"]\ncall = "10m"\n[chats."-1001".schedule]\nrotation = ["anna"]\n'
        'handover = "09:00"\nshift = "1d"\nstart = "2026-12-07"\n'
    )
    result = check({**bridge_env, "TEAM_FILE": "team.toml"}, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "✓ team: team.toml, 2 people, 1 chat, 1 schedule" in result.stdout.splitlines()
    assert "team: not configured: duty is only what /oncall me says" in (
        check(bridge_env, tmp_path).stdout.splitlines()
    )


def test_a_push_endpoint_nobody_serves_is_named_without_its_path(
    bridge_env: dict[str, str], tmp_path: Path
) -> None:
    """Before the first start no bridge listens: the pre-flight check still passes."""
    secret, port = "/smsc/never-printed-8f3Kq", free_port()
    result = check({**bridge_env, "PUSH_PORT": str(port), "PUSH_PATH": secret}, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    expected = (
        f"! push endpoint: configured; not listening on 127.0.0.1:{port} (is the bridge running?)"
    )
    assert expected in result.stdout.splitlines()
    assert not [line for line in result.stdout.splitlines() if line.startswith("✗")]
    assert secret not in result.stdout + result.stderr
