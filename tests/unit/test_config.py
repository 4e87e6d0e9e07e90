"""The settings added for operations: defaults and validation (existing fields untouched)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.config import DEFAULT_LEADER_LOCK_KEY, POLLING_LOCK_KEY, Settings
from bot.db import MIGRATION_LOCK_KEY


def settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name in ("HEALTH_PORT", "HEALTH_HOST", "LOG_FORMAT", "LEADER_LOCK_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, val in env.items():
        monkeypatch.setenv(name, val)
    return Settings(_env_file=None)


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings(monkeypatch)
    assert (s.health_port, s.health_host, s.log_format) == (0, "0.0.0.0", "text")
    assert s.leader_lock_key == DEFAULT_LEADER_LOCK_KEY


def test_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings(
        monkeypatch, HEALTH_PORT="8080", HEALTH_HOST=" 127.0.0.1 ", LOG_FORMAT="JSON",
        LEADER_LOCK_KEY="-42",
    )  # fmt: skip
    assert (s.health_port, s.health_host, s.log_format, s.leader_lock_key) == (
        8080, "127.0.0.1", "json", -42,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "bad", "says"),
    [
        ("LOG_FORMAT", "xml", "LOG_FORMAT must be one of text, json"),
        ("HEALTH_PORT", "70000", "HEALTH_PORT must be 0 (off)"),
        ("HEALTH_PORT", "-1", "HEALTH_PORT must be 0 (off)"),
        ("HEALTH_HOST", "  ", "HEALTH_HOST must not be empty"),
        ("LEADER_LOCK_KEY", str(2**63), "signed 64-bit"),
        ("LEADER_LOCK_KEY", str(MIGRATION_LOCK_KEY), "collides"),
        ("LEADER_LOCK_KEY", str(POLLING_LOCK_KEY), "collides"),
    ],
)
def test_invalid_values_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, bad: str, says: str
) -> None:
    with pytest.raises(ValidationError) as error:
        settings(monkeypatch, **{name: bad})
    assert says in str(error.value)
