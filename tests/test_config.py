"""Settings: parsing, defaults, and one-line errors that name the variable."""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app.settings import ConfigError, Settings, load_settings
from bot.routing.targets import ChatTarget
from bot.smsc import SmscCredentials
from tests.fakes.bridge import SETTING_NAMES, clean_environment, sms_bridge_command

REQUIRED = {
    "TELEGRAM_BOT_TOKEN": "1:abcdefgh",
    "TELEGRAM_CHAT_IDS": "-1001, -1002:5,-1001",
    "SMSC_LOGIN": "acme",
    "SMSC_PASSWORD": "pw",
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key in [k for k in os.environ if k.upper() in SETTING_NAMES]:
        monkeypatch.delenv(key)
    for key, value in REQUIRED.items():
        monkeypatch.setenv(key, value)
    return monkeypatch


def test_defaults_and_chat_targets(env: pytest.MonkeyPatch) -> None:
    settings = load_settings(env_file=None)
    assert settings.telegram_chat_ids == [ChatTarget(-1001), ChatTarget(-1002, 5)]
    assert settings.telegram_chat_ids[1].key == "-1002:5"
    assert settings.smsc_poll_interval == 30 and settings.smsc_backfill_hours == 24
    assert settings.display_zone.key == "Europe/Moscow"
    assert settings.database_path == Path("data/bridge.db")
    assert settings.telegram_base_url == "https://api.telegram.org/bot"
    assert settings.warnings() == []


def test_empty_values_mean_default(env: pytest.MonkeyPatch) -> None:
    env.setenv("TELEGRAM_ALLOWED_USER_IDS", "")
    env.setenv("DISPLAY_TIMEZONE", "")
    settings = load_settings(env_file=None)
    assert settings.telegram_allowed_user_ids == [] and settings.display_timezone is None


def test_real_environment_wins_over_env_file(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("SMSC_POLL_INTERVAL=45\nSMSC_LOGIN=from-file\n")
    settings = load_settings(env_file=dotenv)
    assert settings.smsc_poll_interval == 45 and settings.smsc_login == "acme"


def test_short_interval_is_allowed_with_a_warning(env: pytest.MonkeyPatch) -> None:
    env.setenv("SMSC_POLL_INTERVAL", "5")
    assert "code 9" in load_settings(env_file=None).warnings()[0]


def test_a_backfill_longer_than_the_retention_is_allowed_with_a_warning(
    env: pytest.MonkeyPatch,
) -> None:
    env.setenv("RETENTION_DAYS", "1")
    env.setenv("SMSC_BACKFILL_HOURS", "24")
    settings = load_settings(env_file=None)
    assert settings.warnings() == [] and settings.kept_for == timedelta(days=1)
    env.setenv("SMSC_BACKFILL_HOURS", "168")
    assert load_settings(env_file=None).warnings() == [
        "SMSC_BACKFILL_HOURS=168 reaches further back than RETENTION_DAYS=1: the first start "
        "keeps only the SMS of the last 24 hours"
    ]
    env.setenv("RETENTION_DAYS", "0")
    settings = load_settings(env_file=None)
    assert settings.warnings() == [] and settings.kept_for is None


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("TELEGRAM_CHAT_IDS", "-100,abc", "TELEGRAM_CHAT_IDS"),
        ("TELEGRAM_ALLOWED_USER_IDS", "12,x", "TELEGRAM_ALLOWED_USER_IDS"),
        ("SMSC_POLL_INTERVAL", "fast", "SMSC_POLL_INTERVAL"),
        ("SMSC_BACKFILL_HOURS", "500", "SMSC_BACKFILL_HOURS"),
        ("SMSC_TIMEZONE", "Mars/Olympus", "SMSC_TIMEZONE"),
        ("TELEGRAM_BASE_URL", "ftp://x", "TELEGRAM_BASE_URL"),
        ("SMSC_RELAY_BACKFILL", "perhaps", "SMSC_RELAY_BACKFILL"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
        ("UI_LANGUAGE", "de", "UI_LANGUAGE"),
        ("ESCALATE_AFTER", "30", "ESCALATE_AFTER: must be 0 .off. or at least 60 seconds"),
        ("ONCALL_USER_IDS", "1,two", "ONCALL_USER_IDS"),
        ("ONCALL_BUTTONS", "sometimes", "ONCALL_BUTTONS"),
        ("PHONE_REGION", "Russia", "PHONE_REGION: 'Russia' is not a region code phonenumbers"),
        ("PHONE_REGION", "XX", "PHONE_REGION: 'XX' is not a region code"),
        ("SMSC_BASE_URL", "http://smsc.ru", "SMSC_BASE_URL: http:// would show the SMSC password"),
        ("SMSC_BASE_URL", "http://10.0.0.5:8080", "SMSC_BASE_URL: http:// would show"),
        ("SMSC_BASE_URL", "http://127.0.0.1.evil.example", "SMSC_BASE_URL: http:// would show"),
    ],
)
def test_malformed_settings_name_the_variable(
    env: pytest.MonkeyPatch, name: str, value: str, named: str
) -> None:
    env.setenv(name, value)
    with pytest.raises(ConfigError, match=named) as caught:
        load_settings(env_file=None)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://smsc.kz",
        "https://smsc.ru/",
        "http://127.0.0.1:8080",
        "http://127.5.0.1",
        "http://localhost:9000",
        "http://[::1]:9000",
    ],
)
def test_smsc_base_url_is_https_or_plain_http_to_this_machine_only(
    env: pytest.MonkeyPatch, url: str
) -> None:
    env.setenv("SMSC_BASE_URL", url)
    assert load_settings(env_file=None).smsc_base_url == url.rstrip("/")


def test_cli_an_http_smsc_base_url_exits_2_with_one_line_saying_why(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "check", **{**REQUIRED, "SMSC_BASE_URL": "http://smsc.ru"})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        "sms-bridge: SMSC_BASE_URL: http:// would show the SMSC password to every network "
        "on the way: use https://"
    )


def test_phone_region_is_any_region_phonenumbers_knows_in_any_case(
    env: pytest.MonkeyPatch,
) -> None:
    assert load_settings(env_file=None).phone_region == "RU"
    env.setenv("PHONE_REGION", " ua ")
    assert load_settings(env_file=None).phone_region == "UA"


def test_escalation_needs_the_buttons(env: pytest.MonkeyPatch) -> None:
    env.setenv("ESCALATE_AFTER", "600")
    assert load_settings(env_file=None).escalate_after == 600
    env.setenv("ONCALL_BUTTONS", "false")
    with pytest.raises(ConfigError, match="ESCALATE_AFTER needs ONCALL_BUTTONS=true"):
        load_settings(env_file=None)


def test_smsc_credentials_are_required(env: pytest.MonkeyPatch) -> None:
    env.delenv("SMSC_PASSWORD")
    with pytest.raises(ConfigError, match="SMSC_API_KEY"):
        load_settings(env_file=None)
    env.setenv("SMSC_API_KEY", "k" * 10)
    assert load_settings(env_file=None).smsc_api_key is not None


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*sms_bridge_command(), *args],
        cwd=tmp_path,
        env=clean_environment(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_missing_settings_exit_2_with_one_line(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "run")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "TELEGRAM_BOT_TOKEN is not set" in result.stderr and ".env.example" in result.stderr


def test_cli_malformed_setting_exit_2_naming_it(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "check", **{**REQUIRED, "SMSC_POLL_INTERVAL": "soon"})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "SMSC_POLL_INTERVAL" in result.stderr


def test_cli_reads_dotenv_from_working_directory(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=1:abcdefgh\n")
    result = run_cli(tmp_path, "run")
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" not in result.stderr and "TELEGRAM_CHAT_IDS" in result.stderr


def test_smsc_auth_carries_the_credentials_that_are_set(env: pytest.MonkeyPatch) -> None:
    assert load_settings(env_file=None).smsc_auth() == SmscCredentials("acme", "pw")
    env.delenv("SMSC_PASSWORD")
    env.setenv("SMSC_API_KEY", "key-1234567")
    assert load_settings(env_file=None).smsc_auth() == SmscCredentials("acme", None, "key-1234567")


def test_cli_start_up_failures_are_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        settings = {
            **REQUIRED,
            "HEALTH_PORT": str(port),
            "DATABASE_PATH": str(tmp_path / "db.sqlite"),
            "TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",
            "SMSC_BASE_URL": "http://127.0.0.1:9",
        }
        result = run_cli(tmp_path, "run", **settings)
    assert result.returncode == 1
    assert (
        "sms-bridge: cannot start: " in result.stderr and "Address already in use" in result.stderr
    )
    assert "Traceback" not in result.stderr
    (tmp_path / "a-folder.db").mkdir()
    result = run_cli(
        tmp_path, "run", **{**REQUIRED, "DATABASE_PATH": str(tmp_path / "a-folder.db")}
    )
    assert result.returncode == 1 and "sms-bridge: cannot start: " in result.stderr
    assert "Traceback" not in result.stderr


ROUTES = """
[[route]]
name = "support line"
to = ["79031234567"]
chats = ["-1009", "-1001"]

[[route]]
from = ["900"]
chats = ["-1008:5"]
"""


def test_chats_named_only_in_routes_are_relay_targets_too(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert load_settings(env_file=None).relay_targets == [ChatTarget(-1001), ChatTarget(-1002, 5)]
    (tmp_path / "routes.toml").write_text(ROUTES)
    env.setenv("ROUTES_FILE", str(tmp_path / "routes.toml"))
    settings = load_settings(env_file=None)
    assert [route.name for route in settings.routes] == ["support line", None]
    assert settings.relay_targets == [
        ChatTarget(-1001),
        ChatTarget(-1002, 5),
        ChatTarget(-1009),
        ChatTarget(-1008, 5),
    ]
    assert settings.telegram_chat_ids == [ChatTarget(-1001), ChatTarget(-1002, 5)]


def test_a_bad_routes_file_is_one_line_naming_the_file_the_route_and_the_field(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "routes.toml").write_text(ROUTES.replace('["900"]', '["900"]\ntext = "(ab"'))
    env.setenv("ROUTES_FILE", str(tmp_path / "routes.toml"))
    with pytest.raises(ConfigError) as caught:
        load_settings(env_file=None)
    assert str(caught.value) == (
        f"ROUTES_FILE {tmp_path / 'routes.toml'}: route 2: text: bad regular expression: "
        "missing ), unterminated subpattern at position 0"
    )


def test_cli_bad_routes_file_exit_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "routes.toml").write_text(ROUTES + '\n[[route]]\nname = "spam"\ncolor = "red"\n')
    result = run_cli(tmp_path, "check", **{**REQUIRED, "ROUTES_FILE": "routes.toml"})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        'sms-bridge: ROUTES_FILE routes.toml: route 3 ("spam"): color: unknown key'
    )
    result = run_cli(tmp_path, "run", **{**REQUIRED, "ROUTES_FILE": "missing.toml"})
    assert result.returncode == 2 and result.stderr == (
        "sms-bridge: ROUTES_FILE missing.toml: cannot read it: No such file or directory\n"
    )


SECRET_PATH = "/smsc/7Gk2pQ9-xw_Lm4.vR~z"


def test_push_is_off_by_default(env: pytest.MonkeyPatch) -> None:
    settings = load_settings(env_file=None)
    assert settings.push_port is None and settings.push_path is None
    assert settings.push_host == "127.0.0.1"


def test_the_push_path_is_a_secret_blanked_from_logs(env: pytest.MonkeyPatch) -> None:
    env.setenv("PUSH_PORT", "8443")
    env.setenv("PUSH_PATH", SECRET_PATH)
    settings = load_settings(env_file=None)
    assert settings.push_port == 8443 and SECRET_PATH in settings.secrets
    assert SECRET_PATH not in repr(settings)


@pytest.mark.parametrize(
    ("port", "path", "named", "says"),
    [
        ("8443", "", "PUSH_PATH", "must be set when PUSH_PORT is"),
        ("70000", SECRET_PATH, "PUSH_PORT", "65535"),
        ("8443", "smsc/7Gk2pQ9-xw_Lm4vRz", "PUSH_PATH", "must start with /"),
        ("8443", "/smsc/7Gk2pQ9", "PUSH_PATH", "at least 16 characters"),
        ("8443", "/smsc/{name}/7Gk2pQ9xw", "PUSH_PATH", "only letters, digits"),
        ("8443", "/smsc/7Gk2 pQ9 xw Lm4", "PUSH_PATH", "only letters, digits"),
    ],
)
def test_a_bad_push_setting_is_one_line_naming_it_without_the_secret(
    env: pytest.MonkeyPatch, port: str, path: str, named: str, says: str
) -> None:
    env.setenv("PUSH_PORT", port)
    env.setenv("PUSH_PATH", path)
    with pytest.raises(ConfigError, match=named) as caught:
        load_settings(env_file=None)
    message = str(caught.value)
    assert says in message and "\n" not in message
    assert not path or path not in message


def test_a_push_path_without_a_port_is_allowed_with_a_warning(env: pytest.MonkeyPatch) -> None:
    env.setenv("PUSH_PATH", SECRET_PATH)
    [note] = load_settings(env_file=None).warnings()
    assert "PUSH_PORT is not" in note and SECRET_PATH not in note


def test_cli_push_port_without_a_path_exits_2_with_one_line(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "run", **{**REQUIRED, "PUSH_PORT": "8443"})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "PUSH_PATH must be set" in result.stderr


def test_cli_a_busy_push_port_is_one_line_and_exit_1(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        settings = {
            **REQUIRED,
            "PUSH_PORT": str(busy.getsockname()[1]),
            "PUSH_PATH": SECRET_PATH,
            "DATABASE_PATH": str(tmp_path / "db.sqlite"),
            "TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",
            "SMSC_BASE_URL": "http://127.0.0.1:9",
        }
        result = run_cli(tmp_path, "run", **settings)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "sms-bridge: cannot start: " in result.stderr
    assert "address already in use" in result.stderr.lower()
    assert SECRET_PATH not in result.stderr
    assert not (tmp_path / "db.sqlite").exists()  # bound before the database opened


def test_the_tests_bridges_take_no_setting_from_the_shell_they_run_in(
    env: pytest.MonkeyPatch,
) -> None:
    """A setting exported by the developer's shell or CI must not change what a test proves."""
    for key, value in {
        "PHONE_REGION": "ua",
        "SMS_DAILY_LIMIT": "7",
        "sms_sender": "ACME",  # settings are read in any case
        "RETENTION_DAYS": "3",
        "HIDE_CODES": "true",
        "ALERT_AFTER": "60",
    }.items():
        env.setenv(key, value)
    child = clean_environment(**REQUIRED)
    for key in [k for k in os.environ if k not in child]:
        env.delenv(key)
    read = load_settings(env_file=None)
    assert read.phone_region == "RU" and read.sms_daily_limit == 50 and read.sms_sender is None
    assert read.retention_days == 0 and not read.hide_codes and read.alert_after == 300
    assert not (set(child) - set(REQUIRED)) & {k.upper() for k in Settings.model_fields}
