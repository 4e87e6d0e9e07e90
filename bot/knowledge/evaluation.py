"""Accuracy of the matcher on labelled cases (`expected_id<TAB>query`, `-` = out of scope)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.knowledge.match_types import MatchResult, MatchStatus
from bot.knowledge.matcher import Matcher
from bot.texts import validation as texts

OUT_OF_SCOPE = "-"


@dataclass(frozen=True)
class LabelledCase:
    expected: str  # an entry id, or "-" for out of scope
    query: str
    line: int


@dataclass(frozen=True)
class CaseOutcome:
    case: LabelledCase
    result: MatchResult

    @property
    def in_scope(self) -> bool:
        return self.case.expected != OUT_OF_SCOPE

    @property
    def answered(self) -> bool:
        return self.result.status is MatchStatus.ANSWER

    @property
    def answered_right(self) -> bool:
        return self.answered and self.result.entry_id == self.case.expected

    @property
    def suggested_right(self) -> bool:
        return self.result.status is MatchStatus.SUGGEST and any(
            c.id == self.case.expected for c in self.result.candidates
        )

    @property
    def correct(self) -> bool:
        """Strict: an in-scope question answered with the right entry, an out-of-scope one not
        answered (a suggestion or "I don't know" both leave it unanswered)."""
        if not self.in_scope:
            return not self.answered
        return self.answered_right

    @property
    def helpful(self) -> bool:
        """In scope and answered right or the right entry among the suggestions."""
        return self.in_scope and (self.answered_right or self.suggested_right)

    @property
    def confidently_wrong(self) -> bool:
        if self.in_scope:
            return self.answered and self.result.entry_id != self.case.expected
        return self.answered

    def rank_of_expected(self) -> int | None:
        for rank, candidate in enumerate(self.result.candidates, start=1):
            if candidate.id == self.case.expected:
                return rank
        if self.answered_right:
            return 1
        return None

    @property
    def top1(self) -> bool:
        """The right entry is ranked first (answered or not)."""
        return self.in_scope and self.rank_of_expected() == 1


@dataclass
class EvaluationReport:
    outcomes: list[CaseOutcome] = field(default_factory=list)
    # rank of the right entry among all candidates, also for "none" (filled by `evaluate`)
    ranks: list[int | None] = field(default_factory=list)

    def _ratio(self, hits: int, total: int) -> float:
        return hits / total if total else 0.0

    @property
    def in_scope(self) -> list[CaseOutcome]:
        return [o for o in self.outcomes if o.in_scope]

    @property
    def out_of_scope(self) -> list[CaseOutcome]:
        return [o for o in self.outcomes if not o.in_scope]

    @property
    def overall(self) -> float:
        """Strict: in scope answered right, out of scope not answered, over all cases."""
        return self._ratio(sum(o.correct for o in self.outcomes), len(self.outcomes))

    @property
    def helpful(self) -> float:
        return self._ratio(sum(o.helpful for o in self.in_scope), len(self.in_scope))

    @property
    def accuracy_at_1(self) -> float:
        """In-scope questions answered with the right entry."""
        return self._ratio(sum(o.answered_right for o in self.in_scope), len(self.in_scope))

    def _in_scope_ranks(self) -> list[int | None]:
        if self.ranks:
            return [r for o, r in zip(self.outcomes, self.ranks, strict=True) if o.in_scope]
        return [o.rank_of_expected() for o in self.in_scope]

    @property
    def rank_at_1(self) -> float:
        """The right entry ranked first, whatever the decision."""
        ranks = self._in_scope_ranks()
        return self._ratio(sum(r == 1 for r in ranks), len(ranks))

    @property
    def recall_at_3(self) -> float:
        ranks = self._in_scope_ranks()
        return self._ratio(sum(r is not None and r <= 3 for r in ranks), len(ranks))

    @property
    def confidently_wrong(self) -> float:
        """Share of in-scope questions answered with the wrong entry."""
        return self._ratio(sum(o.confidently_wrong for o in self.in_scope), len(self.in_scope))

    @property
    def out_of_scope_rejected(self) -> float:
        """Out-of-scope questions not answered (suggestions or "I don't know")."""
        return self._ratio(sum(o.correct for o in self.out_of_scope), len(self.out_of_scope))

    def summary(self) -> dict[str, float | int]:
        return {
            "cases": len(self.outcomes),
            "in_scope": len(self.in_scope),
            "out_of_scope": len(self.out_of_scope),
            "overall": round(self.overall, 4),
            "helpful": round(self.helpful, 4),
            "accuracy_at_1": round(self.accuracy_at_1, 4),
            "rank_at_1": round(self.rank_at_1, 4),
            "recall_at_3": round(self.recall_at_3, 4),
            "confidently_wrong": round(self.confidently_wrong, 4),
            "out_of_scope_rejected": round(self.out_of_scope_rejected, 4),
            # older names, kept for scripts that read them
            "answered_correctly": round(self.accuracy_at_1, 4),
            "answered_or_suggested": round(self.helpful, 4),
        }

    def misses(self) -> list[CaseOutcome]:
        return [o for o in self.outcomes if not o.correct]


class CasesFormatError(ValueError):
    """A labelled-cases file line is malformed."""


def read_cases(path: Path | str) -> list[LabelledCase]:
    """Read `expected_id<TAB>query` lines; blank lines and `#` comments are ignored."""
    cases = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        expected, sep, query = line.partition("\t")
        if not sep or not expected.strip() or not query.strip():
            raise CasesFormatError(texts.CASES_LINE_INVALID.format(path=path, number=number))
        cases.append(LabelledCase(expected.strip(), query.strip(), number))
    return cases


def unknown_ids(cases: list[LabelledCase], matcher: Matcher) -> list[LabelledCase]:
    return [
        c for c in cases if c.expected != OUT_OF_SCOPE and c.expected not in matcher.book.entries
    ]


def evaluate(matcher: Matcher, cases: list[LabelledCase]) -> EvaluationReport:
    outcomes, ranks = [], []
    for case in cases:
        outcomes.append(CaseOutcome(case, matcher.match(case.query)))
        ranks.append(_rank(matcher, case))
    return EvaluationReport(outcomes, ranks)


def _rank(matcher: Matcher, case: LabelledCase) -> int | None:
    """Rank of the expected entry among every candidate (before the decision)."""
    if case.expected == OUT_OF_SCOPE:
        return None
    _, candidates = matcher.score_entries(case.query)
    for rank, candidate in enumerate(candidates, start=1):
        if candidate.id == case.expected:
            return rank
    return None
