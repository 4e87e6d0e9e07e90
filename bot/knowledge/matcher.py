"""Match a citizen's question to FAQ entries: weighted lexical retrieval, fuzzy re-ranking and a
decision fitted to the loaded FAQ.

Pipeline: fold and tokenize -> expand abbreviations and phrases -> drop smalltalk and filler ->
repair typos and glued words -> weigh the asking clause of a long message above its story ->
score entries on weighted unigram/bigram overlap (IDF, so "vneid" outweighs "lam sao"; place
names count little) -> re-rank the best few with rapidfuzz and the fitted re-ranker -> decide
answer / suggest / none from the fitted probability that the first candidate is right.

The decision is not a pair of constants: `bot.knowledge.calibration` fits it when the matcher is
built, on cases generated from the FAQ itself (see there).
"""

from __future__ import annotations

import math

import numpy as np
from rapidfuzz import fuzz, process

from bot.knowledge.analyzer import Analyzer
from bot.knowledge.decision import prior_decision
from bot.knowledge.faq_files import FaqBook
from bot.knowledge.faq_index import build_index
from bot.knowledge.lexical_scores import accumulate, query_units
from bot.knowledge.match_types import (
    Analysis,
    Candidate,
    Exclusion,
    MatchResult,
    MatchStatus,
    QueryFeatures,
    Scored,
    Weights,
)
from bot.knowledge.query_analysis import analyze, bundled_abbreviations, bundled_phrases
from bot.knowledge.reranker import RERANK_DEPTH
from bot.knowledge.smalltalk import SmalltalkKind

SHOWN = 3  # candidates offered as suggestions
FEATURED = RERANK_DEPTH  # candidates whose coverage features the re-ranker and decision read


class Matcher:
    """An index over one FaqBook, built and calibrated once; `match` is read-only and thread-safe."""

    def __init__(
        self,
        book: FaqBook,
        weights: Weights | None = None,
        decision=None,  # a decision.Decision; fitted to `book` when None
        *,
        calibrate: bool = True,
    ):
        from bot.knowledge import calibration

        self.book = book
        self.weights = weights or Weights()
        self.analyzer = Analyzer(
            {**bundled_abbreviations(), **book.synonyms}, {**bundled_phrases(), **book.phrases}
        )
        self._index = build_index(book, self.analyzer, self.weights)
        if decision is None:
            decision = calibration.calibrate(self) if calibrate else prior_decision()
        self.decision = decision

    # ------------------------------------------------------------------ index

    def signature(self, number: int, skip: int | None = None, top: int = 6) -> dict[int, float]:
        """The units most typical of an entry: in many of its phrasings and rare elsewhere
        (without phrasing `skip`, for a held-out case)."""
        index = self._index
        cached = index.signature.get(number) if skip is None else None
        if cached is not None:
            return cached
        weighted = index.weighted  # IDF x the bigram factor
        counts: dict[int, int] = {}
        sources = 0
        for p in self.phrasing_range(number):
            if p == skip:
                continue
            sources += 1
            for u in index.phr_units[p]:
                counts[u] = counts.get(u, 0) + 1
        kw = set(index.keyword_units[number])
        if kw:
            sources += 1
            for u in kw:
                counts[u] = counts.get(u, 0) + 1
        scored = sorted(
            ((weighted[u] * c / sources, u) for u, c in counts.items()),
            key=lambda item: (-item[0], item[1]),
        )[:top]
        signature = {u: float(w) for w, u in scored if w > 0}
        if skip is None:
            index.signature[number] = signature  # a benign race: every thread computes the same
        return signature

    def unique_units(self, phrasing: int) -> frozenset[int]:
        """Units of a phrasing that no other phrasing or keyword of its entry has."""
        index = self._index
        cached = index._unique.get(phrasing)
        if cached is not None:
            return cached
        entry = int(index.phr_entry[phrasing])
        start = int(index.entry_start[entry])
        end = (
            int(index.entry_start[entry + 1])
            if entry + 1 < len(index.entry_start)
            else len(index.phr_units)
        )
        others: set[int] = set(index.keyword_units[entry])
        for p in range(start, end):
            if p != phrasing:
                others.update(index.phr_units[p])
        unique = frozenset(set(index.phr_units[phrasing]) - others)
        index._unique[phrasing] = unique
        return unique

    @property
    def entry_count(self) -> int:
        return len(self._index.ids)

    def phrasing_range(self, entry: int) -> range:
        index = self._index
        start = int(index.entry_start[entry])
        end = (
            int(index.entry_start[entry + 1])
            if entry + 1 < len(index.entry_start)
            else len(index.phr_units)
        )
        return range(start, end)

    # ------------------------------------------------------------------ queries

    def analyze(self, text: str) -> Analysis:
        """Smalltalk kind (if the text is only smalltalk) and the weighted content tokens."""
        return analyze(self.analyzer, self.weights, text)

    def _query_units(self, analysis: Analysis, exclusion: Exclusion | None):
        hidden = self._hidden_units(exclusion) if exclusion is not None else frozenset()
        return query_units(self._index, self.weights, analysis, hidden)

    def _hidden_units(self, exclusion: Exclusion) -> frozenset[int]:
        """Units that would not exist at all without the excluded phrasing or entry."""
        index = self._index
        if exclusion.phrasing is not None:
            candidates = self.unique_units(exclusion.phrasing)
        else:
            candidates = index.entry_units[exclusion.entry]
        df, answer_df = index.df, index.answer_df
        return frozenset(
            u for u in candidates if df[u] == 1 and answer_df[u] == 0 and u < index.n_entry_units
        )

    def rank(self, text_or_analysis, exclusion: Exclusion | None = None):
        """(analysis, query features, candidates with features best first)."""
        analysis = (
            text_or_analysis
            if isinstance(text_or_analysis, Analysis)
            else self.analyze(text_or_analysis)
        )
        if analysis.smalltalk is not None or not analysis.tokens:
            return analysis, QueryFeatures(0.0, 0.0, 0.0), []
        index = self._index
        w = self.weights
        ids, weights, factors, places, numbers, known = self._query_units(analysis, exclusion)
        n_tokens = len(analysis.tokens)
        query_features = QueryFeatures(
            length=math.log1p(n_tokens),
            unknown=0.0,
            repaired=sum(not t.exact for t in analysis.tokens) / n_tokens,
        )
        total = float(weights.sum())
        if total <= 0:
            return analysis, query_features, []
        known_ids = ids[known]
        known_effective = (weights * factors)[known]
        in_faq = np.zeros(len(ids), dtype=bool)
        in_faq[known] = True
        query_features.unknown = float(weights[~in_faq].sum() / total)
        n = len(index.ids)
        if not len(known_ids):
            return analysis, query_features, []
        # coverage of the query by each entry (phrasings and keywords, then the answer text)
        coverage = accumulate(index.entry_ptr, index.entry_post, known_ids, known_effective, n)
        answer_cov = accumulate(
            index.answer_ptr, index.answer_post, known_ids, known_effective * w.answer_text, n
        )
        if w.sparse_answer:
            answer_cov *= index.answer_boost
        # each phrasing's best share covered by the query (precision)
        matched = accumulate(
            index.phr_ptr, index.phr_post, known_ids, known_effective, len(index.phr_units)
        )
        if exclusion is not None:
            self._apply_exclusion(
                exclusion, known_ids, known_effective, coverage, answer_cov, matched
            )
        precision = matched / index.phr_weight
        best_precision = np.maximum.reduceat(precision, index.entry_start) if n else precision
        recall = np.minimum((coverage + answer_cov) / total, 1.0)
        floor = w.precision_floor
        lexical = recall * (floor + (1 - floor) * best_precision)
        if exclusion is not None and exclusion.phrasing is None:
            lexical[exclusion.entry] = 0.0
        positive = np.flatnonzero(lexical > 0)
        if not len(positive):
            return analysis, query_features, []
        if len(positive) > RERANK_DEPTH:
            part = np.argpartition(-lexical[positive], RERANK_DEPTH - 1)[:RERANK_DEPTH]
            positive = positive[part]
        order = np.lexsort((positive, -lexical[positive]))
        top = positive[order]
        total_cov = coverage + answer_cov
        scored = [
            Scored(
                entry=number,
                lexical=float(lexical[number]),
                recall=float(recall[number]),
                precision=float(best_precision[number]),
                answer_share=float(answer_cov[number] / (total_cov[number] or 1e-9)),
                question_recall=float(min(coverage[number] / total, 1.0)),
            )
            for number in top.tolist()
        ]
        fuzzy = self._fuzzy_many(analysis.folded, [s.entry for s in scored], exclusion)
        for s, f in zip(scored, fuzzy, strict=True):
            s.fuzzy = f
            s.score = min((1 - w.fuzzy) * s.lexical + w.fuzzy * f * min(1.0, s.lexical * 2.5), 1.0)
        scored.sort(key=lambda s: (-s.score, s.entry))
        # the decision reads the first two candidates only
        self._describe(
            scored[:FEATURED], ids, weights * factors, places, numbers, known, total, exclusion
        )
        return analysis, query_features, scored

    def _describe(
        self,
        scored: list[Scored],
        ids: np.ndarray,
        effective: np.ndarray,
        places: np.ndarray,
        numbers: np.ndarray,
        known: np.ndarray,
        total: float,
        exclusion: Exclusion | None,
    ) -> None:
        """Fill in the candidates' coverage features (rare words, signature, place names...)."""
        index = self._index
        known_ids = ids[known]
        known_list = known_ids.tolist()
        known_set = set(known_list)
        weight = effective[known]
        place = places[known]
        number_of = numbers[known]
        idf = index.idf[known_ids]
        not_place = ~place
        informative = (idf >= index.informative_idf) & not_place
        rarest = float(idf[not_place].max()) if not_place.any() else 0.0
        held_out = exclusion is not None and exclusion.phrasing is not None
        excluded = exclusion.entry if held_out else None
        entry_sets = [
            index.entry_units[s.entry] - self.unique_units(exclusion.phrasing)
            if s.entry == excluded
            else index.entry_units[s.entry]
            for s in scored
        ]
        shape = (len(scored), len(known_list))
        in_entry = np.array([[u in e for u in known_list] for e in entry_sets], bool).reshape(shape)
        in_answer = np.array(
            [[u in index.answer_units[s.entry] for u in known_list] for s in scored], bool
        ).reshape(shape)
        matched = in_entry | in_answer
        matched_weight = matched @ weight
        matched_weight[matched_weight == 0] = 1e-9
        place_share = ((matched & place) @ weight) / matched_weight
        number_share = ((matched & number_of) @ weight) / matched_weight
        uncovered = ((~in_entry & informative) @ weight) / total
        answer_recall = (in_answer @ weight) / total
        rare = np.where(matched & not_place, idf, 0.0).max(axis=1, initial=0.0)
        rare = rare / rarest if rarest else np.zeros(len(scored))
        # each query word's weight shared among the candidates that have it: what sets this
        # candidate apart from the others, not what they all match
        holders = np.maximum(matched.sum(axis=0), 1)
        distinct = (matched @ (weight / holders)) / total
        for position, s in enumerate(scored):
            number = s.entry
            sig = self.signature(number, exclusion.phrasing if number == excluded else None)
            sig_total = sum(sig.values()) or 1.0
            s.signature = sum(v for u, v in sig.items() if u in known_set) / sig_total
            s.rare = float(rare[position])
            s.distinct = float(distinct[position])
            s.place = float(place_share[position])
            s.number = float(number_share[position])
            s.uncovered = float(uncovered[position])
            s.answer_recall = float(answer_recall[position])
            s.phrasings = len(self.phrasing_range(number)) - (
                1 if held_out and number == exclusion.entry else 0
            )

    def _apply_exclusion(
        self,
        exclusion: Exclusion,
        known_ids: np.ndarray,
        effective: np.ndarray,
        coverage: np.ndarray,
        answer_cov: np.ndarray,
        matched: np.ndarray,
    ) -> None:
        index = self._index
        entry = exclusion.entry
        if exclusion.phrasing is None:
            coverage[entry] = 0.0
            answer_cov[entry] = 0.0
            matched[list(self.phrasing_range(entry))] = 0.0
            return
        unique = self.unique_units(exclusion.phrasing)
        answer_units = index.answer_units[entry]
        for u, weight in zip(known_ids.tolist(), effective.tolist(), strict=True):
            if u in unique:
                coverage[entry] -= weight
                if u in answer_units:
                    answer_cov[entry] += weight * self.weights.answer_text
        coverage[entry] = max(coverage[entry], 0.0)
        matched[exclusion.phrasing] = 0.0

    def _fuzzy_many(
        self, folded: str, entries: list[int], exclusion: Exclusion | None
    ) -> list[float]:
        """Best rapidfuzz token-set ratio of the query against each entry's phrasings."""
        index = self._index
        skip = exclusion.phrasing if exclusion is not None else None
        choices: list[str] = []
        owners: list[int] = []
        for position, entry in enumerate(entries):
            for p in self.phrasing_range(entry):
                if p != skip:
                    choices.append(index.phr_folded[p])
                    owners.append(position)
        best = [0.0] * len(entries)
        if not choices:
            return best
        ratios = process.cdist([folded], choices, scorer=fuzz.token_set_ratio)[0]
        for owner, ratio in zip(owners, ratios.tolist(), strict=True):
            if ratio > best[owner]:
                best[owner] = ratio
        return [b / 100.0 for b in best]

    def score_entries(self, text: str) -> tuple[SmalltalkKind | None, list[Candidate]]:
        """The candidate entries with their final scores, best first."""
        analysis, query, scored = self.rank(text)
        if analysis.smalltalk is not None:
            return analysis.smalltalk, []
        scored = self.decision.rerank(scored, query)
        return None, [Candidate(self._index.ids[s.entry], s.score) for s in scored]

    def match(self, text: str) -> MatchResult:
        """Decide how to answer `text`."""
        analysis, query, scored = self.rank(text)
        if analysis.smalltalk is not None:
            return MatchResult(text, MatchStatus.SMALLTALK, smalltalk=analysis.smalltalk)
        if not scored:
            return MatchResult(text, MatchStatus.NONE)
        scored = self.decision.rerank(scored, query)
        status, confidence = self.decision.decide(scored, query)
        ids = self._index.ids
        shown = tuple(Candidate(ids[s.entry], s.score) for s in scored[:SHOWN])
        top = scored[0]
        if status is MatchStatus.ANSWER:
            return MatchResult(text, status, ids[top.entry], top.score, shown, None, confidence)
        if status is MatchStatus.SUGGEST:
            return MatchResult(text, status, None, top.score, shown, None, confidence)
        return MatchResult(text, MatchStatus.NONE, None, top.score, (), None, confidence)
