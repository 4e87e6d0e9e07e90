"""NoticeScheduler: catch-up at start, reload, file watching, and one real on-time firing."""

from __future__ import annotations

import asyncio
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.config import Settings
from bot.file_watch import changed_files
from bot.models import Campaign, NoticeFire
from bot.schedule.runner import NoticeScheduler

from clocks import FixedClock

# Outcomes depend on the time of day: .ci/run also runs these under faketime.
pytestmark = pytest.mark.clock_sensitive

NOW = datetime(2027, 10, 10, 1, 0, tzinfo=UTC)  # 08:00 in Asia/Ho_Chi_Minh


@pytest.fixture
async def jobs(standin):
    """A real JobQueue of a real Application (what the bot gives the scheduler)."""
    application = standin.application_builder().build()
    async with application:
        await application.job_queue.start()
        yield application.job_queue
        await application.job_queue.stop(wait=False)


def settings_for(folder: Path) -> Settings:
    return Settings(_env_file=None, schedules_dir=folder, bot_tz="Asia/Ho_Chi_Minh")


def write(folder: Path, name: str, body: str) -> None:
    (folder / name).write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")


def notice_yaml(notice_id: str, when: str, text: str = "Xin chào") -> str:
    return f"""
    notices:
      - id: {notice_id}
        topic: events
        {when}
        text: {text}
    """


def campaigns(engine) -> list[Campaign]:
    with Session(engine) as session:
        return list(session.exec(select(Campaign).order_by(Campaign.id)))


async def test_start_catches_up_within_the_window_only(engine, tmp_path, jobs):
    write(tmp_path, "recent.yaml", notice_yaml("recent", 'at: "2027-10-10T07:30:00"'))
    write(tmp_path, "old.yaml", notice_yaml("old", 'at: "2027-10-10T06:00:00"'))
    write(tmp_path, "later.yaml", notice_yaml("later", 'at: "2027-10-11T08:00:00"'))
    fired: list[Campaign] = []
    scheduler = NoticeScheduler(
        engine,
        settings_for(tmp_path),
        job_queue=jobs,
        on_fire=fired.append,
        clock=FixedClock(NOW),
        watch=False,
    )
    result = await scheduler.start()
    try:
        assert [c.notice_id for c in result.fired] == ["recent"] == [c.notice_id for c in fired]
        assert [i.notice_id for i in result.skipped] == ["old"]
        assert [i.notice_id for i in scheduler.next_fire_times(5)] == ["later"]
    finally:
        await scheduler.shutdown()

    # A restart (or a second process on the same database) sends nothing again.
    again = NoticeScheduler(
        engine, settings_for(tmp_path), job_queue=jobs, clock=FixedClock(NOW), watch=False
    )
    result = await again.start()
    await again.shutdown()
    assert result.fired == [] and result.skipped == []
    assert [c.notice_id for c in campaigns(engine)] == ["recent"]


async def test_two_schedulers_on_one_database_send_once(engine, tmp_path, jobs):
    write(tmp_path, "recent.yaml", notice_yaml("recent", 'at: "2027-10-10T07:45:00"'))
    first, second = (
        NoticeScheduler(
            engine, settings_for(tmp_path), job_queue=jobs, clock=FixedClock(NOW), watch=False
        )
        for _ in range(2)
    )
    results = await asyncio.gather(first.start(), second.start())
    await asyncio.gather(first.shutdown(), second.shutdown())
    assert sum(len(result.fired) for result in results) == 1
    assert [c.notice_id for c in campaigns(engine)] == ["recent"]


async def test_reload_picks_up_edits_and_a_broken_file_keeps_the_others(engine, tmp_path, jobs):
    write(tmp_path, "a.yaml", notice_yaml("a-one", 'cron: "0 9 * * *"'))
    write(tmp_path, "b.yaml", notice_yaml("b-one", 'cron: "0 10 * * *"'))
    clock = FixedClock(NOW)
    told: list[list] = []

    async def on_problems(problems) -> None:
        told.append(problems)

    scheduler = NoticeScheduler(
        engine,
        settings_for(tmp_path),
        job_queue=jobs,
        on_problems=on_problems,
        clock=clock,
        watch=False,
    )
    await scheduler.start()
    try:
        assert {n.id for n in scheduler.notices} == {"a-one", "b-one"}
        assert told == []

        write(tmp_path, "a.yaml", notice_yaml("a-two", 'cron: "30 8 * * *"'))
        assert await scheduler.reload() == []
        assert {n.id for n in scheduler.notices} == {"a-two", "b-one"}
        assert scheduler.next_fire_times(1)[0].notice_id == "a-two"  # 08:30 today

        write(tmp_path, "b.yaml", "notices:\n  - id: b-one\n    text: 'không đóng\n")
        write(tmp_path, "c.yaml", notice_yaml("c-new", 'cron: "0 12 * * *"', text="<b>hỏng"))
        problems = await scheduler.reload()
        assert {Path(p.file).name for p in problems} == {"b.yaml", "c.yaml"}
        assert scheduler.problems == problems == told[-1]
        # b.yaml no longer parses: its last good notice stays; a.yaml is untouched.
        assert {n.id for n in scheduler.notices} == {"a-two", "b-one"}

        write(tmp_path, "c.yaml", notice_yaml("c-new", 'cron: "0 12 * * *"'))
        await scheduler.reload()
        assert "c-new" in {n.id for n in scheduler.notices}
    finally:
        await scheduler.shutdown()


async def test_a_new_notice_does_not_fire_for_past_instants(engine, tmp_path, jobs):
    clock = FixedClock(NOW)
    scheduler = NoticeScheduler(
        engine, settings_for(tmp_path), job_queue=jobs, clock=clock, watch=False
    )
    await scheduler.start()
    try:
        write(tmp_path, "a.yaml", notice_yaml("just-added", 'at: "2027-10-10T07:50:00"'))
        await scheduler.reload()
        assert "just-added" in {n.id for n in scheduler.notices}
        assert campaigns(engine) == []
    finally:
        await scheduler.shutdown()


async def test_run_due_follows_the_injected_clock(engine, tmp_path, jobs):
    write(tmp_path, "a.yaml", notice_yaml("hourly", 'cron: "0 * * * *"'))
    clock = FixedClock(NOW + timedelta(minutes=10))
    fired: list[Campaign] = []

    async def on_fire(campaign: Campaign) -> None:
        fired.append(campaign)

    scheduler = NoticeScheduler(
        engine, settings_for(tmp_path), job_queue=jobs, on_fire=on_fire, clock=clock, watch=False
    )
    await scheduler.start()  # 08:00 was 10 minutes ago: caught up
    try:
        clock.now = NOW + timedelta(minutes=59)
        assert (await scheduler.run_due()).fired == []
        clock.now = NOW + timedelta(hours=1, seconds=1)
        await scheduler.run_due()
        clock.now = NOW + timedelta(hours=2, seconds=1)
        await scheduler.run_due()
        await scheduler.run_due()
        assert [c.notice_id for c in fired] == ["hourly"] * 3
        with Session(engine) as session:
            sent = select(NoticeFire.fire_at).where(NoticeFire.outcome == "queued")
            fire_times = session.exec(sent.order_by(NoticeFire.fire_at))
            assert [t.hour for t in fire_times] == [1, 2, 3]
    finally:
        await scheduler.shutdown()


async def test_an_at_one_second_ahead_fires_within_two_seconds_once(engine, tmp_path, jobs):
    """The one real-time test: APScheduler wakes the scheduler on time."""
    at = datetime.now(UTC) + timedelta(seconds=1)
    write(tmp_path, "soon.yaml", notice_yaml("soon", f'at: "{at.isoformat()}"'))
    fired = asyncio.Event()
    fired_at: list[float] = []

    def on_fire(_campaign: Campaign) -> None:
        fired_at.append(time.time())
        fired.set()

    scheduler = NoticeScheduler(
        engine, settings_for(tmp_path), job_queue=jobs, on_fire=on_fire, watch=False
    )
    await scheduler.start()
    try:
        await asyncio.wait_for(fired.wait(), timeout=2.0)
        assert fired_at[0] - at.timestamp() < 2.0
        assert fired_at[0] >= at.timestamp() - 0.05
        await scheduler.run_due()
        assert len(fired_at) == 1
        assert [c.notice_id for c in campaigns(engine)] == ["soon"]
    finally:
        await scheduler.shutdown()


async def test_watching_reloads_after_an_edit(engine, tmp_path, jobs):
    write(tmp_path, "a.yaml", notice_yaml("first", 'cron: "0 9 * * *"'))
    reloaded = asyncio.Event()
    scheduler = NoticeScheduler(
        engine,
        settings_for(tmp_path),
        job_queue=jobs,
        clock=FixedClock(NOW),
        watch=True,
        poll_seconds=0.2,
    )
    original_reload = scheduler.reload

    async def reload_and_tell():
        problems = await original_reload()
        reloaded.set()
        return problems

    scheduler.reload = reload_and_tell
    await scheduler.start()
    try:
        # Edited right after start: the watcher's first snapshot was taken before loading.
        write(tmp_path, "a.yaml", notice_yaml("edited", 'cron: "0 9 * * *"'))
        await asyncio.wait_for(reloaded.wait(), timeout=5)
        assert {n.id for n in scheduler.notices} == {"edited"}
    finally:
        await scheduler.shutdown()


def test_changed_files():
    assert changed_files({"a": "1", "b": "2"}, {"a": "1", "b": "3", "c": "4"}) == {"b", "c"}
    assert changed_files({"a": "1"}, {}) == {"a"}
