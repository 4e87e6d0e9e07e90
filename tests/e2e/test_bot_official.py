"""Officials' journeys end to end: broadcast with preview, paced delivery, report, promotions."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.db import in_session
from bot.models import Campaign, Delivery, Topic
from bot.storage import citizens

from bot_harness import make_settings, running_bot, write_test_faq
from clocks import LATE_EVENING_LOCAL, NOON_LOCAL, RunningClock
from telegram_standin import BotApiStandin

# Outcomes depend on the time of day: .ci/run also runs these under faketime.
pytestmark = pytest.mark.clock_sensitive

OFFICIAL = 800
ADMIN = 900


@pytest.fixture
async def bot(standin: BotApiStandin, tmp_path: Path):
    write_test_faq(tmp_path / "faq")
    async with running_bot(make_settings(standin, tmp_path)) as application:
        yield application


def engine_of(application):
    return application.bot_data["services"].engine


def subscribe(application, chat_ids, topic: Topic) -> None:
    engine = engine_of(application)
    for chat_id in chat_ids:
        in_session(engine, citizens.touch_user, chat_id, f"Người {chat_id}")
        in_session(engine, citizens.subscribe, chat_id, topic)


def keyboard(message: dict) -> list[dict]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


async def preview(standin: BotApiStandin, command: str, chat: int = OFFICIAL) -> list[dict]:
    before = len(standin.messages_to(chat))
    standin.push_command(chat, command, user_id=chat)
    return (await standin.wait_for_messages(chat, before + 2))[before:]


async def test_citizens_cannot_broadcast(standin, bot) -> None:
    standin.push_command(5, "/broadcast <b>Giả mạo</b>")
    [message] = await standin.wait_for_messages(5, 1)
    assert "không có quyền" in message["text"]
    standin.push_command(5, "/huy 1")
    standin.push_command(5, "/broadcasts")
    await standin.wait_for_messages(5, 3)
    assert all("không có quyền" in m["text"] for m in standin.messages_to(5))


async def test_broadcast_preview_confirm_deliver_and_report(standin, bot) -> None:
    subscribers = list(range(1000, 1060))
    subscribe(bot, subscribers, Topic.ANNOUNCEMENTS)
    standin.blocked_chats.update({1003, 1004})
    standin.deactivated_chats.add(1005)
    standin.unknown_chats.add(1006)
    shown, confirm = await preview(standin, "/broadcast <b>Họp tổ dân phố</b> lúc 19h & tối nay")
    assert shown["text"] == "Họp tổ dân phố lúc 19h & tối nay"  # exactly as citizens see it
    assert shown["entities"][0]["type"] == "bold"
    assert "Người nhận: 60" in confirm["text"]
    send = next(b for b in keyboard(confirm) if b["text"].endswith("Gửi ngay"))
    standin.push_callback(
        OFFICIAL, send["callback_data"], message_id=confirm["message_id"], user_id=OFFICIAL
    )

    def finished(s: BotApiStandin) -> bool:
        return "đã xong" in s.messages_to(OFFICIAL)[-1]["text"]

    await standin.wait_for(finished, timeout=20)
    report = standin.messages_to(OFFICIAL)[-1]["text"]
    assert "Gửi thành công: 56/60" in report
    assert "Không liên lạc được (chặn bot, đã xóa tài khoản): 4" in report
    for chat_id in subscribers:
        expected = 0 if chat_id in (1003, 1004, 1005, 1006) else 1
        assert len(standin.messages_to(chat_id)) == expected, chat_id
    assert in_session(engine_of(bot), citizens.subscribers, Topic.ANNOUNCEMENTS) == [
        c for c in subscribers if c not in (1003, 1004, 1005, 1006)
    ]
    # writing to the bot again makes a chat reachable again
    standin.blocked_chats.discard(1003)
    standin.push_text(1003, "xin chao")
    await standin.wait_for_messages(1003, 1)
    assert 1003 in in_session(engine_of(bot), citizens.subscribers, Topic.ANNOUNCEMENTS)
    rejected = {c.method for c in standin.rejected_calls()}
    assert rejected <= {"sendMessage"}  # only the blocked/unknown chats refused


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ("/broadcast <b>chưa đóng thẻ", "thẻ chưa đóng"),
        ("/broadcast dòng 1<br>dòng 2", "<br>"),
        ("/broadcast " + "x" * 4100, "vượt giới hạn"),
        ("/broadcast #bongda Nội dung", "Chủ đề không hợp lệ"),
    ],
)
async def test_invalid_broadcasts_are_refused_before_anything_is_queued(
    standin, bot, command, reason
) -> None:
    standin.push_command(OFFICIAL, command, user_id=OFFICIAL)
    [message] = await standin.wait_for_messages(OFFICIAL, 1)
    assert reason in message["text"]
    from bot.storage.campaigns import recent_campaigns

    assert in_session(engine_of(bot), recent_campaigns) == []
    assert standin.rejected_calls() == []


async def test_cancel_button_queues_nothing(standin, bot) -> None:
    subscribe(bot, [1, 2], Topic.ANNOUNCEMENTS)
    _, confirm = await preview(standin, "/broadcast Tin thử")
    drop = next(b for b in keyboard(confirm) if b["text"].endswith("Hủy"))
    standin.push_callback(
        OFFICIAL, drop["callback_data"], message_id=confirm["message_id"], user_id=OFFICIAL
    )
    await standin.wait_for(lambda s: "Đã hủy" in s.messages_to(OFFICIAL)[-1]["text"])
    assert standin.messages_to(1) == [] and standin.messages_to(2) == []
    # the same button pressed again is stale
    query = standin.push_callback(
        OFFICIAL, drop["callback_data"], message_id=confirm["message_id"], user_id=OFFICIAL
    )
    await standin.wait_for(lambda s: query in s.answered_callbacks)


async def test_promotion_goes_only_to_opted_in_with_label_and_opt_out(standin, bot) -> None:
    subscribe(bot, [11, 12], Topic.ANNOUNCEMENTS)
    subscribe(bot, [21, 22], Topic.PROMOTIONS)
    shown, confirm = await preview(standin, "/broadcast #khuyenmai Tặng 10% giá trị thẻ nạp", ADMIN)
    assert shown["text"].startswith("[QC] ")
    assert "Người nhận: 2" in confirm["text"]
    send = next(b for b in keyboard(confirm) if b["text"].endswith("Gửi ngay"))
    standin.push_callback(
        ADMIN, send["callback_data"], message_id=confirm["message_id"], user_id=ADMIN
    )
    await standin.wait_for(
        lambda s: len(s.messages_to(21)) == 1 and len(s.messages_to(22)) == 1, timeout=10
    )
    promo = standin.messages_to(21)[0]
    assert promo["text"].startswith("[QC]")
    [opt_out] = keyboard(promo)
    assert opt_out["text"] == "Hủy nhận khuyến mãi"
    assert standin.messages_to(11) == []
    standin.push_callback(21, opt_out["callback_data"], message_id=promo["message_id"])
    await standin.wait_for(
        lambda s: Topic.PROMOTIONS not in in_session(engine_of(bot), citizens.topics_of, 21)
    )


async def test_quiet_hours_hold_a_promotion_back_at_a_fixed_late_evening(
    standin, tmp_path: Path
) -> None:
    """At 23:30 in Hà Nội an announcement goes out at once; a promotion waits until 07:00."""
    from datetime import datetime

    write_test_faq(tmp_path / "faq")
    settings = make_settings(standin, tmp_path)
    async with running_bot(settings, RunningClock(LATE_EVENING_LOCAL)) as application:
        subscribe(application, [31], Topic.ANNOUNCEMENTS)
        subscribe(application, [32], Topic.PROMOTIONS)
        for command in ("/broadcast #khuyenmai Ưu đãi 10/10", "/broadcast Lịch họp tổ dân phố"):
            _, confirm = await preview(standin, command, ADMIN)
            send = next(b for b in keyboard(confirm) if b["text"].endswith("Gửi ngay"))
            standin.push_callback(
                ADMIN, send["callback_data"], message_id=confirm["message_id"], user_id=ADMIN
            )
        await standin.wait_for(lambda s: len(s.messages_to(31)) == 1, timeout=10)
        engine = engine_of(application)

        def promotion_row() -> Delivery:
            with Session(engine) as session:
                return session.exec(select(Delivery).where(Delivery.chat_id == 32)).one()

        await standin.wait_for(lambda _: promotion_row().not_before is not None, timeout=10)
        row = promotion_row()
        assert row.status == "pending"
        assert row.not_before == datetime(2026, 12, 3, 0, 0)  # 07:00 on 3 December in Hà Nội
        assert standin.messages_to(32) == []


async def test_replies_stay_fast_while_a_broadcast_is_sending(standin, bot) -> None:
    """While 250 messages go out at 27/s, a citizen's question is answered long before the end."""
    standin.global_rate_limit = 30
    standin.per_chat_rate_limit = 1
    subscribe(bot, range(5000, 5250), Topic.ANNOUNCEMENTS)
    _, confirm = await preview(standin, "/broadcast Thông báo lịch tiêm chủng")
    send = next(b for b in keyboard(confirm) if b["text"].endswith("Gửi ngay"))
    standin.push_callback(
        OFFICIAL, send["callback_data"], message_id=confirm["message_id"], user_id=OFFICIAL
    )
    await standin.wait_for(
        lambda s: len([m for m in s.sent_messages if 5000 <= m["chat_id"] < 5250]) >= 30, timeout=10
    )
    standin.push_text(77, "lam sao dang ky tk dvc")
    [answer] = await standin.wait_for_messages(77, 1, timeout=5)
    assert answer["text"].startswith("Làm thế nào để đăng ký tài khoản Cổng Dịch vụ công")

    def broadcast(messages: list[dict]) -> list[dict]:
        return [m for m in messages if 5000 <= m["chat_id"] < 5250]

    def after_answer(s: BotApiStandin) -> list[dict]:
        order = s.sent_messages
        return broadcast(order[order.index(answer) + 1 :])

    # The answer went out with at least 50 of the 250 still to come (about 2 s at 27/s).
    await standin.wait_for(lambda s: len(after_answer(s)) >= 50, timeout=10)
    counts = Counter(m["chat_id"] for m in broadcast(standin.sent_messages))
    assert set(counts.values()) == {1} and set(counts) <= set(range(5000, 5250))
    throttled = [c for c in standin.rejected_calls() if c.error_code == 429]
    assert [c for c in throttled if 5000 <= int(c.params["chat_id"]) < 5250] == []


async def test_cancel_a_running_campaign(standin, bot) -> None:
    standin.global_rate_limit = 30
    subscribe(bot, range(6000, 6200), Topic.ANNOUNCEMENTS)
    _, confirm = await preview(standin, "/broadcast Tin dài")
    send = next(b for b in keyboard(confirm) if b["text"].endswith("Gửi ngay"))
    standin.push_callback(
        OFFICIAL, send["callback_data"], message_id=confirm["message_id"], user_id=OFFICIAL
    )
    await standin.wait_for(lambda s: "Hủy: /huy" in s.messages_to(OFFICIAL)[-1]["text"])
    campaign_id = standin.messages_to(OFFICIAL)[-1]["text"].split("/huy ")[1].split()[0]

    def delivered_so_far(s: BotApiStandin) -> int:
        return len([m for m in s.sent_messages if 6000 <= m["chat_id"] < 6200])

    await standin.wait_for(lambda s: delivered_so_far(s) >= 5)  # running, not just queued
    standin.push_command(OFFICIAL, f"/huy {campaign_id}", user_id=OFFICIAL)
    await standin.wait_for(
        lambda s: any("Đã hủy phần chưa gửi" in m["text"] for m in s.messages_to(OFFICIAL))
    )
    await standin.wait_for(
        lambda s: any("đã dừng" in m["text"] for m in s.messages_to(OFFICIAL)), timeout=10
    )
    [final] = [m for m in standin.messages_to(OFFICIAL) if "đã dừng" in m["text"]]
    counts = Counter(m["chat_id"] for m in standin.sent_messages if 6000 <= m["chat_id"] < 6200)
    delivered = sum(counts.values())
    assert 5 <= delivered < 200 and set(counts.values()) == {1}  # stopped early, nobody twice
    with Session(engine_of(bot)) as session:
        rows = session.exec(select(Delivery).where(Delivery.campaign_id == int(campaign_id))).all()
        campaign = session.get(Campaign, int(campaign_id))
    assert campaign is not None and campaign.status == "cancelled"
    # Every row is settled: sent to exactly the chats that got the message, the rest cancelled.
    assert {r.chat_id for r in rows if r.status == "sent"} == set(counts)
    assert Counter(r.status for r in rows) == Counter(sent=delivered, cancelled=200 - delivered)
    assert f"Gửi thành công: {delivered}/200" in final["text"]
    assert f"Đã hủy trước khi gửi: {200 - delivered}" in final["text"]
    standin.push_command(OFFICIAL, "/broadcasts", user_id=OFFICIAL)
    await standin.wait_for(lambda s: "đã hủy" in s.messages_to(OFFICIAL)[-1]["text"])


async def test_scheduled_notice_reaches_subscribers_once_through_the_outbox(
    standin, tmp_path: Path
) -> None:
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from bot.clock import as_utc

    write_test_faq(tmp_path / "faq")
    settings = make_settings(standin, tmp_path)
    clock = RunningClock(NOON_LOCAL)
    at = (as_utc(clock()) + timedelta(seconds=3)).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    (tmp_path / "schedules" / "su-kien.yaml").write_text(
        "notices:\n"
        "  - id: hoi-nghi-cds\n"
        "    topic: events\n"
        f'    at: "{at.isoformat()}"\n'
        '    text: "<b>Hội nghị chuyển đổi số</b> bắt đầu lúc 8 giờ"\n',
        encoding="utf-8",
    )
    async with running_bot(settings, clock) as application:
        subscribe(application, [41, 42], Topic.EVENTS)
        subscribe(application, [43], Topic.ANNOUNCEMENTS)
        await standin.wait_for(
            lambda s: len(s.messages_to(41)) == 1 and len(s.messages_to(42)) == 1, timeout=15
        )
        assert standin.messages_to(41)[0]["text"].startswith("Hội nghị chuyển đổi số")
    async with running_bot(settings, clock):  # a restart does not send it again
        await standin.wait_for_call("getUpdates", count=len(standin.calls_to("getUpdates")) + 2)
    assert len(standin.messages_to(41)) == 1 and standin.messages_to(43) == []


async def test_broadcast_as_a_reply_to_a_message(standin, bot) -> None:
    subscribe(bot, [51], Topic.EVENTS)
    draft = standin.push_text(
        OFFICIAL, "<b>Hội nghị</b> chuyển đổi số sáng thứ Hai", user_id=OFFICIAL
    )
    await standin.wait_for_messages(OFFICIAL, 1)  # the bot answered it as a question
    standin.push_command(
        OFFICIAL, "/broadcast #sukien", user_id=OFFICIAL, reply_to=draft["message"]["message_id"]
    )
    messages = await standin.wait_for_messages(OFFICIAL, 3)
    shown, confirm = messages[-2:]
    assert shown["text"] == "Hội nghị chuyển đổi số sáng thứ Hai"
    assert shown["entities"][0]["type"] == "bold"
    assert "Chủ đề: sự kiện" in confirm["text"] and "Người nhận: 1" in confirm["text"]
