"""Thu hồi and Sửa: every delivered copy deleted (or edited) once, paced, with a clear report."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from official_steps import OFFICIAL, button, last_text, press, preview, subscribe

from bot_harness import make_settings, running_bot, write_test_faq
from clocks import NOON_LOCAL, RunningClock
from telegram_standin import BotApiStandin

pytestmark = pytest.mark.clock_sensitive
CITIZENS = list(range(7000, 7060))


class JumpingClock(RunningClock):
    """Runs at the real pace from `start`; `jump` moves it forward."""

    def __init__(self, start) -> None:
        super().__init__(start)
        self.offset = timedelta(0)

    def __call__(self):
        return super().__call__() + self.offset


async def broadcast_and_finish(standin: BotApiStandin, command: str) -> dict:
    _, confirm = await preview(standin, command)
    press(standin, confirm, "Gửi ngay")
    await standin.wait_for(lambda s: "đã xong" in last_text(s), timeout=30)
    return standin.messages_to(OFFICIAL)[-1]


async def recall(standin: BotApiStandin, report: dict) -> str:
    before = len(standin.messages_to(OFFICIAL))
    press(standin, report, "Thu hồi")
    [prompt] = (await standin.wait_for_messages(OFFICIAL, before + 1))[before:]
    assert "Xác nhận" in button(prompt, "Xác nhận")["text"]
    press(standin, prompt, "Xác nhận")
    await standin.wait_for(lambda s: "Đã thu hồi" in (prompt.get("text") or ""), timeout=30)
    return prompt["text"]


def deletes(standin: BotApiStandin) -> Counter:
    return Counter(
        (c.params["chat_id"], c.params["message_id"])
        for c in standin.calls_to("deleteMessage")
        if c.ok
    )


async def test_recall_deletes_every_delivered_copy_once(standin, tmp_path: Path) -> None:
    write_test_faq(tmp_path / "faq")
    standin.global_rate_limit = 30
    async with running_bot(make_settings(standin, tmp_path)) as application:
        subscribe(application, CITIZENS)
        standin.blocked_chats.add(7001)
        report = await broadcast_and_finish(standin, "/broadcast Tin nhầm, xin lỗi")
        delivered = [m for c in CITIZENS for m in standin.messages_to(c)]
        assert len(delivered) == 59
        result = await recall(standin, report)
    assert "xóa 59 tin" in result and "Không xóa được: 0" in result
    counts = deletes(standin)
    assert len(counts) == 59 and max(counts.values()) == 1
    assert all(standin.messages_to(c) == [] for c in CITIZENS)
    assert [c for c in standin.rejected_calls() if c.method == "deleteMessage"] == []
    assert [c for c in standin.rejected_calls() if c.error_code == 429] == []


async def test_recall_reports_copies_too_old_or_already_gone(standin, tmp_path: Path) -> None:
    write_test_faq(tmp_path / "faq")
    clock = JumpingClock(NOON_LOCAL)
    async with running_bot(make_settings(standin, tmp_path), clock) as application:
        subscribe(application, [7101, 7102, 7103, 7104])
        report = await broadcast_and_finish(standin, "/broadcast Tin cũ")
        [gone] = standin.messages_to(7101)
        standin.user_deletes(7101, gone["message_id"])
        # Telegram's clock is two days on; the bot's is not: Telegram refuses the rest
        real = standin.clock
        standin.clock = lambda: real() + 49 * 3600
        result = await recall(standin, report)
    assert "xóa 0 tin" in result
    assert "quá 48 giờ: 3" in result and "người dân đã xóa hoặc chặn bot: 1" in result


async def test_copies_older_than_48_hours_are_not_even_tried(standin, tmp_path: Path) -> None:
    write_test_faq(tmp_path / "faq")
    clock = JumpingClock(NOON_LOCAL)
    async with running_bot(make_settings(standin, tmp_path), clock) as application:
        subscribe(application, [7201, 7202])
        report = await broadcast_and_finish(standin, "/broadcast Tin cũ")
        clock.offset = timedelta(hours=49)
        result = await recall(standin, report)
    assert "quá 48 giờ: 2" in result
    assert standin.calls_to("deleteMessage") == []


async def test_recall_twice_is_refused_and_thuhoi_command_works(standin, tmp_path: Path) -> None:
    write_test_faq(tmp_path / "faq")
    async with running_bot(make_settings(standin, tmp_path)) as application:
        subscribe(application, [7301])
        await broadcast_and_finish(standin, "/broadcast Tin")
        campaign_id = last_text(standin).split("#")[1].split()[0]
        before = len(standin.messages_to(OFFICIAL))
        standin.push_command(OFFICIAL, f"/thuhoi {campaign_id}", user_id=OFFICIAL)
        [prompt] = (await standin.wait_for_messages(OFFICIAL, before + 1))[before:]
        data = button(prompt, "Xác nhận")["callback_data"]
        press(standin, prompt, "Xác nhận")
        await standin.wait_for(lambda s: "Đã thu hồi" in (prompt.get("text") or ""), timeout=20)
        query = standin.push_callback(OFFICIAL, data, user_id=OFFICIAL)
        await standin.wait_for(lambda s: query in s.answered_callbacks)
        assert "đã được thu hồi" in standin.callback_answers[query]["text"]
        standin.push_command(OFFICIAL, "/thuhoi abc", user_id=OFFICIAL)
        await standin.wait_for(lambda s: "Cách dùng" in last_text(s))
        standin.push_command(7301, f"/thuhoi {campaign_id}")
        await standin.wait_for(
            lambda s: any("không có quyền" in (m["text"] or "") for m in s.messages_to(7301))
        )
    assert len(standin.calls_to("deleteMessage")) == 1


async def test_edit_changes_every_copy_text_and_caption(standin, tmp_path: Path) -> None:
    write_test_faq(tmp_path / "faq")
    async with running_bot(make_settings(standin, tmp_path)) as application:
        subscribe(application, [7401, 7402])
        report = await broadcast_and_finish(standin, "/broadcast Họp lúc 19h")
        before = len(standin.messages_to(OFFICIAL))
        press(standin, report, "Sửa")
        [prompt] = (await standin.wait_for_messages(OFFICIAL, before + 1))[before:]
        standin.push_text(
            OFFICIAL, "Họp lúc <b>20h</b>", user_id=OFFICIAL, reply_to=prompt["message_id"]
        )
        shown, confirm = (await standin.wait_for_messages(OFFICIAL, before + 3))[before + 1 :]
        assert shown["text"] == "Họp lúc 20h"
        press(standin, confirm, "Xác nhận")
        await standin.wait_for(lambda s: "Đã sửa" in (confirm.get("text") or ""), timeout=20)
        for chat_id in (7401, 7402):
            [copy] = standin.messages_to(chat_id)
            assert copy["text"] == "Họp lúc 20h" and copy["edits"][0]["text"] == "Họp lúc 19h"
        # the photo of another campaign gets its caption edited
        photo = standin.push_photo(OFFICIAL, caption="Áp phích", user_id=OFFICIAL)["message"]
        await standin.wait_for_delivery()
        _, confirm = await preview(standin, "/broadcast", reply_to=photo["message_id"])
        press(standin, confirm, "Gửi ngay")
        await standin.wait_for(lambda s: "đã xong" in last_text(s), timeout=20)
        campaign_id = last_text(standin).split("#")[1].split()[0]
        before = len(standin.messages_to(OFFICIAL))
        standin.push_command(
            OFFICIAL, f"/sua {campaign_id} Áp phích (đã sửa giờ)", user_id=OFFICIAL
        )
        shown, confirm = (await standin.wait_for_messages(OFFICIAL, before + 2))[before:]
        assert shown["media"] == "photo" and shown["caption"] == "Áp phích (đã sửa giờ)"
        press(standin, confirm, "Xác nhận")
        await standin.wait_for(lambda s: "Đã sửa" in (confirm.get("text") or ""), timeout=20)
        assert standin.messages_to(7401)[-1]["caption"] == "Áp phích (đã sửa giờ)"
    assert [c for c in standin.rejected_calls() if c.method.startswith("edit")] == []
