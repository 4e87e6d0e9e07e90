"""Citizen journeys end to end: the real Application, over HTTP, against the Bot API stand-in."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.db import in_session
from bot.models import Feedback, QuestionLog, Topic, User
from bot.storage import citizens

from bot_harness import make_settings, running_bot, write_test_faq
from telegram_standin import BotApiStandin

CHAT = 4242


@pytest.fixture
async def bot(standin: BotApiStandin, tmp_path: Path):
    write_test_faq(tmp_path / "faq")
    settings = make_settings(standin, tmp_path)
    async with running_bot(settings) as application:
        yield application


def engine_of(application):
    return application.bot_data["services"].engine


def buttons(message: dict) -> list[dict]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


async def test_start_greets_by_escaped_name_subscribes_and_shows_menu(standin, bot) -> None:
    standin.push_command(CHAT, "/start", first_name="<b>Lan & Mai</b>")
    [message] = await standin.wait_for_messages(CHAT, 1)
    assert "<b>Lan & Mai</b>" in message["text"]  # shown literally, not as markup
    assert any(b["callback_data"].startswith("cat:") for b in buttons(message))
    topics = in_session(engine_of(bot), citizens.topics_of, CHAT)
    assert topics == {Topic.ANNOUNCEMENTS, Topic.EVENTS}
    assert standin.rejected_calls() == []


async def test_unaccented_question_gets_answer_links_related_and_feedback(standin, bot) -> None:
    standin.push_text(CHAT, "lam sao dang ky tk dvc")
    [message] = await standin.wait_for_messages(CHAT, 1)
    assert "dichvucong.gov.vn" in message["text"]
    data = [b.get("callback_data") for b in buttons(message)]
    assert "faq:vneid-muc-2" in data  # related question
    assert "fb:dvc-dang-ky:up" in data and "fb:dvc-dang-ky:down" in data
    query_id = standin.push_callback(CHAT, "fb:dvc-dang-ky:down")
    await standin.wait_for(lambda s: query_id in s.answered_callbacks)
    with Session(engine_of(bot)) as session:
        vote = session.exec(select(Feedback)).one()
        logged = session.exec(select(QuestionLog)).one()
    assert (vote.entry_id, vote.vote) == ("dvc-dang-ky", -1)
    assert (logged.status, logged.entry_id) == ("answer", "dvc-dang-ky")


async def test_ambiguous_question_offers_choices(standin, bot) -> None:
    standin.push_text(CHAT, "vneid")
    [message] = await standin.wait_for_messages(CHAT, 1)
    assert message["text"].startswith("🤔 Có phải bạn muốn hỏi")
    data = {b.get("callback_data") for b in buttons(message)}
    assert {"faq:vneid-muc-2", "faq:vneid-quen-mat-khau"} <= data
    standin.push_callback(CHAT, "faq:vneid-quen-mat-khau")
    messages = await standin.wait_for_messages(CHAT, 2)
    assert "Quên mật khẩu" in messages[-1]["text"]


async def test_unknown_question_is_honest_and_logged(standin, bot) -> None:
    standin.push_text(CHAT, "kết quả bóng đá ngoại hạng anh tối qua")
    [message] = await standin.wait_for_messages(CHAT, 1)
    assert "chưa có câu trả lời" in message["text"]
    assert any(b.get("callback_data", "").startswith("cat:") for b in buttons(message))
    with Session(engine_of(bot)) as session:
        logged = session.exec(select(QuestionLog)).one()
    assert logged.status == "none" and logged.entry_id is None


async def test_smalltalk(standin, bot) -> None:
    standin.push_text(CHAT, "cam on ban nhieu nha")
    [message] = await standin.wait_for_messages(CHAT, 1)
    assert "Không có gì" in message["text"]


async def test_menu_navigation_by_buttons_only(standin, bot) -> None:
    standin.push_command(CHAT, "/faq")
    [menu] = await standin.wait_for_messages(CHAT, 1)
    category = next(b for b in buttons(menu) if b["callback_data"] == "cat:thanh-toan")
    standin.push_callback(CHAT, category["callback_data"], message_id=menu["message_id"])
    await standin.wait_for(lambda s: "Chọn câu hỏi" in s.messages_to(CHAT)[0]["text"])
    questions = buttons(standin.messages_to(CHAT)[0])
    assert questions[0]["callback_data"] == "faq:qr-thanh-toan"
    assert questions[-1]["callback_data"] == "menu:cats"  # back button
    standin.push_callback(CHAT, "faq:qr-thanh-toan", message_id=menu["message_id"])
    messages = await standin.wait_for_messages(CHAT, 2)
    assert "quét QR" in messages[-1]["text"]
    standin.push_callback(CHAT, "menu:cats", message_id=menu["message_id"])
    await standin.wait_for(lambda s: "Chọn một chủ đề" in s.messages_to(CHAT)[0]["text"])
    assert len(standin.answered_callbacks) == 3
    assert standin.rejected_calls() == []


async def test_subscribe_unsubscribe_and_settings_toggles(standin, bot) -> None:
    engine = engine_of(bot)
    standin.push_command(CHAT, "/subscribe khuyenmai")
    await standin.wait_for_messages(CHAT, 1)
    assert Topic.PROMOTIONS in in_session(engine, citizens.topics_of, CHAT)
    standin.push_command(CHAT, "/unsubscribe #khuyenmai")
    await standin.wait_for_messages(CHAT, 2)
    assert Topic.PROMOTIONS not in in_session(engine, citizens.topics_of, CHAT)
    standin.push_command(CHAT, "/subscribe bongda")
    messages = await standin.wait_for_messages(CHAT, 3)
    assert "thongbao" in messages[-1]["text"]
    standin.push_command(CHAT, "/caidat")
    messages = await standin.wait_for_messages(CHAT, 4)
    toggle = next(b for b in buttons(messages[-1]) if b["callback_data"] == "sub:on:events")
    standin.push_callback(CHAT, toggle["callback_data"], message_id=messages[-1]["message_id"])
    await standin.wait_for(lambda s: Topic.EVENTS in in_session(engine, citizens.topics_of, CHAT))
    await standin.wait_for(
        lambda s: any(
            b["callback_data"] == "sub:off:events" for b in buttons(s.messages_to(CHAT)[-1])
        )
    )
    assert standin.rejected_calls() == []


async def test_delete_my_data_after_confirmation(standin, bot) -> None:
    engine = engine_of(bot)
    standin.push_command(CHAT, "/start")
    standin.push_text(CHAT, "dang ky vneid muc 2")
    await standin.wait_for_messages(CHAT, 2)
    standin.push_command(CHAT, "/xoadulieu")
    messages = await standin.wait_for_messages(CHAT, 3)
    assert "xóa toàn bộ dữ liệu" in messages[-1]["text"]
    standin.push_callback(CHAT, "del:yes", message_id=messages[-1]["message_id"])
    await standin.wait_for(lambda s: "Đã xóa" in s.messages_to(CHAT)[-1]["text"])
    with Session(engine) as session:
        assert session.get(User, CHAT) is None
        assert session.exec(select(QuestionLog)).all() == []
    assert in_session(engine, citizens.topics_of, CHAT) == set()


async def test_hostile_input_never_produces_a_rejected_call(standin, bot) -> None:
    standin.push_command(CHAT, "/start", first_name="<script>&amp;</script>")
    standin.push_sticker(CHAT)
    standin.push_photo(CHAT)
    standin.push_voice(CHAT)
    standin.push_location(CHAT)
    standin.push_text(CHAT, "   ")
    standin.push_text(CHAT, "x" * 10_000)
    standin.push_text(CHAT, "<b>unclosed & <i>html")
    standin.push_callback(CHAT, "zzz:unknown")
    standin.push_callback(CHAT, "faq:khong-ton-tai")
    standin.push_callback(CHAT, "fb:khong-ton-tai:up")
    standin.push_callback(CHAT, None)
    standin.push_command(CHAT, "/lenhkhongco")
    await standin.wait_for(lambda s: len(s.answered_callbacks) == 4, timeout=10)
    await standin.wait_for_messages(CHAT, 9, timeout=10)
    assert standin.rejected_calls() == []
    assert standin.internal_errors == []


async def test_groups_only_answer_when_addressed(standin, bot) -> None:
    group = -100123
    standin.push_text(group, "lam sao dang ky tk dvc", chat_type="group", title="Tổ dân phố")
    standin.push_text(
        group, "@cong_dan_so_test_bot quen mk vneid", chat_type="group", title="Tổ dân phố"
    )
    [message] = await standin.wait_for_messages(group, 1)
    assert "Quên mật khẩu" in message["text"]
    await standin.wait_for_delivery()
    assert len(standin.messages_to(group)) == 1


async def test_flood_control_warns_once_then_ignores(standin, tmp_path: Path) -> None:
    write_test_faq(tmp_path / "faq")
    settings = make_settings(standin, tmp_path, flood_max_messages=3)
    async with running_bot(settings):
        for _ in range(8):
            standin.push_text(CHAT, "vneid")
        await standin.wait_for_delivery()
        await standin.wait_for(lambda s: any("nhanh quá" in m["text"] for m in s.messages_to(CHAT)))
        await standin.wait_for(lambda s: len(s.calls_to("getUpdates")) > 3)
    texts = [m["text"] for m in standin.messages_to(CHAT)]
    assert sum("nhanh quá" in t for t in texts) == 1
    assert len(texts) == 4  # three answers, one notice, then silence


async def test_html_parse_error_falls_back_to_plain_text(standin, bot) -> None:
    standin.fail_next(
        "sendMessage", 400, "Bad Request: can't parse entities: Unsupported start tag"
    )
    standin.push_text(CHAT, "thanh toan qr")
    [message] = await standin.wait_for_messages(CHAT, 1)
    assert message["parse_mode"] is None and "quét QR" in message["text"]


async def test_faq_edit_is_hot_reloaded_and_bad_edit_keeps_last_good(
    standin, bot, tmp_path
) -> None:
    faq_file = tmp_path / "faq" / "thanh-toan.yaml"
    faq_file.write_text(
        faq_file.read_text(encoding="utf-8")
        + "  - id: vi-dien-tu\n    question: Ví điện tử là gì?\n    answer: Ví điện tử là ...\n",
        encoding="utf-8",
    )
    services = bot.bot_data["services"]
    await standin.wait_for(lambda s: "vi-dien-tu" in services.matcher.book.entries, timeout=5)
    faq_file.write_text("category: Thanh toán số\nentries:\n  - id: BAD\n", encoding="utf-8")
    [alert] = await standin.wait_for_messages(900, 1, timeout=5)  # the admin hears about it
    assert "thanh-toan.yaml" in alert["text"] and "BAD" in alert["text"]
    assert "vi-dien-tu" in services.matcher.book.entries  # last good FAQ still live
    standin.push_text(CHAT, "vi dien tu la gi")
    [answer] = await standin.wait_for_messages(CHAT, 1)
    assert "Ví điện tử là" in answer["text"]


async def test_stats_for_admin_and_refusal_for_others(standin, bot) -> None:
    standin.push_text(CHAT, "bong da hom nay")
    await standin.wait_for_messages(CHAT, 1)
    standin.push_command(CHAT, "/thongke")
    messages = await standin.wait_for_messages(CHAT, 2)
    assert "không có quyền" in messages[-1]["text"]
    standin.push_command(900, "/thongke", user_id=900)
    [stats] = await standin.wait_for_messages(900, 1)
    assert "Thống kê" in stats["text"] and "bong da hom nay" in stats["text"]


async def test_start_again_keeps_the_users_own_choices(standin, bot) -> None:
    engine = engine_of(bot)
    standin.push_command(CHAT, "/start")
    await standin.wait_for_messages(CHAT, 1)
    standin.push_command(CHAT, "/unsubscribe sukien")
    await standin.wait_for_messages(CHAT, 2)
    standin.push_command(CHAT, "/start")
    messages = await standin.wait_for_messages(CHAT, 3)
    assert "quay lại" in messages[-1]["text"]
    assert in_session(engine, citizens.topics_of, CHAT) == {Topic.ANNOUNCEMENTS}
