"""Standard 5-field crontab lines translated into APScheduler 3 triggers."""

from __future__ import annotations

from datetime import datetime, tzinfo

from apscheduler.triggers.cron import CronTrigger

from bot.texts import validation as texts

_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # standard cron: 0 = Sunday


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
        raise ValueError(texts.CRON_WEEKDAY_INVALID.format(token=token))

    for item in field.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise ValueError(texts.CRON_STEP_INVALID.format(step=step_text))
        if base == "*":
            first, last = 0, 7
        elif "-" in base:
            first_text, last_text = base.split("-", 1)
            first, last = number(first_text), number(last_text)
            if first > last:
                raise ValueError(texts.CRON_WEEKDAY_RANGE_REVERSED.format(range=base))
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
        raise ValueError(texts.CRON_FIELD_COUNT.format(count=len(fields), expr=expr))
    minute, hour, day, month, day_of_week = fields
    if day != "*" and day_of_week != "*":
        # Standard cron ORs the two fields, APScheduler ANDs them: refuse rather than guess.
        raise ValueError(texts.CRON_DAY_AND_WEEKDAY)
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_standard_day_of_week(day_of_week),
        timezone=tz,
        end_date=end_date,
    )
