"""Scheduled notices: schedules/*.yaml -> validated `Notice` values plus a list of `Problem`s.

One bad notice or file never hides the others: every problem names its file, its notice and
what is wrong, and every valid notice still loads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

import yaml
from apscheduler.triggers.cron import CronTrigger
from pydantic import (
    BaseModel,
    ConfigDict,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.broadcast.promotion_rules import AD_PREFIX, with_ad_prefix
from bot.facts import FactsError, fill_facts
from bot.models import Topic
from bot.telegram_html import MAX_MESSAGE_LENGTH, html_problems

NOTICE_ID_PATTERN = re.compile(r"^[a-z0-9-]+$")
NOTICE_ID_MAX_LENGTH = 128  # NoticeFire.notice_id / Campaign.notice_id
LEFT_PLACEHOLDER = "{con_lai}"  # in remind_text: replaced by "7 ngày", "2 giờ"...
SCHEDULE_SUFFIXES = (".yaml", ".yml")
FACT_FIELDS = ("text", "remind_text")  # may quote `{{ name }}` from faq/_facts.yaml

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")
_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # standard cron: 0 = Sunday
_NEVER_BEFORE = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a schedule file, said so that an editor can find and fix it."""

    file: str
    notice_id: str | None
    message: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        who = f"thông báo '{self.notice_id}'" if self.notice_id else "cả tệp"
        what = f"{self.field}: {self.message}" if self.field else self.message
        return f"{where}: {who}: {what}"


# --- small parsers shared by the model and the texts ---------------------------------------


def parse_duration(value: object) -> timedelta:
    """Parse "7d", "12h", "30m" or "1d12h" into a positive timedelta."""
    text = str(value).strip().lower().replace(" ", "")
    match = _DURATION.fullmatch(text)
    if not text or not match or not any(match.groups()):
        raise ValueError(f"{value!r} không phải khoảng thời gian (dùng m, h, d, ví dụ 30m, 6h, 7d)")
    days, hours, minutes = (int(g or 0) for g in match.groups())
    duration = timedelta(days=days, hours=hours, minutes=minutes)
    if duration <= timedelta(0):
        raise ValueError(f"{value!r} phải lớn hơn 0")
    return duration


def format_duration(duration: timedelta) -> str:
    """The YAML spelling of a duration: 7d, 12h, 1d12h, 30m."""
    minutes = int(duration.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [
        f"{days}d" if days else "",
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
    ]
    return "".join(parts) or "0m"


def duration_in_words(duration: timedelta) -> str:
    """A duration in Vietnamese: "7 ngày", "2 giờ", "1 ngày 12 giờ", "30 phút"."""
    minutes = int(duration.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "ngày"), (hours, "giờ"), (minutes, "phút")]
    return " ".join(f"{n} {unit}" for n, unit in parts if n) or "0 phút"


def _standard_day_of_week(field: str) -> str:
    """Translate a standard crontab weekday field (0 or 7 = Sunday) into APScheduler 3's names.

    APScheduler 3 counts 0 as Monday; passing numbers through would shift every weekday by one.
    """
    if field == "*":
        return "*"
    days: set[int] = set()

    def number(token: str) -> int:
        token = token.lower()
        if token in _DOW_NAMES:
            return _DOW_NAMES.index(token)
        if token.isdigit() and 0 <= int(token) <= 7:
            return int(token)
        raise ValueError(f"thứ trong tuần '{token}' không hợp lệ (0-7 hoặc sun..sat)")

    for item in field.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise ValueError(f"bước '{step_text}' không hợp lệ")
        if base == "*":
            first, last = 0, 7
        elif "-" in base:
            first_text, last_text = base.split("-", 1)
            first, last = number(first_text), number(last_text)
            if first > last:
                raise ValueError(f"khoảng thứ '{base}' bị ngược")
        else:
            first = number(base)
            last = 7 if step else first
        days.update(day % 7 for day in range(first, last + 1, step or 1))
    if len(days) == 7:
        return "*"
    return ",".join(_DOW_NAMES[day] for day in sorted(days, key=lambda d: (d - 1) % 7))


def cron_trigger(expr: str, tz: tzinfo, *, end_date: datetime | None = None) -> CronTrigger:
    """A CronTrigger for a standard 5-field crontab line (minute hour day month weekday)."""
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"cần đúng 5 trường (phút giờ ngày tháng thứ), có {len(fields)}: {expr!r}")
    minute, hour, day, month, day_of_week = fields
    if day != "*" and day_of_week != "*":
        # Standard cron ORs the two fields, APScheduler ANDs them: refuse rather than guess.
        raise ValueError(
            "không dùng cùng lúc 'ngày trong tháng' và 'thứ trong tuần'; để một trường là *"
        )
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_standard_day_of_week(day_of_week),
        timezone=tz,
        end_date=end_date,
    )


def _parse_datetime(value: object, what: str) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        raise ValueError(f"{what} cần cả ngày và giờ, ví dụ 2026-10-10T08:00:00+07:00")
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r} không phải thời điểm ISO, ví dụ 2026-10-10T08:00:00+07:00"
        ) from None
    if len(text) <= 10:
        raise ValueError(f"{what} cần cả ngày và giờ, ví dụ 2026-10-10T08:00:00+07:00")
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
            raise ValueError("id phải là chuỗi")
        text = str(value)
        if not NOTICE_ID_PATTERN.fullmatch(text):
            raise ValueError(f"{text!r} chỉ được gồm chữ thường không dấu, số và '-'")
        if len(text) > NOTICE_ID_MAX_LENGTH:
            raise ValueError(f"id dài quá {NOTICE_ID_MAX_LENGTH} ký tự")
        return text

    @field_validator("topic", mode="before")
    @classmethod
    def _topic(cls, value: object) -> Topic:
        try:
            return Topic(str(value).strip().lower())
        except ValueError:
            known = ", ".join(t.value for t in Topic)
            raise ValueError(f"chủ đề {value!r} không có; chọn một trong: {known}") from None

    @field_validator("cron", mode="before")
    @classmethod
    def _cron(cls, value: object) -> str | None:
        if value is None:
            return None
        expr = " ".join(str(value).split())
        try:
            trigger = cron_trigger(expr, UTC)
        except ValueError as exc:
            raise ValueError(f"biểu thức cron {expr!r} không hợp lệ: {exc}") from None
        if trigger.get_next_fire_time(None, _NEVER_BEFORE) is None:
            raise ValueError(f"biểu thức cron {expr!r} không bao giờ chạy")
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
            raise ValueError(f"{text!r} không phải ngày, ví dụ 2027-12-31") from None

    @field_validator("text", "remind_text", mode="before")
    @classmethod
    def _html(cls, value: object) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError("phải là chuỗi")
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
            raise ValueError("có khoảng thời gian bị lặp")
        return tuple(sorted(durations, reverse=True))

    @field_validator("expires_after", mode="before")
    @classmethod
    def _expires_after(cls, value: object) -> timedelta | None:
        return None if value is None else parse_duration(value)

    @model_validator(mode="after")
    def _consistent(self) -> Notice:
        if (self.cron is None) == (self.at is None):
            raise ValueError("cần đúng một trong hai: 'cron' (lặp lại) hoặc 'at' (một lần)")
        if self.until is not None and self.cron is None:
            raise ValueError("'until' chỉ dùng với 'cron'")
        if self.remind_text is not None and not self.remind_before:
            raise ValueError("'remind_text' cần 'remind_before'")
        for label, rendered in self.rendered_texts():
            # The [QC] label and the countdown are added here, so measure the final text.
            too_long = html_problems(rendered, max_length=MAX_MESSAGE_LENGTH)
            if too_long:
                raise ValueError(f"{label}: " + "; ".join(too_long))
        return self

    def rendered_texts(self) -> list[tuple[str, str]]:
        """Every text this notice can send, labelled: the notice and one per reminder."""
        texts = [("text", notice_text(self))]
        texts += [
            (f"nhắc trước {format_duration(b)}", reminder_text(self, b)) for b in self.remind_before
        ]
        return texts

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


def with_ad_label(topic: Topic | str, text: str) -> str:
    """Promotions always start with "[QC]"; it is added when the file left it out."""
    return with_ad_prefix(text) if topic == Topic.PROMOTIONS else text


def _without_ad_label(text: str) -> str:
    stripped = text.lstrip()
    return stripped[len(AD_PREFIX) :].lstrip() if stripped.startswith(AD_PREFIX) else text


def notice_text(notice: Notice) -> str:
    """The message sent when the notice fires."""
    return with_ad_label(notice.topic, notice.text)


def reminder_text(notice: Notice, before: timedelta) -> str:
    """The countdown sent `before` the notice: `remind_text`, or "⏳ Còn 7 ngày nữa: <text>"."""
    left = duration_in_words(before)
    if notice.remind_text is not None:
        body = notice.remind_text.replace(LEFT_PLACEHOLDER, left)
    else:
        body = f"⏳ Còn {left} nữa: {_without_ad_label(notice.text)}"
    return with_ad_label(notice.topic, body)


# --- loading -------------------------------------------------------------------------------


_PYDANTIC_MESSAGES = {
    "missing": "thiếu (bắt buộc)",
    "extra_forbidden": "trường không được hỗ trợ (gõ nhầm tên?)",
    "string_type": "phải là chuỗi",
    "list_type": "phải là danh sách",
    "tuple_type": "phải là danh sách",
}


def _problems_from_validation(
    error: ValidationError, file: str, notice_id: str | None, line: int | None
) -> list[Problem]:
    problems = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or None
        message = item["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        else:
            message = _PYDANTIC_MESSAGES.get(item["type"], message)
        problems.append(Problem(file, notice_id, message, line, field))
    return problems


def _notice_nodes(text: str) -> list[yaml.Node] | None:
    """The YAML nodes of the `notices` items, for line numbers and duplicate keys."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return None
    for key, value in root.value:
        if key.value == "notices" and isinstance(value, yaml.SequenceNode):
            return list(value.value)
    return None


def _duplicate_keys(node: yaml.Node) -> list[str]:
    if not isinstance(node, yaml.MappingNode):
        return []
    seen: set[str] = set()
    duplicates = []
    for key, _ in node.value:
        if key.value in seen:
            duplicates.append(key.value)
        seen.add(key.value)
    return duplicates


def load_schedule_file(
    path: Path, facts: dict[str, str] | None = None
) -> tuple[list[Notice], list[Problem]]:
    """Read one schedule file; ids are not checked against other files here."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(file, None, f"không đọc được tệp: {exc}")]
    try:
        data = yaml.safe_load(text)
        nodes = _notice_nodes(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        where = f" (dòng {line}, cột {mark.column + 1})" if mark is not None else ""
        context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and context_mark is not None and context_mark is not mark:
            reason += f", {context} từ dòng {context_mark.line + 1}"
        return [], [Problem(file, None, f"lỗi cú pháp YAML{where}: {reason}", line)]
    if data is None:
        return [], []
    if not isinstance(data, dict):
        return [], [Problem(file, None, "tệp phải bắt đầu bằng 'notices:' và một danh sách", 1)]
    problems = [
        Problem(file, None, f"khóa '{key}' không được hỗ trợ; chỉ có 'notices'", field=str(key))
        for key in data
        if key != "notices"
    ]
    items = data.get("notices")
    if items is None:
        return [], problems
    if not isinstance(items, list):
        return [], [
            *problems,
            Problem(file, None, "'notices' phải là một danh sách", field="notices"),
        ]

    notices: list[Notice] = []
    for index, raw in enumerate(items):
        node = nodes[index] if nodes and index < len(nodes) else None
        line = node.start_mark.line + 1 if node is not None else None
        if not isinstance(raw, dict):
            label = f"#{index + 1}"
            problems.append(
                Problem(file, label, "mỗi thông báo phải là một bảng khóa: giá trị", line)
            )
            continue
        raw_id = raw.get("id")
        notice_id = str(raw_id) if raw_id not in (None, "") else f"#{index + 1}"
        duplicated = _duplicate_keys(node) if node is not None else []
        for key in duplicated:
            problems.append(Problem(file, notice_id, "khóa bị viết hai lần", line, key))
        try:
            raw = {
                key: fill_facts(value, facts or {})
                if key in FACT_FIELDS and isinstance(value, str)
                else value
                for key, value in raw.items()
            }
        except FactsError as exc:
            problems.append(Problem(file, notice_id, str(exc), line))
            continue
        try:
            notice = Notice.model_validate(raw)
        except ValidationError as exc:
            problems.extend(_problems_from_validation(exc, file, notice_id, line))
            continue
        if duplicated:
            continue
        notice._source = file
        notice._line = line
        notices.append(notice)
    return notices, problems


def schedule_files(directory: Path | str) -> list[Path]:
    """The schedule files of a directory, in name order; editor backups are left out."""
    folder = Path(directory)
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file()
        and path.suffix.lower() in SCHEDULE_SUFFIXES
        and not path.name.startswith((".", "~", "#"))
    )


def load_schedules(
    directory: Path | str, facts: dict[str, str] | None = None
) -> tuple[list[Notice], list[Problem]]:
    """Load every schedule file; returns the valid notices and every problem found.

    `facts` fills the `{{ name }}` placeholders of texts (see bot/facts.py).
    """
    folder = Path(directory)
    if not folder.is_dir():
        return [], [Problem(str(folder), None, "thư mục lịch không tồn tại")]
    notices: list[Notice] = []
    problems: list[Problem] = []
    first_seen: dict[str, Notice] = {}
    for path in schedule_files(folder):
        file_notices, file_problems = load_schedule_file(path, facts)
        problems.extend(file_problems)
        for notice in file_notices:
            earlier = first_seen.get(notice.id)
            if earlier is not None:
                where = f"{earlier.source}:{earlier.line}" if earlier.line else earlier.source
                message = f"id bị trùng, đã dùng ở {where}; thông báo này bị bỏ qua"
                problems.append(Problem(notice.source, notice.id, message, notice.line, "id"))
                continue
            first_seen[notice.id] = notice
            notices.append(notice)
    return notices, problems


def check_schedules(directory: Path | str, facts: dict[str, str] | None = None) -> list[Problem]:
    """Every problem in the schedule files (empty when all is well); for `dcbot schedules check`."""
    return load_schedules(directory, facts)[1]


def parse_notice(data: dict[str, Any], *, source: str = "") -> Notice:
    """Build one notice from a mapping (tests, CLI); raises pydantic's ValidationError."""
    notice = Notice.model_validate(data)
    notice._source = source
    return notice
