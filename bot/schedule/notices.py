"""A scheduled notice: its schema (validated with pydantic) and the texts it sends. Reading the
files, and the problems they can have, is bot/schedule/loading.py."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr, field_validator, model_validator

from bot.broadcast.promotion_rules import labelled, without_ad_prefix
from bot.models import Topic
from bot.schedule.cron import cron_trigger
from bot.schedule.durations import duration_in_words, format_duration, parse_duration
from bot.telegram_html import MAX_MESSAGE_LENGTH, html_problems
from bot.texts import schedules as notice_texts
from bot.texts import validation as texts

NOTICE_ID_PATTERN = re.compile(r"^[a-z0-9-]+$")
NOTICE_ID_MAX_LENGTH = 128  # NoticeFire.notice_id / Campaign.notice_id
LEFT_PLACEHOLDER = "{con_lai}"  # in remind_text: replaced by "7 ngày", "2 giờ"...
FACT_FIELDS = ("text", "remind_text")  # may quote `{{ name }}` from faq/_facts.yaml

_NEVER_BEFORE = datetime(2000, 1, 1, tzinfo=UTC)


def _parse_datetime(value: object, what: str) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        raise ValueError(texts.NOTICE_NEEDS_DATE_AND_TIME.format(what=what))
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(texts.NOTICE_NOT_ISO_TIME.format(text=text)) from None
    if len(text) <= 10:
        raise ValueError(texts.NOTICE_NEEDS_DATE_AND_TIME.format(what=what))
    return parsed


def localize(moment: datetime, tz: tzinfo) -> datetime:
    """A naive time from a schedule file is wall-clock time in the bot's time zone."""
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


# --- the notice ----------------------------------------------------------------------------


class Notice(BaseModel):
    """One entry under `notices:` in a schedule file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    topic: Topic
    cron: str | None = None
    at: datetime | None = None
    text: str
    remind_before: tuple[timedelta, ...] = ()
    remind_text: str | None = None
    until: datetime | date | None = None
    expires_after: timedelta | None = None
    enabled: bool = True  # false: validated and listed, never sent (shipped examples)

    _source: str = PrivateAttr(default="")
    _line: int | None = PrivateAttr(default=None)

    @property
    def source(self) -> str:
        """The file the notice was read from ("" when built in code)."""
        return self._source

    @property
    def line(self) -> int | None:
        return self._line

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: object) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValueError(texts.NOTICE_ID_NOT_STRING)
        text = str(value)
        if not NOTICE_ID_PATTERN.fullmatch(text):
            raise ValueError(texts.NOTICE_ID_INVALID.format(id=text))
        if len(text) > NOTICE_ID_MAX_LENGTH:
            raise ValueError(texts.NOTICE_ID_TOO_LONG.format(limit=NOTICE_ID_MAX_LENGTH))
        return text

    @field_validator("topic", mode="before")
    @classmethod
    def _topic(cls, value: object) -> Topic:
        try:
            return Topic(str(value).strip().lower())
        except ValueError:
            known = ", ".join(t.value for t in Topic)
            raise ValueError(texts.NOTICE_TOPIC_UNKNOWN.format(value=value, known=known)) from None

    @field_validator("cron", mode="before")
    @classmethod
    def _cron(cls, value: object) -> str | None:
        if value is None:
            return None
        expr = " ".join(str(value).split())
        try:
            trigger = cron_trigger(expr, UTC)
        except ValueError as exc:
            raise ValueError(texts.NOTICE_CRON_INVALID.format(expr=expr, error=exc)) from None
        if trigger.get_next_fire_time(None, _NEVER_BEFORE) is None:
            raise ValueError(texts.NOTICE_CRON_NEVER.format(expr=expr))
        return expr

    @field_validator("at", mode="before")
    @classmethod
    def _at(cls, value: object) -> datetime | None:
        return None if value is None else _parse_datetime(value, "at")

    @field_validator("until", mode="before")
    @classmethod
    def _until(cls, value: object) -> datetime | date | None:
        if value is None or isinstance(value, (date, datetime)):
            return value
        text = str(value).strip()
        try:
            return date.fromisoformat(text) if len(text) <= 10 else datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(texts.NOTICE_NOT_DATE.format(text=text)) from None

    @field_validator("text", "remind_text", mode="before")
    @classmethod
    def _html(cls, value: object) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError(texts.NOTICE_NOT_STRING)
        text = value.strip()
        problems = html_problems(text)
        if problems:
            raise ValueError("; ".join(problems))
        return text

    @field_validator("remind_before", mode="before")
    @classmethod
    def _remind_before(cls, value: object) -> tuple[timedelta, ...]:
        if value is None:
            return ()
        items = value if isinstance(value, (list, tuple)) else [value]
        durations = [parse_duration(item) for item in items]
        if len(set(durations)) != len(durations):
            raise ValueError(texts.NOTICE_REPEATED_DURATION)
        return tuple(sorted(durations, reverse=True))

    @field_validator("expires_after", mode="before")
    @classmethod
    def _expires_after(cls, value: object) -> timedelta | None:
        return None if value is None else parse_duration(value)

    @model_validator(mode="after")
    def _consistent(self) -> Notice:
        if (self.cron is None) == (self.at is None):
            raise ValueError(texts.NOTICE_CRON_OR_AT)
        if self.until is not None and self.cron is None:
            raise ValueError(texts.NOTICE_UNTIL_NEEDS_CRON)
        if self.remind_text is not None and not self.remind_before:
            raise ValueError(texts.NOTICE_REMIND_TEXT_NEEDS_BEFORE)
        for label, rendered in self.rendered_texts():
            # The [QC] label and the countdown are added here, so measure the final text.
            too_long = html_problems(rendered, max_length=MAX_MESSAGE_LENGTH)
            if too_long:
                raise ValueError(f"{label}: " + "; ".join(too_long))
        return self

    def rendered_texts(self) -> list[tuple[str, str]]:
        """Every text this notice can send, labelled: the notice and one per reminder."""
        rendered = [("text", notice_text(self))]
        rendered += [
            (texts.NOTICE_REMINDER_LABEL.format(before=format_duration(b)), reminder_text(self, b))
            for b in self.remind_before
        ]
        return rendered

    def event_at(self, tz: tzinfo) -> datetime | None:
        """The `at` instant, aware; a naive value is read in `tz`."""
        return None if self.at is None else localize(self.at, tz)

    def until_end(self, tz: tzinfo) -> datetime | None:
        """The last instant a cron notice may fire: the end of the `until` day, in `tz`."""
        if self.until is None:
            return None
        if isinstance(self.until, datetime):
            return localize(self.until, tz)
        return datetime.combine(self.until, time.max, tzinfo=tz)


# --- texts ---------------------------------------------------------------------------------


def notice_text(notice: Notice) -> str:
    """The message sent when the notice fires."""
    return labelled(notice.topic, notice.text)


def reminder_text(notice: Notice, before: timedelta) -> str:
    """The countdown sent `before` the notice: `remind_text`, or "⏳ Còn 7 ngày nữa: <text>"."""
    left = duration_in_words(before)
    if notice.remind_text is not None:
        body = notice.remind_text.replace(LEFT_PLACEHOLDER, left)
    else:
        body = notice_texts.COUNTDOWN.format(left=left, text=without_ad_prefix(notice.text))
    return labelled(notice.topic, body)


def parse_notice(data: dict[str, Any], *, source: str = "") -> Notice:
    """Build one notice from a mapping (tests, CLI); raises pydantic's ValidationError."""
    notice = Notice.model_validate(data)
    notice._source = source
    return notice
