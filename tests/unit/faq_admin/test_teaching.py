"""The /hoc domain on SQLite and PostgreSQL: queue order, the three actions, audit and marks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.db import session_scope
from bot.faq_admin import teaching_queue
from bot.faq_admin.edit_outcomes import FaqValidationError
from bot.faq_admin.teaching import TeachAction, teach_new_entry, teach_skip, teach_variant
from bot.faq_admin.teaching_queue import (
    EntryChoice,
    TeachKind,
    find_question,
    likely_entries,
    next_question,
    pending_questions,
)
from bot.faq_admin.yaml_editor import add_variant
from bot.knowledge.faq_files import load_faq_strict
from bot.knowledge.match_types import MatchStatus
from bot.knowledge.matcher import Matcher
from bot.models import FaqChange, Feedback, QuestionLog, TaughtQuestion
from bot.storage.faq_changes import Actor, QuestionAlreadyHandled, change_detail

from .helpers import git_diff, snapshot

NOW = datetime(2025, 3, 10, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội
ADMIN = Actor(name="Chị Quản Trị", id=900)
OFFICIAL = Actor(name="Anh Cán Bộ", id=800)
MEET = "tôi muốn gặp cán bộ xã"
POWER = "đèn đường trước nhà tôi hỏng cả tuần nay"


def at(minutes: int) -> datetime:
    """Naive UTC, `minutes` before NOW."""
    return (NOW - timedelta(minutes=minutes)).replace(tzinfo=None)


@pytest.fixture
def faq(real_faq) -> tuple[Path, Path]:
    return real_faq


@pytest.fixture
def asked(engine):
    """Three wordings of MEET (4 times), two of POWER (3 times), two 👎 on an answer, noise."""
    with session_scope(engine) as session:
        rows = [
            (1, MEET, "none", None, at(50)),
            (2, MEET, "none", None, at(40)),
            (3, "Tôi muốn gặp cán bộ xã!", "none", None, at(30)),
            (4, "toi muon gap can bo xa a", "none", None, at(20)),
            (5, POWER, "none", None, at(15)),
            (5, POWER, "none", None, at(12)),
            (6, "den duong truoc nha toi hong ca tuan nay roi", "none", None, at(10)),
            (7, "quên mk vneid", "answer", "vneid-quen-mat-khau", at(9)),
            (8, "quên mk vneid", "answer", "vneid-quen-mat-khau", at(8)),
            (9, "đổi gplx", "answer", "dvc-doi-gplx", at(7)),
            (1, "câu hỏi của tương lai", "none", None, at(-60)),  # after NOW: not counted
        ]
        session.add_all(
            QuestionLog(chat_id=chat, text=text, status=status, entry_id=entry, created_at=moment)
            for chat, text, status, entry, moment in rows
        )
        session.add_all(
            [
                Feedback(chat_id=7, entry_id="vneid-quen-mat-khau", vote=-1, created_at=at(5)),
                Feedback(chat_id=8, entry_id="vneid-quen-mat-khau", vote=-1, created_at=at(4)),
                Feedback(chat_id=9, entry_id="dvc-doi-gplx", vote=1, created_at=at(3)),
            ]
        )
    return engine


def matcher_of(directory: Path) -> Matcher:
    return Matcher(load_faq_strict(directory))


def queue(engine, matcher, **options):
    with Session(engine) as session:
        return pending_questions(session, matcher, now=NOW, **options)


def test_queue_unanswered_grouped_most_frequent_first_then_downvoted(asked, faq):
    _, directory = faq
    matcher = matcher_of(directory)
    items = queue(asked, matcher)
    assert [(i.kind, i.text, i.count) for i in items] == [
        (TeachKind.UNANSWERED, MEET, 4),
        (TeachKind.UNANSWERED, POWER, 3),
        (TeachKind.DOWNVOTED, "quên mk vneid", 2),
    ]
    meet, _, downvoted = items
    assert meet.examples[0] == MEET and len(meet.examples) == 3
    assert meet.last_asked == at(20)
    assert len(meet.candidates) == teaching_queue.CANDIDATE_COUNT
    assert all(c.question == matcher.book.entries[c.entry_id].question for c in meet.candidates)
    assert downvoted.answered_entry_id == "vneid-quen-mat-khau"
    assert "vneid-quen-mat-khau" not in [c.entry_id for c in downvoted.candidates]
    assert len({i.key for i in items}) == 3 and all(len(i.key) == 16 for i in items)
    # the clock decides what counts: an hour earlier only the first question had been asked
    with Session(asked) as session:
        early = pending_questions(session, matcher, now=NOW - timedelta(minutes=45))
    assert [(i.text, i.count) for i in early] == [(MEET, 1)]
    assert [
        (i.text, i.count) for i in queue(asked, matcher, since=NOW - timedelta(minutes=12))
    ] == [
        ("den duong truoc nha toi hong ca tuan nay roi", 2),  # a tie goes to the latest wording
        ("quên mk vneid", 2),
    ]


def test_teach_variant_writes_one_line_an_audit_row_and_the_mark(asked, faq):
    before, directory = faq
    matcher = matcher_of(directory)
    with session_scope(asked) as session:
        item = next_question(session, matcher, now=NOW)
        assert item.text == MEET
        target = item.candidates[0]
        outcome = teach_variant(session, directory, item, target.entry_id, actor=ADMIN, now=NOW)
    assert outcome.action is TeachAction.VARIANT and outcome.answers_now is True
    assert outcome.file == load_faq_strict(before).entries[target.entry_id].source_file
    assert git_diff(before, directory) == ([], [f"      - {MEET}"])
    # the FAQ now answers the question with that entry
    result = matcher_of(directory).match(MEET)
    assert (result.status, result.entry_id) == (MatchStatus.ANSWER, target.entry_id)
    with Session(asked) as session:
        change = session.exec(select(FaqChange)).one()
        assert (change.actor_id, change.actor_name, change.source) == (
            900,
            "Chị Quản Trị",
            "telegram",
        )
        assert (change.action, change.entry_id, change.file) == (
            "add_variant",
            target.entry_id,
            outcome.file,
        )
        assert change.created_at == NOW.replace(tzinfo=None) and change.question == MEET
        assert change_detail(change)["variant"] == MEET and change_detail(change)["count"] == 4
        mark = session.exec(select(TaughtQuestion)).one()
        assert (mark.key, mark.action, mark.entry_id, mark.change_id) == (
            item.key,
            "variant",
            target.entry_id,
            change.id,
        )
        # not offered again, whichever matcher
        assert next_question(session, matcher, now=NOW).text == POWER
        assert find_question(session, matcher, item.key, now=NOW) is None


def test_teach_new_entry_from_an_officials_plain_reply(asked, faq):
    before, directory = faq
    matcher = matcher_of(directory)
    number = max(int(p.name[:2]) for p in directory.glob("[0-9][0-9]-*.yaml")) + 1
    with session_scope(asked) as session:
        item = pending_questions(
            session, matcher, now=NOW, answer_for=lambda i: "Gọi 19001006 & <chờ>"
        )[1]
        assert item.text == POWER and item.suggested_answer == "Gọi 19001006 & <chờ>"
        outcome = teach_new_entry(
            session,
            directory,
            item,
            category="Điện nước",
            answer=item.suggested_answer,
            answer_is_html=False,
            actor=OFFICIAL,
            now=NOW,
        )
    assert (outcome.entry_id, outcome.file) == (
        "den-duong-truoc-nha-hong-ca-tuan-nay",
        f"{number:02d}-dien-nuoc.yaml",  # a new category gets the next numbered file
    )
    assert outcome.answers_now is True
    entry = load_faq_strict(directory).entries["den-duong-truoc-nha-hong-ca-tuan-nay"]
    assert (entry.question, entry.category) == (POWER, "Điện nước")
    assert entry.answer == "Gọi 19001006 &amp; &lt;chờ&gt;"
    assert snapshot(before).items() <= snapshot(directory).items()  # other files untouched
    with Session(asked) as session:
        change = session.exec(select(FaqChange)).one()
        assert (change.action, change.entry_id, change.file) == (
            "add_entry",
            outcome.entry_id,
            outcome.file,
        )
        assert change_detail(change)["category"] == "Điện nước"


def test_teach_skip_hides_the_question_and_leaves_the_faq(asked, faq):
    before, directory = faq
    matcher = matcher_of(directory)
    with session_scope(asked) as session:
        item = next_question(session, matcher, now=NOW)
        outcome = teach_skip(session, item, actor=ADMIN, now=NOW)
    assert not outcome.edit.changed and outcome.entry_id is None
    assert snapshot(directory) == snapshot(before)
    assert [i.text for i in queue(asked, matcher)] == [POWER, "quên mk vneid"]
    with Session(asked) as session:
        change = session.exec(select(FaqChange)).one()
        assert (change.action, change.question, change.entry_id) == ("skip", MEET, None)


def test_a_failed_edit_records_nothing_and_the_question_stays(asked, faq):
    before, directory = faq
    matcher = matcher_of(directory)
    with pytest.raises(FaqValidationError), session_scope(asked) as session:
        item = next_question(session, matcher, now=NOW)
        teach_new_entry(
            session,
            directory,
            item,
            category="Khác",
            answer="<b>chưa đóng thẻ",
            actor=ADMIN,
            now=NOW,
        )
    assert snapshot(directory) == snapshot(before)
    with Session(asked) as session:
        assert session.exec(select(FaqChange)).all() == []
        assert session.exec(select(TaughtQuestion)).all() == []
    assert queue(asked, matcher)[0].text == MEET


def test_the_second_admin_gets_already_handled_and_writes_nothing(asked, faq):
    before, directory = faq
    matcher = matcher_of(directory)
    with Session(asked) as session:
        item = next_question(session, matcher, now=NOW)
    with session_scope(asked) as session:
        teach_skip(session, item, actor=ADMIN, now=NOW)
    with pytest.raises(QuestionAlreadyHandled), session_scope(asked) as session:
        teach_variant(
            session, directory, item, item.candidates[0].entry_id, actor=OFFICIAL, now=NOW
        )
    assert snapshot(directory) == snapshot(before)


def test_find_question_by_key_and_questions_taught_by_hand_drop_out(asked, faq):
    _, directory = faq
    matcher = matcher_of(directory)
    with Session(asked) as session:
        items = pending_questions(session, matcher, now=NOW)
        found = find_question(session, matcher, items[1].key, now=NOW)
        assert found == items[1]
        assert find_question(session, matcher, "0" * 16, now=NOW) is None
    add_variant(directory, "dvc-ho-so-bo-sung", MEET)  # a content engineer got there first
    assert [i.text for i in queue(asked, matcher_of(directory))] == [POWER, "quên mk vneid"]
    assert len(queue(asked, matcher_of(directory), hide_answered=False)) == 3


def test_likely_entries_always_offers_choices_and_labels_fit_a_button(faq):
    _, directory = faq
    matcher = matcher_of(directory)
    choices = likely_entries(matcher, "xyzzy qwerty")  # no word the FAQ knows
    assert len(choices) == 3 and len({c.entry_id for c in choices}) == 3
    assert all(c.score == 0.0 for c in choices)
    scored = likely_entries(matcher, MEET, limit=2, exclude=["ld-ho-tro-vneid"])
    assert len(scored) == 2 and "ld-ho-tro-vneid" not in [c.entry_id for c in scored]
    assert scored[0].score > 0
    long = EntryChoice("x", "Một câu hỏi rất dài " * 10, 0.5)
    assert long.label().startswith("➕ Một câu hỏi") and long.label().endswith("…")
    assert len(long.label()) == teaching_queue.LABEL_LENGTH
    assert EntryChoice("y", "Ngắn?", 0.1).label() == "➕ Ngắn?"


def test_describe_item_in_local_time(asked, faq):
    _, directory = faq
    matcher = matcher_of(directory)
    meet, _, downvoted = queue(asked, matcher)
    lines = teaching_queue.describe_item(meet, matcher, "Asia/Ho_Chi_Minh")
    assert lines[0] == f"❓ «{MEET}»"
    assert lines[1] == "Bot chưa trả lời được · 4 lần · gần nhất 10/03/2025 07:40"
    down = teaching_queue.describe_item(downvoted, matcher, "UTC")
    assert down[1] == "Câu trả lời bị 👎 · 2 lần · gần nhất 10/03/2025 00:56"
    assert down[2].startswith("Bot đã trả lời bằng: Quên mật khẩu")
