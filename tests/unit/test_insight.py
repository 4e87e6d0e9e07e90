"""Admin insight on crafted rows with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.db import in_session, session_scope
from bot.insight import EntryFeedback, question_stats, unanswered_report
from bot.knowledge.normalize import fold_text
from bot.models import QuestionLog
from bot.storage.citizens import record_feedback

# Outcomes depend on the time of day: .ci/run also runs these under faketime.
pytestmark = pytest.mark.clock_sensitive

# 08:00 on 10 March in Hà Nội; the local day began at 2025-03-09 17:00 UTC.
NOW = datetime(2025, 3, 10, 1, 0, tzinfo=UTC)
ID_CARD = "Làm căn cước công dân ở đâu?"


def add_questions(engine, *rows: tuple[str, str, datetime]) -> None:
    """Insert (text, status, naive UTC time) rows."""
    with session_scope(engine) as session:
        session.add_all(
            QuestionLog(chat_id=1, text=text, status=status, created_at=created_at)
            for text, status, created_at in rows
        )


def utc(*args: int) -> datetime:
    return datetime(*args)


@pytest.fixture
def crafted(engine):
    add_questions(
        engine,
        ("đổi GPLX", "answer", utc(2025, 3, 9, 17, 30)),  # 00:30 today in Hà Nội
        (ID_CARD, "none", utc(2025, 3, 10, 0, 59)),  # today
        ("nộp thuế", "suggest", utc(2025, 3, 9, 16, 30)),  # 23:30 yesterday in Hà Nội
        ("hộ chiếu", "answer", utc(2025, 3, 8, 9, 0)),
        ("hộ chiếu online", "answer", utc(2025, 3, 8, 9, 5)),
        ("lam can cuoc cong dan o dau", "none", utc(2025, 3, 3, 17, 30)),  # 4 March, first day
        ("đóng học phí online", "none", utc(2025, 3, 3, 16, 30)),  # 3 March: before the week
        ("câu hỏi của tương lai", "none", utc(2025, 3, 10, 2, 0)),  # after `now`
    )
    for chat_id, entry_id, vote in [
        (1, "a", 1),
        (2, "a", 1),
        (3, "a", -1),
        (1, "b", -1),
        (2, "b", -1),
        (3, "b", -1),
        (1, "c", 1),
    ]:
        in_session(engine, record_feedback, chat_id, entry_id, vote)
    return engine


def test_question_stats_in_hanoi_time(crafted):
    stats = in_session(crafted, question_stats, now=NOW)
    assert (stats.today, stats.week) == (2, 6)
    assert (stats.answered_pct, stats.suggest_pct, stats.none_pct) == (50.0, 16.7, 33.3)
    assert [(g.count, g.last_asked) for g in stats.top_unanswered] == [(2, utc(2025, 3, 10, 0, 59))]
    assert stats.feedback == [
        EntryFeedback("b", 0, 3),
        EntryFeedback("a", 2, 1),
        EntryFeedback("c", 1, 0),
    ]


def test_question_stats_follow_the_timezone(crafted):
    stats = in_session(crafted, question_stats, now=NOW, tz="UTC")
    assert (stats.today, stats.week) == (1, 5)
    naive_now = in_session(crafted, question_stats, now=NOW.replace(tzinfo=None))  # naive means UTC
    assert (naive_now.today, naive_now.week) == (2, 6)


def test_question_stats_on_an_empty_database(engine):
    stats = in_session(engine, question_stats, now=NOW)
    assert (stats.today, stats.week, stats.answered_pct, stats.none_pct) == (0, 0, 0.0, 0.0)
    assert stats.top_unanswered == [] and stats.feedback == []


def test_unanswered_variants_land_in_one_group(engine):
    start = utc(2025, 3, 1, 8, 0)
    wordings = [
        (ID_CARD, 3),
        ("lam can cuoc cong dan o dau", 2),
        ("LÀM CĂN CƯỚC CÔNG DÂN Ở ĐÂU", 1),
        ("Làm căn cước công dân ở đâu vậy ạ", 1),
        ("Đóng thuế đất online thế nào?", 1),
        ("dong thue dat online the nao", 1),
    ]
    rows = [
        (text, "none", start + timedelta(minutes=len(wordings) * n + i))
        for i, (text, times) in enumerate(wordings)
        for n in range(times)
    ]
    add_questions(engine, *rows, (ID_CARD, "answer", start + timedelta(days=1)))

    groups = in_session(engine, unanswered_report, since=None)

    assert [g.count for g in groups] == [7, 2]
    id_card, tax = groups
    assert id_card.representative == ID_CARD
    assert id_card.examples == [ID_CARD, "lam can cuoc cong dan o dau", id_card.examples[2]]
    assert len(set(id_card.examples)) == 3
    assert id_card.last_asked == max(t for text, _, t in rows if "cuoc" in fold_text(text))
    assert set(tax.examples) == {"Đóng thuế đất online thế nào?", "dong thue dat online the nao"}


def test_unanswered_report_window(engine):
    add_questions(
        engine,
        ("cũ", "none", utc(2025, 1, 1)),
        ("mới", "none", utc(2025, 3, 9)),
        ("tương lai", "none", utc(2025, 3, 11)),
    )
    assert [
        g.representative for g in in_session(engine, unanswered_report, since=utc(2025, 3, 1))
    ] == [
        "tương lai",
        "mới",
    ]
    window = in_session(
        engine, unanswered_report, since=datetime(2025, 3, 1, tzinfo=UTC), until=NOW
    )
    assert [g.representative for g in window] == ["mới"]


def test_unanswered_report_handles_thousands_of_rows(engine):
    services = ["hộ chiếu", "căn cước", "giấy phép lái xe", "đăng ký kết hôn", "thuế đất"]
    places = ["Hà Nội", "Huế", "Cần Thơ"]
    add_questions(
        engine,
        *(
            (f"thủ tục {services[i % 5]} ở {places[i % 3]} lần {i}", "none", utc(2025, 3, 9))
            for i in range(3000)
        ),
    )
    groups = in_session(engine, unanswered_report, since=None)
    assert sum(g.count for g in groups) == 3000
    assert all(len(g.examples) <= 3 for g in groups)
