"""The /hoc queue: what citizens asked that the FAQ could not answer well, and teaching it.

The queue holds, most frequent first, the unanswered questions grouped by similarity (the
`unanswered_report` of bot/insight.py), then the questions whose answer got a 👎. For each the
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

import hashlib
import html
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz, process
from sqlmodel import Session

from bot.faq_admin.yaml_editor import EditResult, clean_line, open_workspace
from bot.insight import unanswered_report
from bot.knowledge.faq_files import load_faq_dir
from bot.knowledge.matcher import Matcher, MatchStatus
from bot.knowledge.normalize import fold_text
from bot.models import FaqChange, TaughtQuestion
from bot.storage import questions
from bot.storage.faq_changes import (
    Actor,
    claim_question,
    handled_keys,
    link_change,
    record_change,
    storage_time,
)
from bot.texts import teaching as texts

ADD_PREFIX = "➕"
NEW_ENTRY_LABEL = texts.NEW_ENTRY_LABEL
SKIP_LABEL = texts.SKIP_LABEL
CANDIDATE_COUNT = 3
LABEL_LENGTH = 60  # a Telegram button shows about this much
KEY_LENGTH = 16  # hex digits of the question key: short enough for callback data


class TeachKind(StrEnum):
    UNANSWERED = "unanswered"  # status none in the question log
    DOWNVOTED = "downvoted"  # answered, then 👎


class TeachAction(StrEnum):
    VARIANT = "variant"
    NEW_ENTRY = "new_entry"
    SKIP = "skip"


@dataclass(frozen=True)
class EntryChoice:
    """An entry the question likely belongs to."""

    entry_id: str
    question: str
    score: float  # the matcher's score; 0.0 for a choice found by spelling similarity alone

    def label(self, max_length: int = LABEL_LENGTH) -> str:
        """Button text: '➕ ' and the entry's question, shortened with '…'."""
        room = max_length - len(ADD_PREFIX) - 1
        question = self.question if len(self.question) <= room else self.question[: room - 1] + "…"
        return f"{ADD_PREFIX} {question}"


@dataclass(frozen=True)
class TeachItem:
    """One question of the queue."""

    key: str  # stable while the question's wording stays the group's most frequent
    kind: TeachKind
    text: str  # the wording to teach (the most frequent one of its group)
    count: int  # how often it (or a similar wording) was asked / downvoted
    examples: tuple[str, ...]  # distinct wordings, most frequent first, `text` first
    last_asked: datetime  # naive UTC
    answered_entry_id: str | None = None  # downvoted: the entry the bot answered with
    candidates: tuple[EntryChoice, ...] = ()
    suggested_answer: str | None = None  # e.g. an official's reply to the citizen's ticket


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


@dataclass
class _Pending:
    kind: TeachKind
    text: str
    count: int
    examples: list[str]
    last_asked: datetime
    answered_entry_id: str | None = None
    key: str = field(default="")


def question_key(kind: TeachKind | str, text: str, answered_entry_id: str | None = None) -> str:
    """The identity of a queued question: kind, answered entry and folded wording."""
    raw = "\x1f".join((str(kind), answered_entry_id or "", fold_text(text)))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:KEY_LENGTH]


def _downvoted(session: Session, since: datetime | None, until: datetime) -> list[_Pending]:
    """Questions answered with an entry the asker then voted 👎, same wording and entry together."""
    groups: dict[tuple[str, str], _Pending] = {}
    wordings: dict[tuple[str, str], Counter[str]] = {}
    for text, entry_id, voted_at in questions.downvoted(session, since=since, until=until):
        group = (entry_id, fold_text(text))
        wording = " ".join(text.split())
        wordings.setdefault(group, Counter())[wording] += 1
        found = groups.get(group)
        if found is None:
            groups[group] = _Pending(TeachKind.DOWNVOTED, wording, 0, [], voted_at, entry_id)
        found = groups[group]
        found.count += 1
        found.last_asked = max(found.last_asked, voted_at)
    for group, pending in groups.items():
        pending.examples = [text for text, _ in wordings[group].most_common(3)]
        pending.text = pending.examples[0]
    return sorted(groups.values(), key=lambda p: (p.count, p.last_asked), reverse=True)


def _queue(
    session: Session,
    matcher: Matcher,
    now: datetime,
    since: datetime | None,
    hide_answered: bool,
) -> list[_Pending]:
    until = storage_time(now)
    start = storage_time(since) if since is not None else None
    queue = [
        _Pending(TeachKind.UNANSWERED, g.representative, g.count, list(g.examples), g.last_asked)
        for g in unanswered_report(session, since=start, until=until)
    ]
    if hide_answered:  # taught by hand meanwhile: nothing left to do
        queue = [p for p in queue if matcher.match(p.text).status is not MatchStatus.ANSWER]
    queue += _downvoted(session, start, until)
    for pending in queue:
        pending.key = question_key(pending.kind, pending.text, pending.answered_entry_id)
    done = handled_keys(session, (p.key for p in queue))
    return [p for p in queue if p.key not in done]


def likely_entries(
    matcher: Matcher, text: str, limit: int = CANDIDATE_COUNT, exclude: Sequence[str] = ()
) -> tuple[EntryChoice, ...]:
    """The entries `text` most likely belongs to: the matcher's candidates, topped up by
    spelling similarity to the entries' phrasings when the matcher finds fewer."""
    book = matcher.book
    _, scored = matcher.score_entries(text)
    chosen = [c for c in scored if c.score > 0 and c.id not in exclude and c.id in book.entries]
    choices = [EntryChoice(c.id, book.entries[c.id].question, c.score) for c in chosen[:limit]]
    folded = fold_text(text)
    if len(choices) < limit and folded:
        taken = {choice.entry_id for choice in choices} | set(exclude)
        phrasings = [
            (fold_text(phrase), entry.id)
            for entry in book.entries.values()
            if entry.id not in taken
            for phrase in entry.phrasings
        ]
        ranked = process.extract(
            folded, [p for p, _ in phrasings], scorer=fuzz.token_set_ratio, limit=len(phrasings)
        )
        for _, _, index in ranked:
            entry_id = phrasings[index][1]
            if entry_id in taken:
                continue
            taken.add(entry_id)
            choices.append(EntryChoice(entry_id, book.entries[entry_id].question, 0.0))
            if len(choices) >= limit:
                break
    return tuple(choices)


def _item(
    pending: _Pending,
    matcher: Matcher,
    candidates: int,
    answer_for: Callable[[TeachItem], str | None] | None,
) -> TeachItem:
    exclude = (pending.answered_entry_id,) if pending.answered_entry_id else ()
    item = TeachItem(
        key=pending.key,
        kind=pending.kind,
        text=pending.text,
        count=pending.count,
        examples=tuple(pending.examples),
        last_asked=pending.last_asked,
        answered_entry_id=pending.answered_entry_id,
        candidates=likely_entries(matcher, pending.text, candidates, exclude),
    )
    if answer_for is not None:
        item = replace(item, suggested_answer=answer_for(item))
    return item


def pending_questions(
    session: Session,
    matcher: Matcher,
    *,
    now: datetime,
    since: datetime | None = None,
    limit: int | None = None,
    candidates: int = CANDIDATE_COUNT,
    hide_answered: bool = True,
    answer_for: Callable[[TeachItem], str | None] | None = None,
) -> list[TeachItem]:
    """The queue in order: unanswered groups (most asked first), then 👎 questions.

    Only questions asked at or before `now` (and at or after `since`) count; handled ones are
    left out, and so are unanswered ones that `matcher` now answers (unless `hide_answered`
    is False). `answer_for(item)` may supply `suggested_answer`.
    """
    queue = _queue(session, matcher, now, since, hide_answered)
    if limit is not None:
        queue = queue[:limit]
    return [_item(p, matcher, candidates, answer_for) for p in queue]


def next_question(
    session: Session,
    matcher: Matcher,
    *,
    now: datetime,
    since: datetime | None = None,
    candidates: int = CANDIDATE_COUNT,
    hide_answered: bool = True,
    answer_for: Callable[[TeachItem], str | None] | None = None,
) -> TeachItem | None:
    """The question to teach next, or None when the queue is empty."""
    found = pending_questions(
        session,
        matcher,
        now=now,
        since=since,
        limit=1,
        candidates=candidates,
        hide_answered=hide_answered,
        answer_for=answer_for,
    )
    return found[0] if found else None


def find_question(
    session: Session,
    matcher: Matcher,
    key: str,
    *,
    now: datetime,
    since: datetime | None = None,
    candidates: int = CANDIDATE_COUNT,
    answer_for: Callable[[TeachItem], str | None] | None = None,
) -> TeachItem | None:
    """The queued question with this key (e.g. from a button), or None if it was handled
    meanwhile or its group's wording changed."""
    for pending in _queue(session, matcher, now, since, hide_answered=False):
        if pending.key == key:
            return _item(pending, matcher, candidates, answer_for)
    return None


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


def describe_item(item: TeachItem, matcher: Matcher, tz: str | ZoneInfo) -> list[str]:
    """Plain-text lines (Vietnamese) presenting a queued question; escape them for HTML."""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    last = storage_time(item.last_asked).replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
    if item.kind is TeachKind.UNANSWERED:
        status = texts.ITEM_UNANSWERED.format(count=item.count)
    else:
        status = texts.ITEM_DISLIKED.format(count=item.count)
    lines = [
        texts.ITEM_QUESTION.format(text=item.text),
        texts.ITEM_LAST_ASKED.format(status=status, last=last),
    ]
    if item.answered_entry_id:
        entry = matcher.book.entries.get(item.answered_entry_id)
        shown = entry.question if entry else item.answered_entry_id
        lines.append(texts.ITEM_ANSWERED_WITH.format(question=shown, entry=item.answered_entry_id))
    lines.extend(f"   ~ {example}" for example in item.examples[1:])
    if item.suggested_answer:
        lines.append(texts.ITEM_OFFICIAL_ANSWER.format(answer=item.suggested_answer))
    return lines
