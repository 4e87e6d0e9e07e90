"""Scheduled notices: schedules/*.yaml -> validated notices -> JobQueue jobs -> campaigns."""

from bot.schedule.firing import DueResult, fire_notice, record_skipped, settle_due
from bot.schedule.loading import check_schedules, load_schedules
from bot.schedule.notices import Notice, notice_text, reminder_text
from bot.schedule.runner import NoticeScheduler
from bot.schedule.timing import (
    FireInstant,
    NextFires,
    describe_next_fires,
    fire_times_text,
    next_fire_times,
)

__all__ = [
    "DueResult",
    "FireInstant",
    "NextFires",
    "Notice",
    "NoticeScheduler",
    "check_schedules",
    "describe_next_fires",
    "fire_notice",
    "fire_times_text",
    "load_schedules",
    "next_fire_times",
    "notice_text",
    "record_skipped",
    "reminder_text",
    "settle_due",
]
