"""Admin insight: how well the FAQ answers, what people ask that it cannot, how they vote."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz, process
from sqlmodel import Session

from bot.clock import naive_utc, to_local, utc_now
from bot.knowledge.normalize import fold_text
from bot.storage import questions

DEFAULT_TZ = "Asia/Ho_Chi_Minh"
SIMILARITY_CUTOFF = 80  # rapidfuzz token_set_ratio, 0..100
EXAMPLES_PER_GROUP = 3
TOP_UNANSWERED = 5


@dataclass
class UnansweredGroup:
    """Similar unanswered questions: the most frequent wording, how often, a few variants."""

    representative: str
    count: int
    examples: list[str]  # distinct wordings, most frequent first (the representative first)
    last_asked: datetime  # naive UTC


@dataclass(frozen=True)
class EntryFeedback:
    entry_id: str
    ups: int
    downs: int


@dataclass
class Stats:
    """Question statistics; the week is the last 7 local calendar days, today included."""

    today: int
    week: int
    answered_pct: float
    suggest_pct: float
    none_pct: float
    top_unanswered: list[UnansweredGroup] = field(default_factory=list)
    feedback: list[EntryFeedback] = field(default_factory=list)  # most downvoted first


def _local_midnight(moment: datetime, zone: ZoneInfo, days_back: int = 0) -> datetime:
    """Naive UTC instant of local midnight `days_back` days before the local day of `moment`."""
    local_day = to_local(moment, zone).date() - timedelta(days=days_back)
    return naive_utc(datetime.combine(local_day, time(0), tzinfo=zone))


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def question_stats(
    session: Session, now: datetime | None = None, tz: str | ZoneInfo = DEFAULT_TZ
) -> Stats:
    """Counts for today and the week, answer rates, top unanswered questions and feedback."""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    end = naive_utc(now or utc_now())
    today_start = _local_midnight(end, zone)
    week_start = _local_midnight(end, zone, days_back=6)
    by_status = questions.count_by_status(session, since=week_start, until=end)
    week = sum(by_status.values())
    return Stats(
        today=questions.count_between(session, since=today_start, until=end),
        week=week,
        answered_pct=_percent(by_status.get("answer", 0), week),
        suggest_pct=_percent(by_status.get("suggest", 0), week),
        none_pct=_percent(by_status.get("none", 0), week),
        top_unanswered=unanswered_report(session, since=week_start, until=end)[:TOP_UNANSWERED],
        feedback=[EntryFeedback(*row) for row in questions.feedback_by_entry(session)],
    )


def unanswered_report(
    session: Session, since: datetime | None = None, until: datetime | None = None
) -> list[UnansweredGroup]:
    """Questions the bot could not answer, similar ones grouped, most frequent group first."""
    rows = questions.unanswered(
        session,
        since=naive_utc(since) if since is not None else None,
        until=naive_utc(until) if until is not None else None,
    )

    # Identical folded texts first (most questions repeat), so rapidfuzz compares each wording once.
    wordings: dict[str, Counter[str]] = {}
    last_asked: dict[str, datetime] = {}
    for text, created_at in rows:
        folded = fold_text(text)
        wordings.setdefault(folded, Counter())[" ".join(text.split())] += 1
        last_asked[folded] = max(created_at, last_asked.get(folded, created_at))

    # Greedy clustering: the most asked wordings seed the groups, the rest join the closest seed.
    seeds: list[str] = []
    members: list[list[str]] = []
    by_frequency = sorted(
        wordings, key=lambda f: (wordings[f].total(), last_asked[f]), reverse=True
    )
    for folded in by_frequency:
        best = process.extractOne(
            folded, seeds, scorer=fuzz.token_set_ratio, score_cutoff=SIMILARITY_CUTOFF
        )
        if best is None:
            seeds.append(folded)
            members.append([folded])
        else:
            members[best[2]].append(folded)

    groups = []
    for group in members:
        texts = sum((wordings[folded] for folded in group), Counter())
        examples = [text for text, _ in texts.most_common(EXAMPLES_PER_GROUP)]
        groups.append(
            UnansweredGroup(
                representative=examples[0],
                count=texts.total(),
                examples=examples,
                last_asked=max(last_asked[folded] for folded in group),
            )
        )
    groups.sort(key=lambda g: (g.count, g.last_asked), reverse=True)
    return groups
