"""No secret in any log line, at DEBUG, through a full scenario with faults."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from tests.conftest import GROUP
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess
from tests.fakes.smsc import API_KEY, PASSWORD, FakeSmsc, Fault
from tests.fakes.telegram import TOKEN, FakeTelegram, TgFault


def secret_forms(secret: str) -> list[str]:
    forms = [secret, quote(secret, safe=""), quote(secret)]
    if ":" in secret:
        forms.append(secret.split(":", 1)[1])
    return forms


def assert_clean(log: str, *secrets: str) -> None:
    for secret in secrets:
        for form in secret_forms(secret):
            lines = [line for line in log.splitlines() if form in line]
            assert not lines, f"secret form {form!r} logged: {lines[:2]}"


def scenario(smsc: FakeSmsc, telegram: FakeTelegram, bridge: BridgeProcess) -> None:
    bridge.wait_for_log(FIRST_START_DONE)
    bridge.wait_for_log("connected to Telegram")
    smsc.inject(Fault("status", 502), Fault("body", b"<html>oops</html>"))
    telegram.fail_next(TgFault("retry_after", 1), TgFault("status", 502), TgFault("lost_answer"))
    smsc.add_sms("code 9911")
    telegram.wait_for(lambda: "code 9911" in telegram.sms_texts(GROUP), timeout=30)
    telegram.user_sends(GROUP, "/status")
    telegram.user_sends(GROUP, "/last 3")
    telegram.wait_for(lambda: any("The last 1 SMS" in t for t in telegram.texts(GROUP)))
    code, _ = bridge.stop()
    assert code == 0


def test_login_password_run_at_debug_logs_no_secret(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: Callable[..., BridgeProcess]
) -> None:
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP), LOG_LEVEL="DEBUG")
    scenario(smsc, telegram, bridge)
    log = bridge.log()
    assert "sendMessage" in log and "DEBUG" in log  # the scenario really ran at DEBUG
    assert_clean(log, TOKEN, PASSWORD)


def test_api_key_run_at_debug_logs_no_secret(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: Callable[..., BridgeProcess]
) -> None:
    bridge = start_bridge(
        TELEGRAM_CHAT_IDS=str(GROUP), SMSC_LOGIN="", SMSC_PASSWORD="", SMSC_API_KEY=API_KEY
    )
    scenario(smsc, telegram, bridge)
    assert_clean(bridge.log(), TOKEN, API_KEY)
    assert all(r.form.get("apikey") == API_KEY for r in smsc.inbox_requests())


def test_a_rejected_token_is_reported_without_the_token(
    smsc: FakeSmsc,
    telegram: FakeTelegram,
    start_bridge: Callable[..., BridgeProcess],
    tmp_path: Path,
) -> None:
    wrong = "999999:WRONG-token-zyxwvutsrqponm"
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP), TELEGRAM_BOT_TOKEN=wrong)
    assert bridge.process is not None and bridge.process.wait(30) == 1
    log = bridge.log()
    assert "Telegram rejected TELEGRAM_BOT_TOKEN" in log
    assert_clean(log, wrong, PASSWORD)
