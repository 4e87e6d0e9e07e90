"""Hẹn giờ: a draft scheduled for a typed time fires once, is listed, and can be cancelled."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from official_steps import OFFICIAL, last_text, press, preview, subscribe

from bot.clock import to_local

from bot_harness import make_settings, running_bot, write_test_faq
from clocks import NOON_LOCAL, RunningClock

pytestmark = pytest.mark.clock_sensitive


async def schedule(standin, settings, clock, command: str, typed) -> dict:
    _, confirm = await preview(standin, command)
    before = len(standin.messages_to(OFFICIAL))
    press(standin, confirm, "Hẹn giờ")
    [prompt] = (await standin.wait_for_messages(OFFICIAL, before + 1))[before:]
    assert "Asia/Ho_Chi_Minh" in prompt["text"]
    value = typed(clock()) if callable(typed) else typed
    standin.push_text(OFFICIAL, value, user_id=OFFICIAL, reply_to=prompt["message_id"])
    [answer] = (await standin.wait_for_messages(OFFICIAL, before + 2))[before + 1 :]
    return answer


def in_seconds(settings, seconds: int):
    def typed(now):
        local = to_local(now + timedelta(seconds=seconds), settings.zone)
        return local.replace(tzinfo=None, microsecond=0).isoformat()

    return typed


async def test_scheduled_broadcast_fires_once_at_the_typed_time(standin, tmp_path: Path) -> None:
    write_test_faq(tmp_path / "faq")
    settings = make_settings(standin, tmp_path)
    clock = RunningClock(NOON_LOCAL)
    async with running_bot(settings, clock) as application:
        subscribe(application, [8001, 8002])
        answer = await schedule(
            standin, settings, clock, "/broadcast Họp dân 19h", in_seconds(settings, 4)
        )
        assert "Đã hẹn gửi chiến dịch" in answer["text"]
        standin.push_command(OFFICIAL, "/broadcasts", user_id=OFFICIAL)
        await standin.wait_for(lambda s: "hẹn giờ" in last_text(s))
        assert standin.messages_to(8001) == []
        await standin.wait_for(
            lambda s: len(s.messages_to(8001)) == 1 and len(s.messages_to(8002)) == 1, timeout=20
        )
        await standin.wait_for(lambda s: "đã xong" in (answer.get("text") or ""), timeout=20)
    async with running_bot(settings, clock):  # a restart does not fire it again
        await asyncio.sleep(1.5)
    assert len(standin.messages_to(8001)) == 1


async def test_a_scheduled_broadcast_can_be_cancelled(standin, tmp_path: Path) -> None:
    write_test_faq(tmp_path / "faq")
    settings = make_settings(standin, tmp_path)
    clock = RunningClock(NOON_LOCAL)
    async with running_bot(settings, clock) as application:
        subscribe(application, [8101])
        answer = await schedule(
            standin, settings, clock, "/broadcast Sẽ hủy", in_seconds(settings, 3)
        )
        campaign_id = answer["text"].split("#")[1].split()[0]
        standin.push_command(OFFICIAL, f"/huy {campaign_id}", user_id=OFFICIAL)
        await standin.wait_for(lambda s: "Đã hủy lịch gửi" in last_text(s))
        await asyncio.sleep(4)
    assert standin.messages_to(8101) == []


@pytest.mark.parametrize(("typed", "reason"), [("hôm qua", "Chưa đọc được"), ("11:00", "")])
async def test_a_wrong_time_is_explained(standin, tmp_path: Path, typed, reason) -> None:
    write_test_faq(tmp_path / "faq")
    settings = make_settings(standin, tmp_path)
    clock = RunningClock(NOON_LOCAL)
    async with running_bot(settings, clock) as application:
        subscribe(application, [8201])
        answer = await schedule(standin, settings, clock, "/broadcast Tin", typed)
    if reason:
        assert reason in answer["text"] and "Ví dụ" in answer["text"]
    else:  # 11:00 has passed at noon: tomorrow at 11:00
        assert "11:00 03/12/2026" in answer["text"]
