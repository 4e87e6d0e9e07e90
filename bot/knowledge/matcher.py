"""Match a citizen's question to FAQ entries: weighted lexical retrieval plus fuzzy re-ranking.

Pipeline: fold and tokenize -> expand abbreviations -> drop filler -> repair typos and glued
words -> score entries on weighted unigram/bigram overlap (IDF, so "vneid" outweighs "lam sao")
-> re-rank the best few with rapidfuzz -> decide answer / suggest / none / smalltalk.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum

from rapidfuzz import fuzz

from bot.knowledge.analyzer import Analyzer
from bot.knowledge.faq_files import FaqBook
from bot.knowledge.normalize import tokenize
from bot.knowledge.smalltalk import SmalltalkKind, detect_smalltalk, split_smalltalk
from bot.telegram_html import html_to_plain

MAX_QUERY_TOKENS = 120
RERANK_DEPTH = 12


class MatchStatus(StrEnum):
    ANSWER = "answer"
    SUGGEST = "suggest"
    NONE = "none"
    SMALLTALK = "smalltalk"


@dataclass(frozen=True)
class Thresholds:
    """Decision thresholds on the final score in [0, 1]; calibrated by `dcbot faq eval`."""

    answer: float = 0.45
    margin: float = 0.12  # top score must beat the runner-up by this much to answer outright
    suggest: float = 0.42
    candidate: float = 0.25  # lowest score shown as a suggestion


@dataclass(frozen=True)
class Weights:
    """How the score is composed; documented in the README."""

    bigram: float = 0.6  # a bigram counts this fraction of its IDF on top of its tokens
    answer_text: float = 0.35  # a query word found only in the answer text counts this much
    repaired: float = 0.6  # a typo-repaired token counts this much
    unknown_token: float = 1.0  # a query word no phrasing has weighs this fraction of the max IDF
    recall_beta: float = 1.5  # F-beta of query coverage vs phrasing precision
    precision_floor: float = 0.5  # if > 0: score = recall * (floor + (1 - floor) * precision)
    fuzzy: float = 0.25  # share of the rapidfuzz re-rank score in the final score


@dataclass(frozen=True)
class Candidate:
    id: str
    score: float


@dataclass(frozen=True)
class MatchResult:
    query: str
    status: MatchStatus
    entry_id: str | None = None
    score: float = 0.0
    candidates: tuple[Candidate, ...] = ()
    smalltalk: SmalltalkKind | None = None

    def as_dict(self) -> dict:
        return {
            "query": self.query,
            "status": self.status.value,
            "id": self.entry_id,
            "score": round(self.score, 4),
            "candidates": [{"id": c.id, "score": round(c.score, 4)} for c in self.candidates],
        }


@dataclass
class _Phrasing:
    entry: int
    units: frozenset[str]
    weight: float  # sum of unit weights
    folded: str


@dataclass
class _QueryUnit:
    unit: str
    weight: float
    factor: float  # 1.0, or less for repaired tokens


@dataclass
class _Index:
    ids: list[str]
    idf: dict[str, float]
    entry_units: list[frozenset[str]]
    postings: dict[str, list[int]]
    answer_postings: dict[str, list[int]]
    phrasings_of: list[list[_Phrasing]] = field(default_factory=list)
    weighted: dict[str, float] = field(default_factory=dict)  # IDF times the bigram factor
    max_idf: float = 1.0


def _units(tokens: list[str]) -> list[str]:
    """Unigrams and adjacent bigrams; Vietnamese words are often two syllables."""
    return tokens + list(map("_".join, zip(tokens, tokens[1:], strict=False)))


class Matcher:
    """An index over one FaqBook, built once; `match` is read-only and thread-safe."""

    def __init__(
        self,
        book: FaqBook,
        thresholds: Thresholds | None = None,
        weights: Weights | None = None,
    ):
        self.book = book
        self.thresholds = thresholds or Thresholds()
        self.weights = weights or Weights()
        self.analyzer = Analyzer(book.synonyms)
        self._index = self._build()

    def _build(self) -> _Index:
        ids = list(self.book.entries)
        phrasing_tokens: list[list[tuple[list[str], frozenset[str]]]] = []
        entry_units: list[frozenset[str]] = []
        answer_units: list[set[str]] = []
        vocabulary: set[str] = set()
        pairs: set[tuple[str, str]] = set()
        for entry in self.book.entries.values():
            token_lists = [self.analyzer.phrasing_tokens(p) for p in entry.phrasings]
            keyword_lists = [self.analyzer.phrasing_tokens(k) for k in entry.keywords]
            unit_lists = [frozenset(_units(tokens)) for tokens in token_lists]
            phrasing_tokens.append(list(zip(token_lists, unit_lists, strict=True)))
            units: set[str] = set().union(*unit_lists)
            for tokens in token_lists + keyword_lists:
                vocabulary.update(tokens)
                pairs.update(zip(tokens, tokens[1:], strict=False))
            for tokens in keyword_lists:
                units.update(_units(tokens))
            entry_units.append(frozenset(units))
            answer_tokens = self.analyzer.phrasing_tokens(html_to_plain(entry.answer))
            answer_units.append(set(_units(answer_tokens)) - units)
            vocabulary.update(answer_tokens)
        self.analyzer.set_vocabulary(vocabulary, pairs)

        n = max(len(ids), 1)
        postings: dict[str, list[int]] = defaultdict(list)
        for number, units in enumerate(entry_units):
            for unit in units:
                postings[unit].append(number)
        idf = {
            unit: math.log(1 + (n - len(numbers) + 0.5) / (len(numbers) + 0.5))
            for unit, numbers in postings.items()
        }
        answer_postings: dict[str, list[int]] = defaultdict(list)
        for number, units in enumerate(answer_units):
            for unit in units:
                answer_postings[unit].append(number)
        index = _Index(
            ids=ids,
            idf=idf,
            entry_units=entry_units,
            postings=dict(postings),
            answer_postings=dict(answer_postings),
            max_idf=math.log(1 + (n - 0.5) / 1.5) if n > 1 else 1.0,
        )
        bigram = self.weights.bigram
        index.weighted = {u: w * bigram if "_" in u else w for u, w in idf.items()}
        weight_of = index.weighted.__getitem__  # every phrasing unit is an indexed unit
        for number, token_lists in enumerate(phrasing_tokens):
            phrasings = []
            for tokens, units in token_lists:
                phrasings.append(
                    _Phrasing(number, units, sum(map(weight_of, units)), " ".join(tokens))
                )
            index.phrasings_of.append(phrasings)
        return index

    def _unit_weight(self, index: _Index, unit: str) -> float:
        weight = index.idf.get(unit)
        if weight is None:
            weight = self.weights.unknown_token * index.max_idf
        return weight * (self.weights.bigram if "_" in unit else 1.0)

    def analyze(self, text: str) -> tuple[SmalltalkKind | None, list[tuple[str, bool]]]:
        """Smalltalk kind (if the text is only smalltalk) and the repaired content tokens."""
        raw = tokenize(text)[:MAX_QUERY_TOKENS]
        expanded = self.analyzer.expand(raw)
        kind = detect_smalltalk(expanded)
        if kind is not None:
            return kind, []
        _, without_smalltalk = split_smalltalk(expanded)
        content = self.analyzer.strip_filler(without_smalltalk)
        return None, self.analyzer.repair(content)

    def _query_units(self, repaired: list[tuple[str, bool]]) -> list[_QueryUnit]:
        index = self._index
        tokens = [token for token, _ in repaired]
        factors = [1.0 if exact else self.weights.repaired for _, exact in repaired]
        seen: dict[str, _QueryUnit] = {}
        for position, token in enumerate(tokens):
            if token.isdigit() and token not in index.idf:
                continue  # amounts, dates and counts ("500", "2025") say nothing about the topic
            seen.setdefault(
                token, _QueryUnit(token, self._unit_weight(index, token), factors[position])
            )
        for position in range(len(tokens) - 1):
            unit = f"{tokens[position]}_{tokens[position + 1]}"
            if unit in index.idf:  # an unseen pair says nothing either way
                factor = min(factors[position], factors[position + 1])
                seen.setdefault(unit, _QueryUnit(unit, self._unit_weight(index, unit), factor))
        return list(seen.values())

    def score_entries(self, text: str) -> tuple[SmalltalkKind | None, list[Candidate]]:
        """All candidate entries with their final scores, best first."""
        kind, repaired = self.analyze(text)
        if kind is not None or not repaired:
            return kind, []
        index = self._index
        units = self._query_units(repaired)
        query_weight = sum(u.weight for u in units) or 1.0
        coverage: dict[int, float] = defaultdict(float)
        for u in units:
            for number in index.postings.get(u.unit, ()):
                coverage[number] += u.weight * u.factor
            for number in index.answer_postings.get(u.unit, ()):
                coverage[number] += u.weight * u.factor * self.weights.answer_text
        if not coverage:
            return None, []
        query_units = {u.unit: u for u in units}
        folded_query = " ".join(token for token, _ in repaired)
        beta2 = self.weights.recall_beta**2
        ranked = sorted(coverage.items(), key=lambda item: -item[1])[: RERANK_DEPTH * 3]
        scored: list[tuple[float, int]] = []
        for number, covered in ranked:
            recall = covered / query_weight
            precision = 0.0
            fuzzy_best = 0.0
            for phrasing in index.phrasings_of[number]:
                matched = sum(
                    query_units[unit].weight * query_units[unit].factor
                    for unit in phrasing.units & query_units.keys()
                )
                precision = max(precision, matched / (phrasing.weight or 1.0))
            lexical = self._lexical(recall, precision, beta2)
            scored.append((lexical, number))
        scored.sort(key=lambda item: -item[0])
        final: list[Candidate] = []
        for lexical, number in scored[:RERANK_DEPTH]:
            fuzzy_best = max(
                fuzz.token_set_ratio(folded_query, phrasing.folded) / 100.0
                for phrasing in index.phrasings_of[number]
            )
            score = (1 - self.weights.fuzzy) * lexical + self.weights.fuzzy * fuzzy_best * min(
                1.0, lexical * 2.5
            )
            final.append(Candidate(index.ids[number], min(score, 1.0)))
        final.sort(key=lambda c: -c.score)
        return None, final

    def _lexical(self, recall: float, precision: float, beta2: float) -> float:
        """Combine query coverage (recall) and phrasing coverage (precision) into [0, 1]."""
        if recall <= 0:
            return 0.0
        floor = self.weights.precision_floor
        if floor > 0:
            return min(recall, 1.0) * (floor + (1 - floor) * precision)
        if precision <= 0:
            return 0.0
        return (1 + beta2) * recall * precision / (beta2 * precision + recall)

    def match(self, text: str) -> MatchResult:
        """Decide how to answer `text`."""
        kind, candidates = self.score_entries(text)
        if kind is not None:
            return MatchResult(text, MatchStatus.SMALLTALK, smalltalk=kind)
        t = self.thresholds
        top = candidates[0] if candidates else None
        shown = tuple(c for c in candidates[:3] if c.score >= t.candidate)
        if top is None or top.score < t.suggest:
            return MatchResult(
                text, MatchStatus.NONE, score=top.score if top else 0.0, candidates=shown
            )
        runner_up = candidates[1].score if len(candidates) > 1 else 0.0
        if top.score >= t.answer and top.score - runner_up >= t.margin:
            return MatchResult(text, MatchStatus.ANSWER, top.id, top.score, shown)
        return MatchResult(text, MatchStatus.SUGGEST, None, top.score, shown)
