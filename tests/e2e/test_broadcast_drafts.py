"""Drafts are rows: a preview survives a restart, and its buttons work once."""

from __future__ import annotations

from pathlib import Path

import pytest
from official_steps import OFFICIAL, button, engine_of, last_text, preview, subscribe

from bot.db import in_session
from bot.storage.drafts import load_draft

from bot_harness import make_settings, running_bot, write_test_faq
from clocks import NOON_LOCAL, RunningClock

pytestmark = pytest.mark.clock_sensitive


async def test_preview_then_restart_then_send_now_still_sends(standin, tmp_path: Path) -> None:
    write_test_faq(tmp_path / "faq")
    settings = make_settings(standin, tmp_path)
    clock = RunningClock(NOON_LOCAL)
    async with running_bot(settings, clock) as application:
        subscribe(application, [101, 102, 103])
        shown, confirm = await preview(standin, "/broadcast <b>Cúp nước</b> sáng mai")
        assert shown["text"] == "Cúp nước sáng mai"
        assert "Người nhận: 3" in confirm["text"]
        send = button(confirm, "Gửi ngay")["callback_data"]
        campaign_id = int(send.split(":")[2])
        assert in_session(engine_of(application), load_draft, campaign_id).status == "draft"
    # a new process: nothing in memory survives, the row does
    async with running_bot(settings, clock) as application:
        standin.push_callback(OFFICIAL, send, message_id=confirm["message_id"], user_id=OFFICIAL)
        await standin.wait_for(lambda s: "đã xong" in last_text(s), timeout=20)
        for chat_id in (101, 102, 103):
            [copy] = standin.messages_to(chat_id)
            assert copy["text"] == "Cúp nước sáng mai"
        assert "Gửi thành công: 3/3" in last_text(standin)
        # the same button again: already sent, nothing more goes out
        query = standin.push_callback(
            OFFICIAL, send, message_id=confirm["message_id"], user_id=OFFICIAL
        )
        await standin.wait_for(lambda s: query in s.answered_callbacks)
        assert "đã được xử lý" in standin.callback_answers[query]["text"]
    assert all(len(standin.messages_to(c)) == 1 for c in (101, 102, 103))
    assert [c for c in standin.rejected_calls() if c.method != "getUpdates"] == []


async def test_another_official_cannot_send_someone_elses_draft(standin, tmp_path: Path) -> None:
    write_test_faq(tmp_path / "faq")
    settings = make_settings(standin, tmp_path, official_ids=[800, 801])
    async with running_bot(settings) as application:
        subscribe(application, [111])
        _, confirm = await preview(standin, "/broadcast Tin của cán bộ 800")
        data = confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        query = standin.push_callback(OFFICIAL, data, message_id=confirm["message_id"], user_id=801)
        await standin.wait_for(lambda s: query in s.answered_callbacks)
        assert "người soạn" in standin.callback_answers[query]["text"]
        assert standin.messages_to(111) == []
