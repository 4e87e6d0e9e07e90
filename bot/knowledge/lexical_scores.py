"""Lexical scoring: a query's units and weights, and their sums over the index's postings."""

from __future__ import annotations

import numpy as np

from bot.knowledge.faq_index import FaqIndex
from bot.knowledge.match_types import Analysis, Weights


def query_units(
    index: FaqIndex, w: Weights, analysis: Analysis, hidden: frozenset[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Unit ids (-1: unknown), weights, matching factors and flags of a query; `hidden`
    units count as unknown."""
    unit_ids = index.unit_ids
    tokens = analysis.tokens
    unknown_weight = w.unknown_token * index.max_idf
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

    weighted = index.weighted
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
        if uid < 0 or uid in hidden or uid >= index.n_entry_units:
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


def accumulate(
    ptr: np.ndarray, post: np.ndarray, units: np.ndarray, weights: np.ndarray, n_targets: int
) -> np.ndarray:
    """Sum of the units' weights over their postings, per target (entry or phrasing)."""
    starts, ends = ptr[units], ptr[units + 1]
    return np.bincount(
        post[ranges(starts, ends)], weights=np.repeat(weights, ends - starts), minlength=n_targets
    ).astype(np.float64, copy=False)  # an empty bincount is integer


def ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenated aranges [start, end) for each pair, vectorised."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return np.arange(total, dtype=np.int64) + offsets
