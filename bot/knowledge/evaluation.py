"""Accuracy of the matcher on labelled cases (`expected_id<TAB>query`, `-` = out of scope)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.knowledge.matcher import Matcher, MatchResult, MatchStatus

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
    def correct(self) -> bool:
        """Right answer, right suggestion, or none/smalltalk for an out-of-scope question."""
        status = self.result.status
        if not self.in_scope:
            return status in (MatchStatus.NONE, MatchStatus.SMALLTALK)
        if status is MatchStatus.ANSWER:
            return self.result.entry_id == self.case.expected
        if status is MatchStatus.SUGGEST:
            return any(c.id == self.case.expected for c in self.result.candidates)
        return False

    @property
    def confidently_wrong(self) -> bool:
        status = self.result.status
        if self.in_scope:
            return status is MatchStatus.ANSWER and self.result.entry_id != self.case.expected
        return status is MatchStatus.ANSWER

    @property
    def top1(self) -> bool:
        candidates = self.result.candidates
        return self.in_scope and bool(candidates) and candidates[0].id == self.case.expected


@dataclass
class EvaluationReport:
    outcomes: list[CaseOutcome] = field(default_factory=list)

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
        return self._ratio(sum(o.correct for o in self.outcomes), len(self.outcomes))

    @property
    def accuracy_at_1(self) -> float:
        return self._ratio(sum(o.top1 for o in self.in_scope), len(self.in_scope))

    @property
    def answered_correctly(self) -> float:
        hits = sum(
            o.result.status is MatchStatus.ANSWER and o.result.entry_id == o.case.expected
            for o in self.in_scope
        )
        return self._ratio(hits, len(self.in_scope))

    @property
    def confidently_wrong(self) -> float:
        """Share of in-scope questions answered with the wrong entry."""
        return self._ratio(sum(o.confidently_wrong for o in self.in_scope), len(self.in_scope))

    @property
    def out_of_scope_rejected(self) -> float:
        return self._ratio(sum(o.correct for o in self.out_of_scope), len(self.out_of_scope))

    @property
    def answered_or_suggested(self) -> float:
        return self._ratio(sum(o.correct for o in self.in_scope), len(self.in_scope))

    def summary(self) -> dict[str, float | int]:
        return {
            "cases": len(self.outcomes),
            "in_scope": len(self.in_scope),
            "out_of_scope": len(self.out_of_scope),
            "overall": round(self.overall, 4),
            "accuracy_at_1": round(self.accuracy_at_1, 4),
            "answered_correctly": round(self.answered_correctly, 4),
            "confidently_wrong": round(self.confidently_wrong, 4),
            "out_of_scope_rejected": round(self.out_of_scope_rejected, 4),
            "answered_or_suggested": round(self.answered_or_suggested, 4),
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
            raise CasesFormatError(f"{path}:{number}: cần dạng 'mã_mục<TAB>câu hỏi'")
        cases.append(LabelledCase(expected.strip(), query.strip(), number))
    return cases


def unknown_ids(cases: list[LabelledCase], matcher: Matcher) -> list[LabelledCase]:
    return [
        c for c in cases if c.expected != OUT_OF_SCOPE and c.expected not in matcher.book.entries
    ]


def evaluate(matcher: Matcher, cases: list[LabelledCase]) -> EvaluationReport:
    return EvaluationReport([CaseOutcome(case, matcher.match(case.query)) for case in cases])
