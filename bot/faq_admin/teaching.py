"""The /hoc queue: teaching what citizens asked that the FAQ could not answer well.

The queue (bot/faq_admin/teaching_queue.py) holds the unanswered and 👎 questions. For each the
admin sees the entries it likely belongs to and does one of three things:
- `teach_variant`: add the citizen's wording as a variant of an entry;
- `teach_new_entry`: make it the question of a new entry (the answer typed by the admin, or an
  official's reply to a ticket);
- `teach_skip`: leave it.
Each writes an audit row and marks the question handled, so it is not offered again. The
Telegram /hoc command and `dcbot faq learn` are two faces of these functions.

Database functions take a SQLModel `Session` and flush; the caller commits (or rolls back: an
edit that fails raises before anything is recorded). A YAML file is written before the commit,
so a commit that fails after a successful edit leaves the edit without its audit row.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from sqlmodel import Session

from bot.faq_admin.edit_outcomes import EditResult
from bot.faq_admin.entry_fields import clean_line
from bot.faq_admin.teaching_queue import TeachItem
from bot.faq_admin.yaml_editor import open_workspace
from bot.knowledge.faq_files import load_faq_dir
from bot.knowledge.match_types import MatchStatus
from bot.knowledge.matcher import Matcher
from bot.models import FaqChange, TaughtQuestion
from bot.storage.faq_changes import Actor, claim_question, link_change, record_change
from bot.texts import teaching as texts

NEW_ENTRY_LABEL = texts.NEW_ENTRY_LABEL
SKIP_LABEL = texts.SKIP_LABEL


class TeachAction(StrEnum):
    VARIANT = "variant"
    NEW_ENTRY = "new_entry"
    SKIP = "skip"


@dataclass(frozen=True)
class TeachOutcome:
    item: TeachItem
    action: TeachAction
    entry_id: str | None  # the entry taught (None for a skip)
    file: str | None
    edit: EditResult  # files written (empty for a skip, or a variant that was there already)
    change: FaqChange  # the audit row
    mark: TaughtQuestion  # the handled mark
    answers_now: bool | None = None  # does the edited FAQ answer `item.text` with the entry?


def answers_with(faq_dir: Path | str, text: str, entry_id: str) -> bool:
    """Whether the FAQ in `faq_dir`, loaded afresh, answers `text` with `entry_id`."""
    book, _ = load_faq_dir(faq_dir)
    result = Matcher(book).match(text)
    return result.status is MatchStatus.ANSWER and result.entry_id == entry_id


def _claim(session: Session, item: TeachItem, action: TeachAction, actor: Actor, now: datetime):
    return claim_question(
        session,
        key=item.key,
        kind=item.kind.value,
        text=item.text,
        action=action.value,
        actor=actor,
        now=now,
        answered_entry_id=item.answered_entry_id,
    )


def _about(item: TeachItem) -> dict:
    about = {"kind": item.kind.value, "count": item.count, "key": item.key}
    if item.answered_entry_id:
        about["answered_entry_id"] = item.answered_entry_id
    return about


def teach_variant(
    session: Session,
    faq_dir: Path | str,
    item: TeachItem,
    entry_id: str,
    *,
    actor: Actor,
    now: datetime,
    verify: bool = True,
) -> TeachOutcome:
    """Add `item.text` as a variant of `entry_id` (nothing to write if it already is one).

    Raises QuestionAlreadyHandled (nothing written), or a FaqEditError from the editor
    (EntryNotFoundError, FaqValidationError...: nothing written; roll the session back).
    """
    mark = _claim(session, item, TeachAction.VARIANT, actor, now)
    with open_workspace(faq_dir) as workspace:
        added = workspace.add_variant(entry_id, item.text)
        file = workspace.file_of(entry_id)
        edit = workspace.commit()
    change = record_change(
        session,
        actor=actor,
        action="add_variant",
        now=now,
        entry_id=entry_id,
        file=file,
        question=item.text,
        detail={**_about(item), "variant": clean_line(item.text), "already_there": not added},
    )
    mark.entry_id = entry_id
    link_change(session, mark, change)
    answers = answers_with(faq_dir, item.text, entry_id) if verify else None
    return TeachOutcome(item, TeachAction.VARIANT, entry_id, file, edit, change, mark, answers)


def teach_new_entry(
    session: Session,
    faq_dir: Path | str,
    item: TeachItem,
    *,
    category: str,
    answer: str,
    actor: Actor,
    now: datetime,
    question: str | None = None,
    entry_id: str | None = None,
    answer_is_html: bool = True,
    verify: bool = True,
) -> TeachOutcome:
    """A new entry in `category` (a new file for a new category): its question is the
    citizen's wording unless `question` is given, its id suggested unless `entry_id` is.

    `answer` is Telegram HTML; pass `answer_is_html=False` for plain text (an official's
    reply), which is then escaped. Raises like `teach_variant`, plus EntryExistsError.
    """
    mark = _claim(session, item, TeachAction.NEW_ENTRY, actor, now)
    wording = clean_line(question or item.text)
    text = answer.strip() if answer_is_html else html.escape(answer.strip(), quote=False)
    with open_workspace(faq_dir) as workspace:
        entry_id = entry_id or workspace.suggest_id(wording, category)
        file = workspace.add_entry(category, {"id": entry_id, "question": wording, "answer": text})
        edit = workspace.commit()
    change = record_change(
        session,
        actor=actor,
        action="add_entry",
        now=now,
        entry_id=entry_id,
        file=file,
        question=item.text,
        detail={**_about(item), "category": clean_line(category), "question_text": wording},
    )
    mark.entry_id = entry_id
    link_change(session, mark, change)
    answers = answers_with(faq_dir, item.text, entry_id) if verify else None
    return TeachOutcome(item, TeachAction.NEW_ENTRY, entry_id, file, edit, change, mark, answers)


def teach_skip(session: Session, item: TeachItem, *, actor: Actor, now: datetime) -> TeachOutcome:
    """Leave the question: it is not offered again. Raises QuestionAlreadyHandled."""
    mark = _claim(session, item, TeachAction.SKIP, actor, now)
    change = record_change(
        session, actor=actor, action="skip", now=now, question=item.text, detail=_about(item)
    )
    link_change(session, mark, change)
    return TeachOutcome(item, TeachAction.SKIP, None, None, EditResult(), change, mark)
