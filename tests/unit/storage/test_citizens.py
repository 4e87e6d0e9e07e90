"""Citizens: users, subscriptions, question log, feedback and erasure, on both backends."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.db import in_session, session_scope
from bot.models import (
    Campaign,
    Delivery,
    DeliveryStatus,
    Feedback,
    QuestionLog,
    Subscription,
    Topic,
    User,
)
from bot.storage.citizens import (
    QUESTION_TEXT_LIMIT,
    delete_user_data,
    log_question,
    mark_unreachable,
    record_feedback,
    subscribe,
    subscribe_defaults,
    subscribers,
    topics_of,
    touch_user,
    unsubscribe,
)
from bot.topics import parse_topic

BIG_CHAT = 7_123_456_789  # Telegram ids no longer fit in 32 bits


def get_user(engine, chat_id: int) -> User | None:
    with session_scope(engine) as session:
        return session.get(User, chat_id)


@pytest.mark.parametrize(
    ("word", "topic"),
    [
        ("thongbao", Topic.ANNOUNCEMENTS),
        ("#ThongBao", Topic.ANNOUNCEMENTS),
        ("Thông báo", Topic.ANNOUNCEMENTS),
        ("#sukien", Topic.EVENTS),
        ("Sự kiện", Topic.EVENTS),
        ("SỰ KIỆN", Topic.EVENTS),
        ("khuyến mãi", Topic.PROMOTIONS),
        ("#khuyenmai", Topic.PROMOTIONS),
        ("events", Topic.EVENTS),
        ("Promotions", Topic.PROMOTIONS),
        ("announcements", Topic.ANNOUNCEMENTS),
        ("thời tiết", None),
        ("", None),
    ],
)
def test_parse_topic(word, topic):
    assert parse_topic(word) is topic


def test_touch_user_creates_then_updates(engine):
    assert in_session(engine, touch_user, BIG_CHAT, "Nguyễn Thị Ánh 🌸", "anh_nguyen", "vi") is True
    first = get_user(engine, BIG_CHAT)
    assert (first.first_name, first.username, first.language) == (
        "Nguyễn Thị Ánh 🌸",
        "anh_nguyen",
        "vi",
    )
    assert first.reachable and first.first_seen == first.last_seen

    assert in_session(engine, touch_user, BIG_CHAT, "Ánh") is False
    again = get_user(engine, BIG_CHAT)
    assert again.first_name == "Ánh"
    assert again.username == "anh_nguyen"  # not given this time: kept
    assert again.first_seen == first.first_seen
    assert again.last_seen >= first.last_seen


def test_reachable_flips_back_when_the_user_writes_again(engine):
    in_session(engine, touch_user, 1, "Bình")
    in_session(engine, subscribe, 1, Topic.EVENTS)
    in_session(engine, mark_unreachable, 1, "Forbidden: bot was blocked by the user")
    user = get_user(engine, 1)
    assert not user.reachable
    assert user.unreachable_reason == "Forbidden: bot was blocked by the user"
    assert in_session(engine, subscribers, Topic.EVENTS) == []
    assert in_session(engine, subscribers, Topic.EVENTS, reachable_only=False) == [1]

    assert in_session(engine, touch_user, 1, "Bình") is False
    user = get_user(engine, 1)
    assert user.reachable and user.unreachable_reason is None
    assert in_session(engine, subscribers, Topic.EVENTS) == [1]


def test_mark_unreachable_for_an_unknown_chat_records_it(engine):
    in_session(engine, subscribe, 5, Topic.ANNOUNCEMENTS)
    in_session(engine, mark_unreachable, 5, "Bad Request: chat not found" * 20)
    user = get_user(engine, 5)
    assert not user.reachable and len(user.unreachable_reason) == 256
    assert in_session(engine, subscribers, Topic.ANNOUNCEMENTS) == []


def test_subscribe_and_unsubscribe(engine):
    in_session(engine, touch_user, BIG_CHAT, "Cường")
    assert in_session(engine, subscribe, BIG_CHAT, Topic.PROMOTIONS) is True
    assert in_session(engine, subscribe, BIG_CHAT, Topic.PROMOTIONS) is False
    assert in_session(engine, topics_of, BIG_CHAT) == {Topic.PROMOTIONS}
    assert in_session(engine, unsubscribe, BIG_CHAT, Topic.PROMOTIONS) is True
    assert in_session(engine, unsubscribe, BIG_CHAT, Topic.PROMOTIONS) is False
    assert in_session(engine, topics_of, BIG_CHAT) == set()
    assert in_session(engine, topics_of, 404) == set()


def test_subscribe_defaults_leaves_promotions_out(engine):
    assert in_session(engine, subscribe_defaults, 7) == {Topic.ANNOUNCEMENTS, Topic.EVENTS}
    assert in_session(engine, subscribe_defaults, 7) == set()
    assert in_session(engine, topics_of, 7) == {Topic.ANNOUNCEMENTS, Topic.EVENTS}
    assert in_session(engine, subscribers, Topic.PROMOTIONS) == []


def test_subscribers_by_topic_in_chat_order(engine):
    for chat_id in (BIG_CHAT, 3, -1001234567890):
        in_session(engine, touch_user, chat_id)
        in_session(engine, subscribe, chat_id, Topic.EVENTS)
    in_session(engine, subscribe, 3, Topic.PROMOTIONS)
    assert in_session(engine, subscribers, Topic.EVENTS) == [-1001234567890, 3, BIG_CHAT]
    assert in_session(engine, subscribers, Topic.PROMOTIONS) == [3]
    assert in_session(engine, subscribers, "events") == [-1001234567890, 3, BIG_CHAT]


def test_log_question_truncates_huge_text(engine):
    huge = "Làm thế nào để đăng ký tài khoản định danh điện tử mức 2? " * 500
    question_id = in_session(engine, log_question, BIG_CHAT, huge, "none", None, 0.12)
    in_session(engine, log_question, None, "Câu hỏi từ CLI", "answer", "vneid-dang-ky", 0.9)
    with session_scope(engine) as session:
        stored = session.get(QuestionLog, question_id)
        assert stored.text == huge[:QUESTION_TEXT_LIMIT]
        assert len(stored.text) == QUESTION_TEXT_LIMIT
        assert (stored.chat_id, stored.status, stored.entry_id) == (BIG_CHAT, "none", None)
        assert stored.score == pytest.approx(0.12)
        assert len(session.exec(select(QuestionLog)).all()) == 2


def test_record_feedback_latest_vote_wins(engine):
    in_session(engine, record_feedback, 1, "vneid-dang-ky", 1)
    in_session(engine, record_feedback, 1, "vneid-dang-ky", -1)
    in_session(engine, record_feedback, 2, "vneid-dang-ky", 1)
    in_session(engine, record_feedback, 1, "thue-online", 1)
    with session_scope(engine) as session:
        votes = {(f.chat_id, f.entry_id): f.vote for f in session.exec(select(Feedback))}
    assert votes == {(1, "vneid-dang-ky"): -1, (2, "vneid-dang-ky"): 1, (1, "thue-online"): 1}
    with pytest.raises(ValueError):
        in_session(engine, record_feedback, 1, "thue-online", 0)


def test_delete_user_data_erases_one_user_only(engine):
    for chat_id in (BIG_CHAT, 2):
        in_session(engine, touch_user, chat_id, "Dũng")
        in_session(engine, subscribe_defaults, chat_id)
        in_session(engine, log_question, chat_id, "hộ chiếu online", "none", None, 0.0)
        in_session(engine, record_feedback, chat_id, "ho-chieu", -1)
    with session_scope(engine) as session:
        done, waiting = Campaign(topic="events", text="a"), Campaign(topic="events", text="b")
        session.add_all([done, waiting])
        session.flush()
        session.add_all(
            [
                Delivery(campaign_id=done.id, chat_id=BIG_CHAT, status=DeliveryStatus.SENT),
                Delivery(campaign_id=waiting.id, chat_id=BIG_CHAT),
                Delivery(campaign_id=waiting.id, chat_id=2),
            ]
        )

    counts = in_session(engine, delete_user_data, BIG_CHAT)

    assert counts == {
        "user": 1,
        "subscription": 2,
        "questionlog": 1,
        "feedback": 1,
        "delivery": 1,
        "ticketmessage": 0,
        "ticket": 0,
    }
    assert get_user(engine, BIG_CHAT) is None
    assert in_session(engine, topics_of, BIG_CHAT) == set()
    with session_scope(engine) as session:
        assert {q.chat_id for q in session.exec(select(QuestionLog))} == {2}
        assert {f.chat_id for f in session.exec(select(Feedback))} == {2}
        assert {s.chat_id for s in session.exec(select(Subscription))} == {2}
        left = {(d.chat_id, d.status) for d in session.exec(select(Delivery))}
    assert left == {(BIG_CHAT, "sent"), (2, "pending")}
    assert get_user(engine, 2) is not None
    assert in_session(engine, delete_user_data, BIG_CHAT) == dict.fromkeys(counts, 0)
