"""Logging set-up: text or JSON lines, and the bot token never reaches a log line."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

REDACTED = "<token>"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Attributes every LogRecord has; anything else came in through `extra=` and is kept in JSON.
_STANDARD_ATTRIBUTES = frozenset(
    set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}
)


def _secrets(token: str) -> tuple[str, ...]:
    """The token, and its secret half on its own (it survives URL-encoding of the colon)."""
    token = token.strip()
    if not token:
        return ()
    _, _, secret = token.partition(":")
    return (token, secret) if len(secret) >= 20 else (token,)


def redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class RedactToken(logging.Filter):
    """Replace the bot token wherever it appears in a record's message (httpx logs URLs).

    Exception and stack text are redacted by the formatters below, which see the final text.
    """

    def __init__(self, token: str):
        super().__init__()
        self.token = token.strip()
        self.secrets = _secrets(token)

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            redacted = redact(message, self.secrets)
            if redacted != message:
                record.msg = redacted
                record.args = ()
        return True


class RedactingFormatter(logging.Formatter):
    """The usual text format, with the token removed from the whole output (tracebacks too)."""

    def __init__(self, token: str = "", fmt: str = TEXT_FORMAT):
        super().__init__(fmt)
        self.secrets = _secrets(token)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, exception.

    `exception` is the formatted traceback or null; `stack` appears with stack_info=True, and
    JSON-serialisable `extra=` fields are added under their own names. The token is redacted
    from every string.
    """

    def __init__(self, token: str = ""):
        super().__init__()
        self.secrets = _secrets(token)

    def format(self, record: logging.LogRecord) -> str:
        exception = None
        if record.exc_info:
            exception = self.formatException(record.exc_info)
        elif record.exc_text:
            exception = record.exc_text
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "exception": exception,
        }
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        for key, value in vars(record).items():
            if key in _STANDARD_ATTRIBUTES or key in entry:
                continue
            try:
                json.dumps(value)
            except (TypeError, ValueError):
                value = repr(value)
            entry[key] = value
        return json.dumps(self._redacted(entry), ensure_ascii=False)

    def _redacted(self, value: object) -> object:
        if not self.secrets:
            return value
        if isinstance(value, str):
            return redact(value, self.secrets)
        if isinstance(value, dict):
            return {k: self._redacted(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._redacted(v) for v in value]
        return value


def make_formatter(log_format: str = "text", token: str = "") -> logging.Formatter:
    log_format = log_format.strip().lower()
    if log_format == "json":
        return JsonFormatter(token)
    if log_format == "text":
        return RedactingFormatter(token)
    raise ValueError(f"log format must be text or json, got {log_format!r}")


def setup_logging(level: str, token: str = "", log_format: str = "text") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(make_formatter(log_format, token))
    handler.addFilter(RedactToken(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Request URLs contain the token; keep the chatty HTTP client quiet as well.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
