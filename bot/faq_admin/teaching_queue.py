"""The /hoc queue: what citizens asked that the FAQ could not answer well.

The queue holds, most frequent first, the unanswered questions grouped by similarity (the
`unanswered_report` of bot/insight.py), then the questions whose answer got a 👎, each with the
entries it likely belongs to and without the questions already handled. bot/faq_admin/teaching.py
teaches them.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz, process
from sqlmodel import Session

from bot.insight import unanswered_report
from bot.knowledge.match_types import MatchStatus
from bot.knowledge.matcher import Matcher
from bot.knowledge.normalize import fold_text
from bot.storage import questions
from bot.storage.faq_changes import handled_keys, storage_time
from bot.texts import teaching as texts

ADD_PREFIX = "➕"
CANDIDATE_COUNT = 3
LABEL_LENGTH = 60  # a Telegram button shows about this much
KEY_LENGTH = 16  # hex digits of the question key: short enough for callback data


class TeachKind(StrEnum):
    UNANSWERED = "unanswered"  # status none in the question log
    DOWNVOTED = "downvoted"  # answered, then 👎


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
