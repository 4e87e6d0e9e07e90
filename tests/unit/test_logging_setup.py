"""bot.logging_setup: text and JSON lines; the token never appears, not even in tracebacks."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from bot.logging_setup import JsonFormatter, RedactingFormatter, make_formatter, setup_logging

TOKEN = "123456789:AAHfakeTokenForTests_abcdefghijklmnop"
SECRET = TOKEN.split(":", 1)[1]


@pytest.fixture
def root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def record(message: str = "hello %s", args: tuple = ("world",), **kwargs) -> logging.LogRecord:
    rec = logging.LogRecord("bot.test", logging.WARNING, __file__, 10, message, args, None)
    rec.created = 1_700_000_000.25  # fixed: 2023-11-14T22:13:20.250Z, whatever the local zone
    for key, val in kwargs.items():
        setattr(rec, key, val)
    return rec


def exc_info_with_token() -> tuple:
    try:
        raise ConnectionError(f"POST https://api.telegram.org/bot{TOKEN}/sendMessage failed")
    except ConnectionError:
        import sys

        return sys.exc_info()


def test_json_line_has_the_fields_for_log_shippers() -> None:
    line = JsonFormatter().format(record())
    entry = json.loads(line)
    assert entry == {
        "time": "2023-11-14T22:13:20.250Z",
        "level": "WARNING",
        "logger": "bot.test",
        "message": "hello world",
        "exception": None,
    }
    assert "\n" not in line


def test_json_keeps_unicode_and_extra_fields() -> None:
    entry = json.loads(
        JsonFormatter().format(record("Xin chào %s", ("Đà Nẵng",), chat_id=42, obj=object()))
    )
    assert entry["message"] == "Xin chào Đà Nẵng"
    assert entry["chat_id"] == 42
    assert entry["obj"].startswith("<object object")


def test_json_redacts_the_token_everywhere() -> None:
    formatter = JsonFormatter(TOKEN)
    rec = record(
        "calling %s",
        (f"https://api.telegram.org/bot{TOKEN}/getMe",),
        exc_info=exc_info_with_token(),
        url=f"/bot123456789%3A{SECRET}/getUpdates",
    )
    line = formatter.format(rec)
    assert TOKEN not in line and SECRET not in line
    entry = json.loads(line)
    assert entry["message"] == "calling https://api.telegram.org/bot<token>/getMe"
    assert "Traceback (most recent call last)" in entry["exception"]
    assert (
        "ConnectionError: POST https://api.telegram.org/bot<token>/sendMessage"
        in (entry["exception"])
    )
    assert entry["url"] == "/bot123456789%3A<token>/getUpdates"


def test_text_format_redacts_exception_text_too() -> None:
    line = RedactingFormatter(TOKEN).format(record(exc_info=exc_info_with_token()))
    assert TOKEN not in line and SECRET not in line
    assert "hello world" in line and "bot<token>/sendMessage" in line


def test_make_formatter_rejects_unknown_formats() -> None:
    assert isinstance(make_formatter("JSON"), JsonFormatter)
    assert isinstance(make_formatter("text"), RedactingFormatter)
    with pytest.raises(ValueError):
        make_formatter("xml")


@pytest.mark.usefixtures("root_logging")
def test_setup_logging_json_writes_one_object_per_line(capsys) -> None:
    setup_logging("INFO", TOKEN, log_format="json")
    log = logging.getLogger("bot.somewhere")
    log.info("token is %s", TOKEN)
    try:
        raise RuntimeError(f"failed with {TOKEN}")
    except RuntimeError:
        log.exception("request failed")
    logging.getLogger("bot.somewhere").debug("not shown at INFO")
    err = capsys.readouterr().err
    assert TOKEN not in err and SECRET not in err
    lines = err.splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["message"] == "token is <token>" and first["level"] == "INFO"
    assert second["message"] == "request failed" and second["level"] == "ERROR"
    assert "RuntimeError: failed with <token>" in second["exception"]


@pytest.mark.usefixtures("root_logging")
def test_setup_logging_text_is_the_default(capsys) -> None:
    setup_logging("INFO", TOKEN)
    try:
        raise RuntimeError(f"failed with {TOKEN}")
    except RuntimeError:
        logging.getLogger("bot.x").exception("oops %s", TOKEN)
    err = capsys.readouterr().err
    assert TOKEN not in err
    assert "ERROR bot.x: oops <token>" in err and "RuntimeError: failed with <token>" in err
    with pytest.raises(json.JSONDecodeError):
        json.loads(err.splitlines()[0])
