"""Audit rows and handled marks on SQLite and PostgreSQL, with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlmodel import Session, select

from bot.db import session_scope
from bot.models import FaqChange, TaughtQuestion
from bot.storage.faq_changes import (
    Actor,
    QuestionAlreadyHandled,
    change_detail,
    claim_question,
    handled_keys,
    handled_mark,
    link_change,
    list_changes,
    record_change,
)

NOW = datetime(2025, 3, 10, 1, 0, tzinfo=UTC)
ADMIN = Actor(name="Nguyễn Văn Quản Trị", id=9_000_000_001)  # beyond 32 bits


def test_audit_rows_keep_who_when_what_and_list_newest_first(engine):
    with session_scope(engine) as session:
        first = record_change(
            session,
            actor=ADMIN,
            action="add_variant",
            now=NOW,
            entry_id="dvc-dang-ky",
            file="01-dich-vu-cong.yaml",
            question="mở tk dvc",
            detail={"variant": "mở tk dvc", "count": 3},
        )
        assert first.id is not None  # flushed
        record_change(
            session,
            actor=Actor.cli("root"),
            action="skip",
            # an aware time in Hà Nội is stored as naive UTC
            now=datetime(2025, 3, 10, 9, 30, tzinfo=timezone(timedelta(hours=7))),
            question="bóng đá",
        )
        record_change(
            session,
            actor=ADMIN,
            action="update_entry",
            now=NOW + timedelta(hours=1),
            entry_id="dvc-dang-ky",
        )
    with session_scope(engine) as session:
        changes = list_changes(session)
        # 02:30 UTC (the Hà Nội skip), 02:00, 01:00
        assert [c.action for c in changes] == ["skip", "update_entry", "add_variant"]
        add = changes[-1]
        assert (add.actor_id, add.actor_name, add.source) == (
            9_000_000_001,
            "Nguyễn Văn Quản Trị",
            "telegram",
        )
        assert add.created_at == datetime(2025, 3, 10, 1, 0)
        assert change_detail(add) == {"count": 3, "variant": "mở tk dvc"}
        assert '"mở tk dvc"' in add.detail  # readable JSON, not \\u escapes
        assert changes[0].created_at == datetime(2025, 3, 10, 2, 30)
        assert (changes[0].actor_id, changes[0].source) == (None, "cli")
        assert [c.action for c in list_changes(session, entry_id="dvc-dang-ky")] == [
            "update_entry",
            "add_variant",
        ]
        assert [c.action for c in list_changes(session, limit=1)] == ["skip"]
        assert len(list_changes(session, since=NOW + timedelta(minutes=1))) == 2


def test_the_caller_owns_the_transaction(engine):
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        record_change(session, actor=ADMIN, action="skip", now=NOW)
        raise RuntimeError("the Telegram reply failed")
    with Session(engine) as session:
        assert session.exec(select(FaqChange)).all() == []


def test_a_question_is_claimed_once_and_a_lost_race_keeps_the_transaction_usable(engine):
    with session_scope(engine) as session:
        mark = claim_question(
            session,
            key="k1",
            kind="unanswered",
            text="gặp cán bộ",
            action="skip",
            actor=ADMIN,
            now=NOW,
        )
        assert mark.id is not None and mark.created_at == datetime(2025, 3, 10, 1, 0)
    with session_scope(engine) as session:
        with pytest.raises(QuestionAlreadyHandled):
            claim_question(
                session,
                key="k1",
                kind="unanswered",
                text="gặp cán bộ",
                action="variant",
                actor=ADMIN,
                now=NOW,
            )
        # the session goes on: the loser can still record what happened
        change = record_change(session, actor=ADMIN, action="skip", now=NOW)
        claim_question(
            session,
            key="k2",
            kind="downvoted",
            text="x",
            action="skip",
            actor=ADMIN,
            now=NOW,
            answered_entry_id="dvc-dang-ky",
        )
        link_change(session, handled_mark(session, "k2"), change)
    with session_scope(engine) as session:
        assert handled_keys(session, ["k1", "k2", "k3"]) == {"k1", "k2"}
        assert handled_keys(session, []) == set()
        marks = {m.key: m for m in session.exec(select(TaughtQuestion))}
        assert marks["k1"].action == "skip"  # the first claim stands
        assert marks["k2"].change_id == change.id and marks["k2"].answered_entry_id == "dvc-dang-ky"
        assert len(session.exec(select(FaqChange)).all()) == 1


def test_handled_keys_in_bulk(engine):
    keys = [f"key-{n}" for n in range(1200)]
    with session_scope(engine) as session:
        for key in keys[::3]:
            claim_question(
                session, key=key, kind="unanswered", text=key, action="skip", actor=ADMIN, now=NOW
            )
    with session_scope(engine) as session:
        assert handled_keys(session, keys) == set(keys[::3])
