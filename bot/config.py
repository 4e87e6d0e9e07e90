"""Settings read from the environment and `.env`: the one place for configuration."""

from __future__ import annotations

import math
import re
from datetime import time
from functools import cached_property
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TOKEN_PATTERN = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{30,}$")
DEFAULT_TELEGRAM_BASE_URL = "https://api.telegram.org/bot"
# PostgreSQL advisory lock keys (signed 64-bit). "dcleader" and "dcpoll" in ASCII; they must
# differ from each other and from bot.db.MIGRATION_LOCK_KEY ("dcbot").
DEFAULT_LEADER_LOCK_KEY = 0x64636C6561646572
POLLING_LOCK_KEY = 0x6463706F6C6C
LOG_FORMATS = ("text", "json")


def _parse_id_list(value: object) -> list[int]:
    if value is None or value == "":
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, (list, tuple, set)):
        return [int(v) for v in value]
    return [int(part) for part in re.split(r"[,\s;]+", str(value).strip()) if part]


def parse_quiet_hours(value: str) -> tuple[time, time]:
    """Parse "22:00-07:00" into (start, end); the window may wrap midnight."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value or "")
    if not match:
        raise ValueError(f"QUIET_HOURS must look like 22:00-07:00, got {value!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    return time(h1, m1), time(h2, m2)


def parse_weekdays(value: str) -> frozenset[int]:
    """ "1-5" or "1,2,3,4,5,6" -> ISO weekdays (1 = Monday)."""
    days: set[int] = set()
    for part in re.split(r"[,\s]+", (value or "").strip()):
        first, _, last = part.partition("-")
        if not first.isdigit() or (last and not last.isdigit()):
            raise ValueError(f"OFFICE_DAYS must look like 1-5 or 1,2,3, got {value!r}")
        days.update(range(int(first), int(last or first) + 1))
    if not days or not days <= set(range(1, 8)):
        raise ValueError(f"OFFICE_DAYS must use 1 (Monday) to 7 (Sunday), got {value!r}")
    return frozenset(days)


class Settings(BaseSettings):
    """Every setting of the bot; field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    faq_dir: Path = Path("faq")
    schedules_dir: Path = Path("schedules")
    areas_file: Path = Path("areas.yaml")  # the province's xã/phường (an example is shipped)
    database_url: str = "sqlite:///data/dcbot.sqlite3"
    telegram_bot_token: str = ""
    telegram_base_url: str = DEFAULT_TELEGRAM_BASE_URL
    telegram_base_file_url: str = ""
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    official_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    # BOT_TZ, not TZ: TZ is the machine's own zone (often UTC in containers) and must not
    # move quiet hours, "today" or schedules.
    bot_tz: str = "Asia/Ho_Chi_Minh"

    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    webhook_path: str = "telegram"
    # Only the leader calls setWebhook (when elected); false: nobody does, register it yourself.
    webhook_register: bool = True

    quiet_hours: str = "22:00-07:00"
    promo_max_per_day: int = 3
    catchup_window_seconds: int = 3600
    broadcast_rate_per_second: float = 27.0
    # Urgent campaigns (#khancap) may pay for Telegram's allow_paid_broadcast (0.1 Star per
    # message) to go past 30 msg/s, up to this rate (Telegram allows 1000).
    paid_broadcast: bool = False
    paid_broadcast_rate: float = Field(default=300.0, gt=0, le=1000)
    per_chat_interval_seconds: float = 1.0
    # Shared rate budget (bot/rate_budget.py): the sender paces at most at
    # TELEGRAM_GLOBAL_LIMIT - RATE_BUDGET_MARGIN - what the replicas send to citizens.
    telegram_global_limit: float = 30.0
    rate_budget_margin: float = 4.0
    broadcast_rate_floor: float = 3.0
    replica_load_fresh_seconds: float = 5.0
    flood_max_messages: int = 20
    flood_window_seconds: int = 60
    flood_mute_seconds: int = 120
    reload_poll_seconds: float = 2.0

    # Handoff to officials (issue 11): a Telegram group where officials answer citizens.
    support_chat_id: int | None = None
    office_hours: str = "07:30-17:00"
    office_days: str = "1-5"  # ISO weekdays, 1 = Monday: "1-5", "1-6" or "1,2,3,4,5"
    ticket_messages_per_hour: int = 10
    log_level: str = "INFO"
    log_format: str = "text"  # text | json (one JSON object per line, for log shippers)

    health_port: int = 0  # 0 = no health/metrics server
    health_host: str = "0.0.0.0"
    leader_lock_key: int = DEFAULT_LEADER_LOCK_KEY

    @field_validator("admin_ids", "official_ids", mode="before")
    @classmethod
    def _ids(cls, value: object) -> list[int]:
        return _parse_id_list(value)

    @field_validator("bot_tz")
    @classmethod
    def _tz(cls, value: str) -> str:
        ZoneInfo(value)  # raises on an unknown zone
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str) -> str:
        parse_quiet_hours(value)
        return value

    @property
    def tz(self) -> str:
        """The bot's time zone name (schedules, quiet hours, statistics)."""
        return self.bot_tz

    @field_validator("log_format", mode="before")
    @classmethod
    def _log_format(cls, value: object) -> str:
        text = str(value).strip().lower()
        if text not in LOG_FORMATS:
            raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, got {value!r}")
        return text

    @field_validator("health_port")
    @classmethod
    def _health_port(cls, value: int) -> int:
        if not 0 <= value <= 65535:
            raise ValueError(f"HEALTH_PORT must be 0 (off) or a TCP port up to 65535, got {value}")
        return value

    @field_validator("health_host")
    @classmethod
    def _health_host(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("HEALTH_HOST must not be empty (use 0.0.0.0 for every interface)")
        return value.strip()

    @field_validator("leader_lock_key")
    @classmethod
    def _leader_lock_key(cls, value: int) -> int:
        from bot.db import MIGRATION_LOCK_KEY

        if not -(2**63) <= value < 2**63:
            raise ValueError(f"LEADER_LOCK_KEY must fit a signed 64-bit integer, got {value}")
        if value in (MIGRATION_LOCK_KEY, POLLING_LOCK_KEY):
            raise ValueError(
                f"LEADER_LOCK_KEY {value} collides with the migration or polling lock key"
            )
        return value

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.bot_tz)

    @cached_property
    def quiet_window(self) -> tuple[time, time]:
        return parse_quiet_hours(self.quiet_hours)

    @field_validator("office_hours")
    @classmethod
    def _office(cls, value: str) -> str:
        parse_quiet_hours(value)
        return value

    @field_validator("office_days")
    @classmethod
    def _days(cls, value: str) -> str:
        parse_weekdays(value)
        return value

    @cached_property
    def office_window(self) -> tuple[time, time, frozenset[int]]:
        start, end = parse_quiet_hours(self.office_hours)
        return start, end, parse_weekdays(self.office_days)

    @property
    def paid_in_flight(self) -> int:
        """Requests open at once for paid urgent sending: as many per second of rate as the
        free lane keeps (2 at 27 msg/s). This is also how many messages a crash can lose."""
        return max(2, math.ceil(self.paid_broadcast_rate / self.broadcast_rate_per_second * 2))

    def token_is_valid(self) -> bool:
        return bool(TOKEN_PATTERN.match(self.telegram_bot_token.strip()))

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admin_ids

    def is_official(self, user_id: int | None) -> bool:
        """Admins can do everything officials can."""
        return user_id is not None and (user_id in self.official_ids or user_id in self.admin_ids)
