"""Calendar traps: local midnight vs UTC, 10/10 on 10/10 itself, 31/12 -> 1/1, and a machine
whose own time zone has DST. Every instant is explicit; nothing reads the wall clock."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.broadcast.promotion_rules import in_quiet_hours, quiet_hours_end
from bot.db import in_session, session_scope
from bot.insight import question_stats
from bot.models import QuestionLog
from bot.schedule.notices import parse_notice
from bot.schedule.timing import describe_notices, instants_between, next_instants

# Outcomes depend on the time of day: .ci/run also runs these under faketime.
pytestmark = pytest.mark.clock_sensitive

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
QUIET = (datetime.strptime("22:00", "%H:%M").time(), datetime.strptime("07:00", "%H:%M").time())


@pytest.fixture(params=["UTC", "America/New_York", "Pacific/Chatham"])
def machine_zone(request, monkeypatch):
    """Run under a machine time zone other than the bot's, some with DST."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def notice(**fields):
    return parse_notice({"id": "n", "topic": "events", "text": "Xin chào", **fields})


def test_local_midnight_cron_is_17_utc_on_every_day_whatever_the_machine_zone(machine_zone):
    # New York's DST starts on 8 March 2026: nothing here may move by an hour.
    daily = notice(cron="0 0 * * *")
    start = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
    fires = [i.at for i in instants_between(daily, start, start + timedelta(days=4), HCM)]
    assert fires == [datetime(2026, 3, d, 17, 0, tzinfo=UTC) for d in (6, 7, 8, 9)]


def test_national_day_on_the_day_itself(machine_zone):
    yearly = notice(cron="0 8 10 10 *", remind_before=["7d", "1d"])
    before = datetime(2027, 10, 10, 7, 59, 59, tzinfo=HCM)
    [row] = [r for r in describe_notices([yearly], before, HCM, count=1) if r.kind == "notice"]
    assert row.times == (datetime(2027, 10, 10, 8, 0, tzinfo=HCM),)
    # At 08:00 exactly it has fired: the next one is a year away, reminders come first.
    at_eight = datetime(2027, 10, 10, 8, 0, tzinfo=HCM)
    upcoming = [(i.kind, i.at.astimezone(HCM)) for i in next_instants(yearly, at_eight, HCM, 3)]
    assert upcoming == [
        ("reminder", datetime(2028, 10, 3, 8, 0, tzinfo=HCM)),
        ("reminder", datetime(2028, 10, 9, 8, 0, tzinfo=HCM)),
        ("notice", datetime(2028, 10, 10, 8, 0, tzinfo=HCM)),
    ]


def test_new_year_notice_fires_on_31_december_in_utc(machine_zone):
    new_year = notice(cron="0 0 1 1 *")
    eve = datetime(2026, 12, 31, 23, 59, tzinfo=HCM)
    [first] = next_instants(new_year, eve, HCM, 1)
    assert first.at == datetime(2026, 12, 31, 17, 0, tzinfo=UTC)


def test_quiet_hours_across_the_year_end(machine_zone):
    late = datetime(2026, 12, 31, 16, 30)  # 23:30 local on 31 December, naive UTC
    assert in_quiet_hours(late, QUIET, HCM)
    assert quiet_hours_end(late, QUIET, HCM) == datetime(2027, 1, 1, 0, 0)  # 07:00 on 1/1
    assert not in_quiet_hours(datetime(2027, 1, 1, 0, 0), QUIET, HCM)


def test_statistics_today_and_week_across_the_year_end(engine, machine_zone):
    rows = [
        ("hỏi lúc 23:30 ngày 31/12", datetime(2026, 12, 31, 16, 30)),
        ("hỏi lúc 00:30 ngày 1/1", datetime(2026, 12, 31, 17, 30)),
        ("hỏi ngày 26/12", datetime(2026, 12, 26, 3, 0)),
        ("hỏi ngày 25/12, ngoài 7 ngày", datetime(2026, 12, 25, 3, 0)),
    ]
    with session_scope(engine) as session:
        session.add_all(
            QuestionLog(chat_id=1, text=text, status="answer", created_at=at) for text, at in rows
        )
    one_am = datetime(2027, 1, 1, 1, 0, tzinfo=HCM)
    stats = in_session(engine, question_stats, now=one_am, tz=HCM)
    assert (stats.today, stats.week) == (1, 3)
    assert os.environ["TZ"] == machine_zone  # the machine zone really was different
