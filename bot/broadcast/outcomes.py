"""What a failed sendMessage means for its outbox row: one pure function over PTB's errors."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import timedelta

import httpx
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

AMBIGUOUS_TIMEOUT = "ambiguous timeout"

# Transport errors raised before any byte of the request reached Telegram: safe to resend.
NOT_SENT_ERRORS = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
)
# Telegram rejects the message itself, so every chat would get the same answer.
CAMPAIGN_ERRORS = (
    "can't parse entities",
    "message is too long",
    "text must be non-empty",
    "message text is empty",
)
UNREACHABLE_BAD_REQUESTS = ("chat not found", "user not found")


@dataclass(frozen=True)
class Unreachable:
    """Blocked, deactivated or unknown chat."""

    reason: str


@dataclass(frozen=True)
class Failed:
    """Give up on this row; never resent."""

    error: str


@dataclass(frozen=True)
class CampaignFailed:
    """Telegram rejects the text: fail every pending row of the campaign."""

    error: str


@dataclass(frozen=True)
class Retry:
    """Not sent: try again later with backoff (counts as an attempt)."""

    error: str


@dataclass(frozen=True)
class Pause:
    """Not sent: pause all sending for `seconds`, then send the row again (not an attempt)."""

    seconds: float
    error: str


Outcome = Unreachable | Failed | CampaignFailed | Retry | Pause


def retry_after_seconds(error: RetryAfter) -> float:
    """`RetryAfter.retry_after` in seconds, whether PTB hands out an int or a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB deprecates the int form; we accept both
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def classify(error: TelegramError) -> Outcome:
    """Map an exception from `bot.send_message` to what happens to the row."""
    message = str(error)
    lowered = message.lower()
    if isinstance(error, RetryAfter):
        return Pause(retry_after_seconds(error), message)
    if isinstance(error, InvalidToken):
        # Nothing can be sent with a bad token; wait for an operator rather than burn the rows.
        return Pause(60.0, message)
    if isinstance(error, Forbidden):
        return Unreachable(message)
    if isinstance(error, ChatMigrated):
        return Failed(message)
    if isinstance(error, BadRequest):
        if any(text in lowered for text in UNREACHABLE_BAD_REQUESTS):
            return Unreachable(message)
        if any(text in lowered for text in CAMPAIGN_ERRORS):
            return CampaignFailed(message)
        return Failed(message)
    if isinstance(error, TimedOut):
        if isinstance(error.__cause__, (httpx.ConnectTimeout, httpx.PoolTimeout)):
            return Retry(message)
        return Failed(AMBIGUOUS_TIMEOUT)
    if isinstance(error, NetworkError):
        cause = error.__cause__
        if cause is None or isinstance(cause, TelegramError):
            # Telegram answered with an error status (5xx): the message was not accepted.
            return Retry(message)
        if isinstance(cause, NOT_SENT_ERRORS):
            return Retry(message)
        return Failed(f"ambiguous: {message}")
    return Failed(message)
