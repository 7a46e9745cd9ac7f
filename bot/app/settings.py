"""Settings: environment variables, also read from `.env` (the real environment wins).

Every setting users see is declared here once, with its default and its bounds; the
README and `.env.example` describe the same list. A missing or malformed setting becomes a
`ConfigError` whose message is one line naming the variable, so the CLI can print it and
exit 2 without a traceback.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.app.setting_types import (
    ChatTargets,
    EscalateAfter,
    HttpUrl,
    Language,
    LogLevel,
    Port,
    PrivateBaseUrl,
    PushPath,
    Region,
    SecretUrl,
    UserIds,
    ZoneName,
    refuse_clear_text,
    url_secrets,
)
from bot.features.oncall.team import CalendarSource, Team, TeamFileError, load_team
from bot.routing.routes import Route, Router, RoutesFileError, load_routes
from bot.routing.targets import ChatTarget
from bot.smsc.credentials import SmscCredentials
from state.phones import DEFAULT_REGION

ENV_FILE = ".env"
MAX_BACKFILL_HOURS = 168  # SMSC keeps the inbox for 7 days and refuses larger windows
SAFE_POLL_INTERVAL = 20  # below this an idle poll breaks SMSC's 3-identical-per-minute rule


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line naming it."""


class Settings(BaseSettings):
    """The bridge's configuration; field names are the environment variables, lowercased."""

    model_config = SettingsConfigDict(
        env_file=ENV_FILE,
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        case_sensitive=False,
    )

    telegram_bot_token: SecretStr
    telegram_chat_ids: ChatTargets
    telegram_allowed_user_ids: UserIds = Field(default_factory=list)
    telegram_base_url: HttpUrl = "https://api.telegram.org/bot"

    smsc_login: str | None = None
    smsc_password: SecretStr | None = None
    smsc_api_key: SecretStr | None = None
    smsc_base_url: PrivateBaseUrl = "https://smsc.ru"
    smsc_poll_interval: float = Field(default=30, ge=1, le=3600)
    smsc_backfill_hours: int = Field(default=24, ge=1, le=MAX_BACKFILL_HOURS)
    smsc_relay_backfill: bool = False
    smsc_timezone: ZoneName = "Europe/Moscow"

    display_timezone: ZoneName | None = None
    ui_language: Language = "en"
    phone_region: Region = DEFAULT_REGION
    database_path: Path = Path("data/bridge.db")
    log_level: LogLevel = "INFO"

    health_port: Port | None = None
    health_host: str = "127.0.0.1"
    push_port: Port | None = None
    push_host: str = "127.0.0.1"
    push_path: PushPath | None = None
    alert_after: float = Field(default=300, ge=10)
    heartbeat_url: SecretUrl | None = None
    heartbeat_interval: float = Field(default=60, ge=1, le=3600)
    oncall_buttons: bool = True
    oncall_user_ids: UserIds = Field(default_factory=list)
    escalate_after: EscalateAfter = 0
    sms_reply_user_ids: UserIds = Field(default_factory=list)
    sms_sender: str | None = None
    sms_daily_limit: int = Field(default=50, ge=1)
    call_daily_limit: int = Field(default=20, ge=0)
    call_voice: str | None = None
    call_param: str | None = None
    relay_digest_threshold: int | None = Field(default=None, ge=0)
    retention_days: int = Field(default=0, ge=0, le=36600)  # 0: keep every SMS
    hide_codes: bool = False
    routes_file: Path | None = None
    team_file: Path | None = None
    team_calendar_refresh: float = Field(default=300, ge=10, le=86400)

    _routes: tuple[Route, ...] = PrivateAttr(default=())
    _team: Team | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _push_path_with_push_port(self) -> Settings:
        if self.push_port is not None and self.push_path is None:
            raise ValueError(
                "PUSH_PATH must be set when PUSH_PORT is: a long secret path (see the README)"
            )
        return self

    @model_validator(mode="after")
    def _escalation_needs_buttons(self) -> Settings:
        if self.escalate_after and not self.oncall_buttons:
            raise ValueError("ESCALATE_AFTER needs ONCALL_BUTTONS=true: nobody could take an SMS")
        return self

    @model_validator(mode="after")
    def _smsc_credentials(self) -> Settings:
        try:
            self.smsc_auth()  # SmscCredentials knows what is enough
        except ValueError:
            raise ValueError("SMSC_LOGIN and SMSC_PASSWORD, or SMSC_API_KEY, must be set") from None
        return self

    @model_validator(mode="after")
    def _read_routes(self) -> Settings:
        """The routes file is read and checked with the settings: a bad one stops the start."""
        if self.routes_file is not None:
            self._routes = load_routes(self.routes_file, self.phone_region)
        return self

    @model_validator(mode="after")
    def _read_team(self) -> Settings:
        """The team file, read and checked with the settings (after the routes: its chats
        are relay targets); a bad one stops the start, as a bad routes file does."""
        if self.team_file is not None:
            targets = [target.key for target in self.relay_targets]
            team = load_team(self.team_file, self.phone_region, targets)
            for chat, schedule in team.schedules.items():
                if isinstance(schedule, CalendarSource) and schedule.is_url:
                    try:
                        refuse_clear_text(schedule.location, "who is on duty")
                    except ValueError as error:
                        raise TeamFileError(
                            f'TEAM_FILE {self.team_file}: chats."{chat}".schedule: calendar: '
                            f"{error}"
                        ) from None
            self._team = team
        return self

    @property
    def team(self) -> Team | None:
        """The team of TEAM_FILE; None without it."""
        return self._team

    @property
    def routes(self) -> tuple[Route, ...]:
        """The routes of ROUTES_FILE, in file order; none without it."""
        return self._routes

    @property
    def relay_targets(self) -> list[ChatTarget]:
        """Every target SMS may go to: TELEGRAM_CHAT_IDS, then the chats only routes name."""
        named = (target for route in self._routes for target in route.chats)
        return list(dict.fromkeys([*self.telegram_chat_ids, *named]))

    def router(self) -> Router:
        """Decides each SMS's chats: the routes, else every chat of TELEGRAM_CHAT_IDS."""
        return Router(self._routes, self.telegram_chat_ids, self.phone_region)

    def smsc_auth(self) -> SmscCredentials:
        """Who the bridge is at SMSC; bot/smsc alone knows how to write it into a request."""
        password, api_key = self.smsc_password, self.smsc_api_key
        return SmscCredentials(
            login=self.smsc_login,
            password=password.get_secret_value() if password else None,
            api_key=api_key.get_secret_value() if api_key else None,
        )

    @property
    def kept_for(self) -> timedelta | None:
        """RETENTION_DAYS as a duration; None: every SMS is kept."""
        return timedelta(days=self.retention_days) if self.retention_days else None

    @property
    def smsc_zone(self) -> ZoneInfo:
        return ZoneInfo(self.smsc_timezone)

    @property
    def display_zone(self) -> ZoneInfo:
        return ZoneInfo(self.display_timezone or self.smsc_timezone)

    @property
    def secrets(self) -> list[str]:
        """Every secret value, so that logging can blank them out wherever they appear."""
        values = [self.telegram_bot_token, self.smsc_password, self.smsc_api_key, self.push_path]
        found = [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]
        if self.heartbeat_url is not None:
            found += url_secrets(self.heartbeat_url.get_secret_value())
        return found

    def warnings(self) -> list[str]:
        """Settings that are allowed but risky, to be logged at start-up."""
        notes = []
        if self.smsc_poll_interval < SAFE_POLL_INTERVAL:
            notes.append(
                f"SMSC_POLL_INTERVAL={self.smsc_poll_interval:g} is below {SAFE_POLL_INTERVAL}s: "
                "SMSC refuses more than 3 identical requests a minute and will answer code 9"
            )
        if self.push_path is not None and self.push_port is None:
            notes.append("PUSH_PATH is set but PUSH_PORT is not: no push endpoint, polling only")
        if self.retention_days and self.smsc_backfill_hours > 24 * self.retention_days:
            notes.append(
                f"SMSC_BACKFILL_HOURS={self.smsc_backfill_hours} reaches further back than "
                f"RETENTION_DAYS={self.retention_days}: the first start keeps only the SMS of "
                f"the last {self.retention_days * 24} hours"
            )
        return notes


class BotSettings(BaseSettings):
    """Only what reaching the Bot API takes: `sms-bridge chats` runs before the rest is set."""

    model_config = Settings.model_config  # the same sources: the environment, then .env

    telegram_bot_token: SecretStr
    telegram_base_url: HttpUrl = Settings.model_fields["telegram_base_url"].default


def _describe(error: dict[str, Any]) -> str:
    location = [str(part) for part in error.get("loc", ()) if not isinstance(part, int)]
    message = str(error.get("msg", "invalid"))
    message = message.removeprefix("Value error, ")
    if not location:
        return message
    name = location[0].upper()
    if error.get("type") == "missing":
        return f"{name} is not set"
    return f"{name}: {message}"


AnySettings = TypeVar("AnySettings", bound=BaseSettings)


def load_settings(env_file: str | Path | None = ENV_FILE, **overrides: Any) -> Settings:
    """Read the settings, or raise ConfigError with one line naming what is wrong.

    `overrides` win over the environment and `.env` (the demo points SMSC at its own).
    A bad ROUTES_FILE is one line of its own, naming the file, the route and the field;
    so is a bad TEAM_FILE.
    """
    return read_settings(Settings, env_file, **overrides)


def read_settings(
    kind: type[AnySettings], env_file: str | Path | None = ENV_FILE, **overrides: Any
) -> AnySettings:
    """`kind` read from the environment and `.env`, or ConfigError (see `load_settings`)."""
    try:
        return kind(_env_file=env_file, **overrides)
    except ValidationError as exc:
        for error in exc.errors():
            if isinstance(error.get("ctx", {}).get("error"), (RoutesFileError, TeamFileError)):
                raise ConfigError(str(error["ctx"]["error"])) from None
        problems = "; ".join(dict.fromkeys(_describe(dict(e)) for e in exc.errors()))
        raise ConfigError(
            f"{problems} (see .env.example; settings come from the environment or .env)"
        ) from None
