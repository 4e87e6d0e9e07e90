"""The matcher's index over one FaqBook: unigram and bigram units of every phrasing, keyword and
answer, their IDF weights, and unit -> entry / phrasing postings as CSR arrays."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import chain

import numpy as np

from bot.knowledge.analyzer import Analyzer
from bot.knowledge.faq_files import FaqBook
from bot.knowledge.gc_pause import gc_paused
from bot.knowledge.match_types import Weights
from bot.telegram_html import html_to_plain


@dataclass
class FaqIndex:
    """Postings and weights over one FaqBook's phrasings, keywords and answers."""

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
    phr_units: Rows  # per phrasing: its unit ids, sorted
    entry_units: list[frozenset[int]]
    answer_units: list[frozenset[int]]  # all units of the answer text
    signature: dict[int, dict[int, float]]  # per entry (computed when first needed)
    keyword_units: list[list[int]]
    max_idf: float = 1.0
    informative_idf: float = 0.0  # IDF above which a query word is informative
    weighted: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per unit: IDF x bigram
    bigram: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # per unit
    n_entry_units: int = 0  # units below this come from phrasings and keywords
    answer_boost: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per entry
    df: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # per unit
    answer_df: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    _unique: dict[int, frozenset[int]] = field(default_factory=dict)


def _units(tokens: list[str]) -> list[str]:
    """Unigrams and adjacent bigrams; Vietnamese words are often two syllables."""
    return tokens + list(map("_".join, zip(tokens, tokens[1:], strict=False)))


def _csr(rows: list[int], cols: list[int], n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Row -> its columns, as (pointer, columns) arrays; the (row, col) pairs are distinct."""
    if not len(rows):
        return np.zeros(n_rows + 1, dtype=np.int64), np.zeros(0, dtype=np.int32)
    r = np.asarray(rows, dtype=np.int64)
    c = np.asarray(cols, dtype=np.int32)
    order = np.argsort(r, kind="stable")
    ptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=n_rows), out=ptr[1:])
    return ptr, c[order]


def _flatten(groups: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """(group number, unit) of every unit of the groups, as arrays."""
    lengths = np.fromiter(map(len, groups), np.int64, len(groups))
    units = np.fromiter(chain.from_iterable(groups), np.int64, int(lengths.sum()))
    return np.repeat(np.arange(len(groups)), lengths), units


def _distinct_pairs(
    rows: np.ndarray, units: np.ndarray, n_units: int
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (row, unit) pairs, sorted by row then unit."""
    width = max(n_units, 1)
    key = np.sort(rows.astype(np.int64) * width + units)  # np.unique hashes: 50x slower here
    if len(key):
        key = key[np.concatenate(([True], key[1:] != key[:-1]))]
    return key // width, key % width


class Rows:
    """Per row, its columns (a list), sliced on demand from one flat list: most phrasings'
    units are never read one by one, only through the postings."""

    __slots__ = ("_flat", "_bounds")

    def __init__(self, cols: np.ndarray, rows: np.ndarray, n_rows: int):
        self._bounds = np.searchsorted(rows, np.arange(n_rows + 1)).tolist()
        self._flat = cols.tolist()

    def __len__(self) -> int:
        return len(self._bounds) - 1

    def __getitem__(self, row: int) -> list[int]:
        return self._flat[self._bounds[row] : self._bounds[row + 1]]


def _split(cols: np.ndarray, rows: np.ndarray, n_rows: int) -> list[list[int]]:
    """Per row, its columns (rows sorted), as lists."""
    bounds = np.searchsorted(rows, np.arange(n_rows + 1)).tolist()
    flat = cols.tolist()
    return [flat[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


@gc_paused()
def build_index(book: FaqBook, analyzer: Analyzer, weights: Weights) -> FaqIndex:
    """Index every phrasing, keyword and answer of `book` (and give `analyzer` its vocabulary)."""
    ids = list(book.entries)
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
    answers = [html_to_plain(entry.answer) for entry in book.entries.values()]
    # FAQ texts repeat (keywords, boilerplate answers): each distinct one is analysed once
    distinct = list(
        dict.fromkeys(
            [t for e in book.entries.values() for t in (*e.phrasings, *e.keywords)] + answers
        )
    )
    cache = dict(zip(distinct, analyzer.phrasing_tokens_many(distinct), strict=True))
    entries = list(book.entries.values())
    # unit ids in order of first appearance: phrasings and keywords entry by entry, then answers
    unit_strings = {
        text: _units(cache[text]) for e in entries for text in (*e.phrasings, *e.keywords)
    }
    unit_ids.update(
        (u, i)
        for i, u in enumerate(
            dict.fromkeys(
                chain.from_iterable(
                    unit_strings[t] for e in entries for t in (*e.phrasings, *e.keywords)
                )
            )
        )
    )
    ids_of = {text: list(map(unit_ids.__getitem__, us)) for text, us in unit_strings.items()}
    for number, entry in enumerate(entries):
        entry_start.append(len(phr_entry))
        for text in entry.phrasings:
            phr_tokens.append(cache[text])
            phr_units.append(ids_of[text])
            phr_entry.append(number)
        kw: list[int] = []
        for text in entry.keywords:
            kw.extend(ids_of[text])
        keyword_units.append(kw)
        answer_token_lists.append(cache[answers[number]])
    vocabulary.update(chain.from_iterable(cache.values()))
    for text in unit_strings:
        tokens = cache[text]
        pairs.update(zip(tokens, tokens[1:], strict=False))
    analyzer.set_vocabulary(vocabulary, pairs)
    n_entry_units = len(unit_ids)
    for u in dict.fromkeys(chain.from_iterable(answer_token_lists)):
        uid(u, len(unit_ids))
    answer_units: list[frozenset[int]] = []
    answer_sets: dict[str, frozenset[int]] = {}
    for text in answers:
        units = answer_sets.get(text)
        if units is None:
            tokens = cache[text]
            # answer bigrams count only when some phrasing has them; answer words always
            found = set(map(unit_ids.__getitem__, tokens))
            found.update(
                unit_ids[u] for u in _units(tokens)[len(tokens) :] if u in unit_ids
            )  # bigrams seen in phrasings
            units = answer_sets[text] = frozenset(found)
        answer_units.append(units)
    n_units = len(unit_ids)
    # distinct (phrasing, unit) and (entry, unit) pairs, sorted, by numpy
    phr_row, phr_col = _distinct_pairs(*_flatten(phr_units), n_units)
    kw_row, kw_col = _flatten(keyword_units)
    entry_rows, entry_cols = _distinct_pairs(
        np.concatenate((np.asarray(phr_entry, dtype=np.int64)[phr_row], kw_row)),
        np.concatenate((phr_col, kw_col)),
        n_units,
    )
    entry_units = [frozenset(u) for u in _split(entry_cols, entry_rows, n)]
    # unit -> entries (phrasings and keywords)
    entry_ptr, entry_post = _csr(entry_cols, entry_rows, n_units)
    df = np.diff(entry_ptr).astype(np.float64)
    idf = np.log1p((n - df + 0.5) / (df + 0.5))
    max_idf = math.log1p((n - 0.5) / 1.5) if n > 1 else 1.0
    in_entries = df > 0
    idf[~in_entries] = max_idf * weights.unknown_token
    # answer-only postings: answer units the entry's phrasings and keywords lack
    a_rows, a_cols = [], []
    for number, units in enumerate(answer_units):
        only = units - entry_units[number]
        a_rows.extend([number] * len(only))
        a_cols.extend(only)
    answer_ptr, answer_post = _csr(a_cols, a_rows, n_units)
    names = list(unit_ids)
    bigram = np.array(["_" in u for u in names], dtype=bool)
    weighted = idf * np.where(bigram, weights.bigram, 1.0)
    phr_sets = Rows(phr_col, phr_row, len(phr_units))
    phr_lengths = np.bincount(phr_row, minlength=len(phr_units))
    phr_ptr, phr_post = _csr(phr_col, phr_row, n_units)
    phr_weight = np.zeros(len(phr_sets))
    if len(phr_col):
        starts = np.concatenate(([0], np.cumsum(phr_lengths)[:-1]))
        nonempty = phr_lengths > 0
        sums = np.add.reduceat(weighted[phr_col], starts[nonempty])
        phr_weight[nonempty] = sums
    informative = float(np.median(idf[in_entries])) if in_entries.any() else 0.0
    counts = np.diff(np.append(entry_start, len(phr_sets))).astype(np.float64)
    boost = 1.0 + weights.sparse_answer / np.maximum(counts, 1.0)
    return FaqIndex(
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
        phr_units=phr_sets,
        entry_units=entry_units,
        answer_units=answer_units,
        signature={},
        keyword_units=keyword_units,
        max_idf=max_idf,
        informative_idf=informative,
        weighted=weighted,
        bigram=bigram,
        n_entry_units=n_entry_units,
        answer_boost=np.minimum(boost, 1.0 / max(weights.answer_text, 1e-9)),
        df=np.diff(entry_ptr),
        answer_df=np.diff(answer_ptr),
    )
