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
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources

import numpy as np
from rapidfuzz import fuzz, process

from bot.knowledge.analyzer import Analyzer
from bot.knowledge.faq_files import FaqBook
from bot.knowledge.normalize import tokenize
from bot.knowledge.smalltalk import SmalltalkKind, detect_smalltalk, split_smalltalk
from bot.telegram_html import html_to_plain

MAX_QUERY_TOKENS = 120
RERANK_DEPTH = 12
SHOWN = 3  # candidates offered as suggestions
FEATURED = 2  # candidates whose coverage features the decision reads


class MatchStatus(StrEnum):
    ANSWER = "answer"
    SUGGEST = "suggest"
    NONE = "none"
    SMALLTALK = "smalltalk"


@dataclass(frozen=True)
class Weights:
    """How the ranking score is composed; documented in the README."""

    bigram: float = 0.6  # a bigram counts this fraction of its IDF on top of its tokens
    answer_text: float = 0.5  # a query word found only in the answer text counts this much
    repaired: float = 0.6  # a typo-repaired token counts this much
    unknown_token: float = 1.0  # a query word no phrasing has weighs this fraction of the max IDF
    precision_floor: float = 0.5  # score = recall * (floor + (1 - floor) * precision)
    fuzzy: float = 0.25  # share of the rapidfuzz re-rank score in the final score
    place: float = 0.35  # a place name ("Buôn Ma Thuột") counts this fraction of its weight
    story: float = 0.8  # words outside the asking clause of a long message count this much
    # an entry with few phrasings leans on its answer text: answer words count
    # answer_text * (1 + sparse_answer / phrasings), capped at 1
    sparse_answer: float = 1.0


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
    confidence: float = 0.0  # fitted probability that the first candidate is right

    def as_dict(self) -> dict:
        return {
            "query": self.query,
            "status": self.status.value,
            "id": self.entry_id,
            "score": round(self.score, 4),
            "candidates": [{"id": c.id, "score": round(c.score, 4)} for c in self.candidates],
        }


@dataclass
class QueryToken:
    token: str
    exact: bool = True  # False for a typo-repaired token
    place: bool = False  # part of a place name
    focus: float = 1.0  # 1 in the asking clause, Weights.story in the story around it


@dataclass
class Analysis:
    """A query after analysis: smalltalk kind (if nothing else) and weighted content tokens."""

    smalltalk: SmalltalkKind | None
    tokens: list[QueryToken]
    folded: str = ""


@dataclass
class Exclusion:
    """Score as if a phrasing (or a whole entry) were not in the FAQ: self-supervised cases."""

    entry: int
    phrasing: int | None = None  # None: the whole entry is missing


@dataclass
class Scored:
    """One candidate entry with the features the re-ranker and the decision read."""

    entry: int
    lexical: float
    recall: float
    precision: float
    fuzzy: float = 0.0
    answer_share: float = 0.0  # share of the coverage found only in the answer text
    rare: float = 0.0  # rarest query word it covers, relative to the rarest known query word
    signature: float = 0.0  # share of the entry's signature terms present in the query
    place: float = 0.0  # share of its matched weight carried by place names
    number: float = 0.0  # share carried by numbers
    uncovered: float = 0.0  # weight of informative query words it misses, over the query weight
    phrasings: int = 0  # how many phrasings the entry has (the held-out one not counted)
    score: float = 0.0  # ranking score in [0, 1]
    rank_logit: float = 0.0


@dataclass
class QueryFeatures:
    length: float  # log(1 + content tokens)
    unknown: float  # share of the query weight in words no FAQ phrasing or answer has
    repaired: float  # share of typo-repaired tokens


@dataclass
class _Index:
    ids: list[str]
    unit_ids: dict[str, int]
    idf: np.ndarray  # per unit; answer-only units get the max IDF
    in_entries: np.ndarray  # bool per unit: some phrasing or keyword has it
    entry_ptr: np.ndarray
    entry_post: np.ndarray  # unit -> entries (phrasings and keywords)
    answer_ptr: np.ndarray
    answer_post: np.ndarray  # unit -> entries whose answer alone has it
    phr_ptr: np.ndarray
    phr_post: np.ndarray  # unit -> phrasings
    phr_weight: np.ndarray  # per phrasing: sum of its unit weights
    phr_entry: np.ndarray  # per phrasing: its entry
    entry_start: np.ndarray  # per entry: its first phrasing (phrasings are grouped by entry)
    phr_folded: list[str]
    phr_units: list[list[int]]  # per phrasing: its unit ids, sorted
    entry_units: list[frozenset[int]]
    answer_units: list[frozenset[int]]  # all units of the answer text
    signature: dict[int, dict[int, float]]  # per entry (computed when first needed)
    keyword_units: list[list[int]]
    max_idf: float = 1.0
    informative_idf: float = 0.0  # IDF above which a query word is informative
    _unique: dict[int, frozenset[int]] = field(default_factory=dict)


def _units(tokens: list[str]) -> list[str]:
    """Unigrams and adjacent bigrams; Vietnamese words are often two syllables."""
    return tokens + list(map("_".join, zip(tokens, tokens[1:], strict=False)))


def _csr(rows: list[int], cols: list[int], n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Row -> its columns, as (pointer, columns) arrays; the (row, col) pairs are distinct."""
    if not rows:
        return np.zeros(n_rows + 1, dtype=np.int64), np.zeros(0, dtype=np.int32)
    r = np.asarray(rows, dtype=np.int64)
    c = np.asarray(cols, dtype=np.int32)
    order = np.argsort(r, kind="stable")
    ptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=n_rows), out=ptr[1:])
    return ptr, c[order]


@cache
def bundled_phrases() -> dict[str, str]:
    """Phrase synonyms shipped with the bot (bot/knowledge/data/phrases.yaml)."""
    import yaml

    text = resources.files("bot.knowledge").joinpath("data/phrases.yaml").read_text("utf-8")
    data = yaml.safe_load(text) or {}
    return {str(k).lower(): str(v) for k, v in (data.get("phrases") or {}).items()}


@cache
def place_names() -> tuple[tuple[str, ...], ...]:
    """Folded place names, longest first (bot/knowledge/data/places.txt)."""
    text = resources.files("bot.knowledge").joinpath("data/places.txt").read_text("utf-8")
    names = {tuple(tokenize(line)) for line in text.splitlines() if not line.startswith("#")}
    return tuple(sorted((n for n in names if n), key=lambda n: (-len(n), n)))


def _place_positions(tokens: list[str]) -> set[int]:
    starts: dict[str, list[tuple[str, ...]]] = _place_starts()
    positions: set[int] = set()
    for i, token in enumerate(tokens):
        for name in starts.get(token, ()):
            if tuple(tokens[i : i + len(name)]) == name:
                positions.update(range(i, i + len(name)))
                break
    return positions


@cache
def _place_starts() -> dict[str, list[tuple[str, ...]]]:
    starts: dict[str, list[tuple[str, ...]]] = {}
    for name in place_names():
        starts.setdefault(name[0], []).append(name)
    return starts


# Words that mark the clause that asks ("... giờ làm lại căn cước thế nào?").
_ASKING = (
    ("lam", "sao"), ("the", "nao"), ("nhu", "the", "nao"), ("o", "dau"), ("bao", "nhieu"),
    ("bao", "lau"), ("khong",), ("gi",), ("nao",), ("sao",), ("dau",), ("duoc", "khong"),
    ("co", "phai"), ("can", "lam"), ("phai", "lam"), ("kieu", "gi"), ("cach",), ("huong", "dan"),
    ("lam", "gi"), ("chua",), ("hay",), ("khi", "nao"), ("bao", "gio"),
)  # fmt: skip
_CLAUSE_BREAKS = frozenset({"nhung", "ma", "gio", "vay", "nen", "roi"})


class Matcher:
    """An index over one FaqBook, built and calibrated once; `match` is read-only and thread-safe."""

    def __init__(
        self,
        book: FaqBook,
        weights: Weights | None = None,
        decision=None,  # a calibration.Decision; fitted to `book` when None
        *,
        calibrate: bool = True,
    ):
        from bot.knowledge import calibration

        self.book = book
        self.weights = weights or Weights()
        self.analyzer = Analyzer(book.synonyms, {**bundled_phrases(), **book.phrases})
        self._index = self._build()
        if decision is None:
            decision = calibration.calibrate(self) if calibrate else calibration.prior_decision()
        self.decision = decision

    # ------------------------------------------------------------------ index

    def _build(self) -> _Index:
        analyzer = self.analyzer
        ids = list(self.book.entries)
        n = len(ids)
        unit_ids: dict[str, int] = {}
        uid = unit_ids.setdefault
        phr_tokens: list[list[str]] = []
        phr_units: list[list[int]] = []
        phr_entry: list[int] = []
        entry_start: list[int] = []
        keyword_units: list[list[int]] = []
        answer_token_lists: list[list[str]] = []
        vocabulary: set[str] = set()
        pairs: set[tuple[str, str]] = set()
        for number, entry in enumerate(self.book.entries.values()):
            entry_start.append(len(phr_entry))
            for text in entry.phrasings:
                tokens = analyzer.phrasing_tokens(text)
                units = [uid(u, len(unit_ids)) for u in _units(tokens)]
                phr_tokens.append(tokens)
                phr_units.append(units)
                phr_entry.append(number)
                vocabulary.update(tokens)
                pairs.update(zip(tokens, tokens[1:], strict=False))
            kw: list[int] = []
            for text in entry.keywords:
                tokens = analyzer.phrasing_tokens(text)
                kw.extend(uid(u, len(unit_ids)) for u in _units(tokens))
                vocabulary.update(tokens)
                pairs.update(zip(tokens, tokens[1:], strict=False))
            keyword_units.append(kw)
            answer_tokens = analyzer.phrasing_tokens(html_to_plain(entry.answer))
            answer_token_lists.append(answer_tokens)
            vocabulary.update(answer_tokens)
        analyzer.set_vocabulary(vocabulary, pairs)
        n_entry_units = len(unit_ids)
        answer_rows: list[int] = []
        answer_cols: list[int] = []
        answer_units: list[frozenset[int]] = []
        for number, tokens in enumerate(answer_token_lists):
            # answer bigrams count only when some phrasing has them; answer words always
            units = {uid(t, len(unit_ids)) for t in tokens}
            units.update(
                unit_ids[u] for u in _units(tokens)[len(tokens) :] if u in unit_ids
            )  # bigrams seen in phrasings
            answer_units.append(frozenset(units))
            answer_rows.extend([number] * len(units))
            answer_cols.extend(units)
        n_units = len(unit_ids)
        entry_units: list[frozenset[int]] = [frozenset() for _ in range(n)]
        starts_list = entry_start + [len(phr_units)]
        entry_rows, entry_cols = [], []
        for number in range(n):
            units_of_entry: set[int] = set(keyword_units[number])
            for p in range(starts_list[number], starts_list[number + 1]):
                units_of_entry.update(phr_units[p])
            entry_units[number] = frozenset(units_of_entry)
            entry_cols.extend(units_of_entry)
            entry_rows.extend([number] * len(units_of_entry))
        # unit -> entries (phrasings and keywords)
        entry_ptr, entry_post = _csr(entry_cols, entry_rows, n_units)
        df = np.diff(entry_ptr).astype(np.float64)
        idf = np.log1p((n - df + 0.5) / (df + 0.5))
        max_idf = math.log1p((n - 0.5) / 1.5) if n > 1 else 1.0
        in_entries = df > 0
        idf[~in_entries] = max_idf * self.weights.unknown_token
        # answer-only postings: answer units the entry's phrasings and keywords lack
        a_rows, a_cols = [], []
        for number, units in enumerate(answer_units):
            only = units - entry_units[number]
            a_rows.extend([number] * len(only))
            a_cols.extend(only)
        answer_ptr, answer_post = _csr(a_cols, a_rows, n_units)
        names = list(unit_ids)
        bigram = np.array(["_" in u for u in names], dtype=bool)
        weighted = idf * np.where(bigram, self.weights.bigram, 1.0)
        phr_sets = [sorted(set(u)) for u in phr_units]
        phr_lengths = np.fromiter(map(len, phr_sets), dtype=np.int64, count=len(phr_sets))
        phr_cols = [u for units in phr_sets for u in units]
        phr_rows = np.repeat(np.arange(len(phr_sets)), phr_lengths).tolist()
        phr_ptr, phr_post = _csr(phr_cols, phr_rows, n_units)
        phr_weight = np.zeros(len(phr_sets))
        if phr_cols:
            starts = np.concatenate(([0], np.cumsum(phr_lengths)[:-1]))
            nonempty = phr_lengths > 0
            sums = np.add.reduceat(weighted[np.asarray(phr_cols)], starts[nonempty])
            phr_weight[nonempty] = sums
        phr_arrays = phr_sets
        informative = float(np.median(idf[in_entries])) if in_entries.any() else 0.0
        index = _Index(
            ids=ids,
            unit_ids=unit_ids,
            idf=idf,
            in_entries=in_entries,
            entry_ptr=entry_ptr,
            entry_post=entry_post,
            answer_ptr=answer_ptr,
            answer_post=answer_post,
            phr_ptr=phr_ptr,
            phr_post=phr_post,
            phr_weight=np.maximum(phr_weight, 1e-9),
            phr_entry=np.asarray(phr_entry, dtype=np.int64),
            entry_start=np.asarray(entry_start, dtype=np.int64),
            phr_folded=[" ".join(t) for t in phr_tokens],
            phr_units=phr_arrays,
            entry_units=entry_units,
            answer_units=answer_units,
            signature={},
            keyword_units=keyword_units,
            max_idf=max_idf,
            informative_idf=informative,
        )
        self._weighted = weighted
        self._bigram = bigram
        self._n_entry_units = n_entry_units
        counts = np.diff(np.append(index.entry_start, len(index.phr_units))).astype(np.float64)
        boost = 1.0 + self.weights.sparse_answer / np.maximum(counts, 1.0)
        self._answer_boost = np.minimum(boost, 1.0 / max(self.weights.answer_text, 1e-9))
        self._df = np.diff(entry_ptr)
        self._answer_df = np.diff(answer_ptr)
        return index

    def signature(self, number: int, skip: int | None = None, top: int = 6) -> dict[int, float]:
        """The units most typical of an entry: in many of its phrasings and rare elsewhere
        (without phrasing `skip`, for a held-out case)."""
        index = self._index
        cached = index.signature.get(number) if skip is None else None
        if cached is not None:
            return cached
        idf = index.idf
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
            ((idf[u] * self._unit_factor(u) * c / sources, u) for u, c in counts.items()),
            key=lambda item: (-item[0], item[1]),
        )[:top]
        signature = {u: float(w) for w, u in scored if w > 0}
        if skip is None:
            index.signature[number] = signature  # a benign race: every thread computes the same
        return signature

    def _unit_factor(self, unit: int) -> float:
        return self.weights.bigram if self._bigram[unit] else 1.0

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
        raw = tokenize(text)[:MAX_QUERY_TOKENS]
        expanded = self.analyzer.expand(raw)
        kind = detect_smalltalk(expanded)
        if kind is not None:
            return Analysis(kind, [])
        _, without_smalltalk = split_smalltalk(expanded)
        focus = self._focus(without_smalltalk)
        places = _place_positions(without_smalltalk)
        kept = self.analyzer.strip_filler_positions(without_smalltalk)
        tokens: list[QueryToken] = []
        for position in kept:
            for token, exact in self.analyzer.repair([without_smalltalk[position]]):
                tokens.append(QueryToken(token, exact, position in places, focus[position]))
        return Analysis(None, tokens, " ".join(t.token for t in tokens))

    def _focus(self, tokens: list[str]) -> list[float]:
        """Weight 1 for the clause that asks, less for the story around it (long messages only)."""
        n = len(tokens)
        if n < 14:
            return [1.0] * n
        # clause boundaries: story connectives; the asking clause is the last one with a marker
        bounds = [0] + [i for i, t in enumerate(tokens) if t in _CLAUSE_BREAKS and i > 0] + [n]
        clauses = [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
        asking = None
        for a, b in reversed(clauses):
            part = tokens[a:b]
            if any(tuple(part[i : i + len(m)]) == m for m in _ASKING for i in range(len(part))):
                asking = (a, b)
                break
        if asking is None or asking[1] - asking[0] >= n - 3:
            return [1.0] * n
        a, b = asking
        # the asking clause often refers back to the clause just before it ("... mất rồi, giờ
        # làm sao"): that one keeps full weight too
        prev = max((c for c in clauses if c[1] <= a), default=None, key=lambda c: c[1])
        if prev is not None and b - a < 6:
            a = prev[0]
        story = self.weights.story
        return [1.0 if a <= i < b else story for i in range(n)]

    def _query_units(self, analysis: Analysis, exclusion: Exclusion | None):
        """Unit ids (-1: unknown), weights, matching factors and flags of a query."""
        index = self._index
        unit_ids = index.unit_ids
        tokens = analysis.tokens
        w = self.weights
        unknown_weight = w.unknown_token * index.max_idf
        hidden: frozenset[int] = frozenset()
        if exclusion is not None:
            hidden = self._hidden_units(exclusion)
        seen: dict[str, int] = {}
        ids: list[int] = []
        weights: list[float] = []
        factors: list[float] = []
        places: list[bool] = []
        numbers: list[bool] = []
        known: list[bool] = []

        def add(unit: str, uid: int, weight: float, factor: float, place: bool, number: bool):
            position = seen.get(unit)
            if position is not None:
                if weight > weights[position]:
                    weights[position] = weight
                return
            seen[unit] = len(ids)
            ids.append(uid)
            weights.append(weight)
            factors.append(factor)
            places.append(place)
            numbers.append(number)
            known.append(uid >= 0)

        weighted = self._weighted
        for qt in tokens:
            uid = unit_ids.get(qt.token, -1)
            if uid in hidden:
                uid = -1
            is_number = qt.token.isdigit()
            if uid < 0 and is_number:
                continue  # amounts, dates and counts ("500", "2025") say nothing about the topic
            base = weighted[uid] if uid >= 0 else unknown_weight
            factor = 1.0 if qt.exact else w.repaired
            weight = base * qt.focus * (w.place if qt.place else 1.0)
            add(qt.token, uid, weight, factor, qt.place, is_number)
        for left, right in zip(tokens, tokens[1:], strict=False):
            unit = f"{left.token}_{right.token}"
            uid = unit_ids.get(unit, -1)
            if uid < 0 or uid in hidden or uid >= self._n_entry_units:
                continue  # an unseen pair says nothing either way
            if not index.in_entries[uid]:
                continue
            factor = min(1.0 if left.exact else w.repaired, 1.0 if right.exact else w.repaired)
            place = left.place and right.place
            weight = weighted[uid] * min(left.focus, right.focus) * (w.place if place else 1.0)
            add(unit, uid, weight, factor, place, left.token.isdigit() and right.token.isdigit())
        return (
            np.asarray(ids, dtype=np.int64),
            np.asarray(weights, dtype=np.float64),
            np.asarray(factors, dtype=np.float64),
            np.asarray(places, dtype=bool),
            np.asarray(numbers, dtype=bool),
            np.asarray(known, dtype=bool),
        )

    def _hidden_units(self, exclusion: Exclusion) -> frozenset[int]:
        """Units that would not exist at all without the excluded phrasing or entry."""
        index = self._index
        if exclusion.phrasing is not None:
            candidates = self.unique_units(exclusion.phrasing)
        else:
            candidates = index.entry_units[exclusion.entry]
        df, answer_df = self._df, self._answer_df
        return frozenset(
            u for u in candidates if df[u] == 1 and answer_df[u] == 0 and u < self._n_entry_units
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
        coverage = _accumulate(index.entry_ptr, index.entry_post, known_ids, known_effective, n)
        answer_cov = _accumulate(
            index.answer_ptr, index.answer_post, known_ids, known_effective * w.answer_text, n
        )
        if w.sparse_answer:
            answer_cov *= self._answer_boost
        # each phrasing's best share covered by the query (precision)
        matched = _accumulate(
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
        idf = index.idf
        known_list = ids[known].tolist()
        unit_weight = dict(zip(ids.tolist(), effective.tolist(), strict=True))
        place_of = dict(zip(ids.tolist(), places.tolist(), strict=True))
        number_of = dict(zip(ids.tolist(), numbers.tolist(), strict=True))
        informative = [u for u in known_list if idf[u] >= index.informative_idf and not place_of[u]]
        rarest = max((idf[u] for u in known_list if not place_of[u]), default=0.0)
        held_out = exclusion is not None and exclusion.phrasing is not None
        for s in scored:
            number = s.entry
            entry_units = index.entry_units[number]
            answer_units = index.answer_units[number]
            if held_out and number == exclusion.entry:
                entry_units = entry_units - self.unique_units(exclusion.phrasing)
            matched_units = [u for u in known_list if u in entry_units or u in answer_units]
            matched_weight = sum(unit_weight[u] for u in matched_units) or 1e-9
            skip = exclusion.phrasing if held_out and number == exclusion.entry else None
            sig = self.signature(number, skip)
            sig_total = sum(sig.values()) or 1.0
            s.signature = sum(v for u, v in sig.items() if u in unit_weight) / sig_total
            covered_rare = max((idf[u] for u in matched_units if not place_of[u]), default=0.0)
            s.rare = covered_rare / rarest if rarest else 0.0
            s.place = sum(unit_weight[u] for u in matched_units if place_of[u]) / matched_weight
            s.number = sum(unit_weight[u] for u in matched_units if number_of[u]) / matched_weight
            s.uncovered = sum(unit_weight[u] for u in informative if u not in entry_units) / total
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


def _accumulate(
    ptr: np.ndarray, post: np.ndarray, units: np.ndarray, weights: np.ndarray, n_targets: int
) -> np.ndarray:
    """Sum of the units' weights over their postings, per target (entry or phrasing)."""
    starts, ends = ptr[units], ptr[units + 1]
    return np.bincount(
        post[_ranges(starts, ends)], weights=np.repeat(weights, ends - starts), minlength=n_targets
    ).astype(np.float64, copy=False)  # an empty bincount is integer


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenated aranges [start, end) for each pair, vectorised."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return np.arange(total, dtype=np.int64) + offsets
