"""When notices fire: time zones, cron with `until`, reminders, and `dcbot schedules list`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.facts import load_facts
from bot.schedule.notices import parse_notice
from bot.schedule.timing import (
    NOTICE,
    REMINDER,
    describe_next_fires,
    describe_notices,
    fire_times_text,
    instants_between,
    next_fire_times,
    next_instants,
)

# Outcomes depend on the time of day: .ci/run also runs these under faketime.
pytestmark = pytest.mark.clock_sensitive

SHIPPED = Path(__file__).resolve().parents[3] / "schedules"
# The shipped texts quote shared facts ({{ name }}) from the FAQ's facts file.
FACTS = load_facts(Path(__file__).resolve().parents[3] / "faq" / "_facts.yaml")
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = datetime(2026, 11, 23, 9, 0, tzinfo=HCM)


def notice(**fields):
    return parse_notice({"id": "n", "topic": "events", "text": "Xin chào", **fields})


def test_shipped_national_day_next_fires_in_local_time():
    rows = describe_next_fires(SHIPPED, TODAY, "Asia/Ho_Chi_Minh", count=3, facts=FACTS)
    national = {row.label: row for row in rows if row.notice_id == "ngay-chuyen-doi-so-10-10"}
    assert national["notice"].times == (
        datetime(2027, 10, 10, 8, 0, tzinfo=HCM),
        datetime(2028, 10, 10, 8, 0, tzinfo=HCM),
        datetime(2029, 10, 10, 8, 0, tzinfo=HCM),
    )
    assert national["reminder -7d"].times[0] == datetime(2027, 10, 3, 8, 0, tzinfo=HCM)
    assert national["reminder -1d"].times[0] == datetime(2027, 10, 9, 8, 0, tzinfo=HCM)
    assert national["notice"].topic == "events"
    first = national["notice"].times[0]
    assert first.utcoffset() == timedelta(hours=7) and first.astimezone(UTC).hour == 1
    lines = [f"{r.notice_id} {r.label} {fire_times_text(r)}" for r in rows]
    assert any(
        "ngay-chuyen-doi-so-10-10" in line and "2027-10-10 08:00+07:00" in line for line in lines
    )


def test_rows_come_soonest_first_and_finished_notices_last():
    rows = describe_next_fires(SHIPPED, TODAY, HCM, count=1, facts=FACTS)
    firsts = [row.times[0] for row in rows if row.times]
    assert firsts == sorted(firsts)
    past = describe_notices(
        [notice(at="2027-01-01T07:00:00")], datetime(2030, 1, 1, tzinfo=UTC), HCM
    )
    assert past[-1].times == ()
    assert fire_times_text(past[-1]) == "(không còn lần nào)"


def test_shipped_examples_are_listed_but_never_fire():
    rows = describe_next_fires(SHIPPED, TODAY, HCM, count=1, facts=FACTS)
    examples = [row for row in rows if row.notice_id.startswith("vi-du-")]
    assert examples and all(not row.enabled and row.times == () for row in examples)
    assert all(fire_times_text(row).startswith("(đang tắt") for row in examples)
    assert any(row.notice_id == "ngay-chuyen-doi-so-10-10" and row.times for row in rows)


def test_naive_at_is_local_time_and_aware_at_keeps_its_offset():
    local = notice(at="2027-01-01T07:00:00")
    assert next_instants(local, TODAY, HCM, 5)[0].at == datetime(2027, 1, 1, 0, 0, tzinfo=UTC)
    aware = notice(at="2027-01-01T07:00:00+00:00")
    assert next_instants(aware, TODAY, HCM, 5)[0].at == datetime(2027, 1, 1, 7, 0, tzinfo=UTC)
    assert next_instants(local, datetime(2027, 1, 2, tzinfo=UTC), HCM, 5) == []


def test_cron_runs_in_the_zone_and_stops_after_until():
    monthly = notice(cron="0 9 1 * *", until="2027-03-01")
    times = [i.at for i in next_instants(monthly, datetime(2027, 1, 15, tzinfo=UTC), HCM, 10)]
    assert times == [
        datetime(2027, 2, 1, 2, 0, tzinfo=UTC),
        datetime(2027, 3, 1, 2, 0, tzinfo=UTC),  # `until` counts the whole day
    ]
    until_noon = notice(cron="0 9,15 * * *", until="2027-03-01T12:00:00")
    last = next_instants(until_noon, datetime(2027, 2, 28, 20, tzinfo=UTC), HCM, 10)
    assert [i.at for i in last] == [datetime(2027, 3, 1, 2, 0, tzinfo=UTC)]


def test_standard_weekday_numbers():
    mondays = notice(cron="30 7 * * 1")
    first = next_instants(mondays, TODAY, HCM, 1)[0].at.astimezone(HCM)
    assert first == datetime(2026, 11, 30, 7, 30, tzinfo=HCM)
    assert first.weekday() == 0


def test_reminders_are_their_own_instants():
    event = notice(at="2027-10-10T08:00:00", remind_before=["7d", "1d", "30m"])
    instants = next_instants(event, TODAY, HCM, 10)
    assert [(i.kind, i.before) for i in instants] == [
        (REMINDER, timedelta(days=7)),
        (REMINDER, timedelta(days=1)),
        (REMINDER, timedelta(minutes=30)),
        (NOTICE, None),
    ]
    assert {i.event_at for i in instants} == {datetime(2027, 10, 10, 1, 0, tzinfo=UTC)}
    # A reminder already past is not due any more; the notice still is.
    later = next_instants(event, datetime(2027, 10, 9, 12, tzinfo=HCM), HCM, 10)
    assert [i.kind for i in later] == [REMINDER, NOTICE]


def test_a_reminder_on_the_notices_own_instant_fires_once_as_the_notice():
    daily = notice(cron="0 8 * * *", remind_before=["1d"])
    instants = next_instants(daily, TODAY, HCM, 5)
    assert all(i.kind == NOTICE for i in instants)
    assert len({i.at for i in instants}) == 5


def test_instants_between_excludes_the_start_and_includes_the_end():
    hourly = notice(cron="0 * * * *")
    start = datetime(2027, 1, 1, 0, 0, tzinfo=UTC)
    got = instants_between(hourly, start, start + timedelta(hours=3), HCM)
    assert [i.at for i in got] == [start + timedelta(hours=h) for h in (1, 2, 3)]


def test_next_fire_times_merges_notices():
    a = notice(at="2027-01-02T08:00:00")
    b = parse_notice({"id": "b", "topic": "events", "text": "B", "cron": "0 8 1 * *"})
    merged = next_fire_times([a, b], TODAY, HCM, 3)
    assert [(i.notice_id, i.at.astimezone(HCM).date().isoformat()) for i in merged] == [
        ("b", "2026-12-01"),
        ("b", "2027-01-01"),
        ("n", "2027-01-02"),
    ]
