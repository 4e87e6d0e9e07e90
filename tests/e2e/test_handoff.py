"""Handoff to officials end to end: "Gặp cán bộ" -> the support group -> an official's reply."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot_harness import make_settings, running_bot, write_test_faq
from telegram_standin import BotApiStandin

GROUP = -1001234500
OFFICIAL = 800
STRANGER = 555
CITIZEN = 777123


def buttons(message: dict) -> list[dict]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def press(standin: BotApiStandin, chat: int, message: dict, label: str, **user):
    button = next(b for b in buttons(message) if label in b["text"])
    return standin.push_callback(
        chat,
        button["callback_data"],
        message_id=message["message_id"],
        **({"user_id": chat} | user),
    )


@pytest.fixture
async def bot(standin: BotApiStandin, tmp_path: Path):
    write_test_faq(tmp_path / "faq")
    async with running_bot(make_settings(standin, tmp_path, support_chat_id=GROUP)) as app:
        yield app


async def test_unknown_question_reaches_the_group_and_only_an_official_answer_comes_back(
    standin, bot
) -> None:
    standin.push_text(CITIZEN, "giá vàng hôm nay bao nhiêu", first_name="<b>Lan</b> & Co")
    [unsure] = await standin.wait_for_messages(CITIZEN, 1)
    assert "chưa có câu trả lời" in unsure["text"]
    press(standin, CITIZEN, unsure, "Gặp cán bộ", first_name="<b>Lan</b> & Co")
    [posted] = await standin.wait_for_messages(GROUP, 1)
    assert "giá vàng hôm nay bao nhiêu" in posted["text"]
    assert "Yêu cầu #1" in posted["text"] and "<b>Lan</b> & Co" in posted["text"]  # escaped
    assert str(CITIZEN) not in posted["text"]
    opened = (await standin.wait_for_messages(CITIZEN, 2))[-1]
    assert "#1" in opened["text"]

    # A group member who is not an official is ignored; an official's reply is relayed.
    standin.push_text(
        GROUP, "chịu", user_id=STRANGER, chat_type="supergroup", reply_to=posted["message_id"]
    )
    standin.push_text(
        GROUP,
        "Bạn xem giá tại ngân hàng <nhé>",
        user_id=OFFICIAL,
        chat_type="supergroup",
        reply_to=posted["message_id"],
    )
    answer = (await standin.wait_for_messages(CITIZEN, 3))[-1]
    assert (
        "Cán bộ trả lời" in answer["text"] and "Bạn xem giá tại ngân hàng <nhé>" in answer["text"]
    )
    assert all("chịu" not in m["text"] for m in standin.messages_to(CITIZEN))

    # Further messages go to the same ticket, not to the matcher.
    standin.push_text(CITIZEN, "cảm ơn, còn giá bạc thì sao")
    follow_up = (await standin.wait_for_messages(GROUP, 3))[-1]
    assert "#1" in follow_up["text"] and "giá bạc" in follow_up["text"]
    assert "Đã chuyển tin nhắn" in (await standin.wait_for_messages(CITIZEN, 4))[-1]["text"]

    # /tickets lists it; "Đóng" closes it and tells the citizen.
    standin.push_command(OFFICIAL, "/tickets", user_id=OFFICIAL)
    [listing] = await standin.wait_for_messages(OFFICIAL, 1)
    assert "#1" in listing["text"]
    press(standin, OFFICIAL, listing, "Đóng", user_id=OFFICIAL)
    closed = (await standin.wait_for_messages(CITIZEN, 5))[-1]
    assert "đã được cán bộ đóng" in closed["text"]
    standin.push_text(CITIZEN, "lam sao dang ky tk dvc")
    assert "Cổng Dịch vụ công" in (await standin.wait_for_messages(CITIZEN, 6))[-1]["text"]
    assert standin.rejected_calls() == []


async def test_canbo_and_thumbs_down_offer_the_handoff(standin, bot) -> None:
    standin.push_command(CITIZEN, "/canbo")
    [offer] = await standin.wait_for_messages(CITIZEN, 1)
    assert any("Gặp cán bộ" in b["text"] for b in buttons(offer))
    standin.push_text(CITIZEN, "lam sao dang ky tk dvc")
    answer = (await standin.wait_for_messages(CITIZEN, 2))[-1]
    press(standin, CITIZEN, answer, "Chưa đúng")
    after = (await standin.wait_for_messages(CITIZEN, 3))[-1]
    press(standin, CITIZEN, after, "Gặp cán bộ")
    [posted] = await standin.wait_for_messages(GROUP, 1)
    assert "lam sao dang ky tk dvc" in posted["text"]


async def test_without_a_support_group_there_is_no_button(standin, tmp_path: Path) -> None:
    write_test_faq(tmp_path / "faq")
    async with running_bot(make_settings(standin, tmp_path)):
        standin.push_text(CITIZEN, "giá vàng hôm nay bao nhiêu")
        [unsure] = await standin.wait_for_messages(CITIZEN, 1)
        assert "chưa có câu trả lời" in unsure["text"]
        assert all("Gặp cán bộ" not in b["text"] for b in buttons(unsure))
        standin.push_command(CITIZEN, "/canbo")
        reply = (await standin.wait_for_messages(CITIZEN, 2))[-1]
        assert "chưa có kênh" in reply["text"]
