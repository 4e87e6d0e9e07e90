"""The learned re-ranker: a conditional logit (softmax over one query's candidates) on features of
each of the best candidates, fitted with numpy (Newton's method) by bot/knowledge/calibration.py
and stored in the prior (data/decision_prior.json). It replaces a fixed blend of lexical and
fuzzy scores: which evidence wins (the question's words, the answer text, rapidfuzz, the rarest
word) depends on the entry, and is learned rather than chosen."""

from __future__ import annotations

import math

import numpy as np

from bot.knowledge.match_types import QueryFeatures, Scored

RERANK_DEPTH = 12  # candidates the lexical ranking passes on
RANK_FEATURES = (
    "score", "lexical", "recall", "precision", "fuzzy", "answer_share", "rare", "signature",
    "place", "uncovered", "question_recall", "answer_recall", "phrasings", "sparse_answer",
    "precision_x_question", "fuzzy_x_length", "distinct",
)  # fmt: skip


def rank_matrix(scored: list[Scored], query: QueryFeatures) -> np.ndarray:
    """One row of RANK_FEATURES per candidate."""
    if not scored:
        return np.zeros((0, len(RANK_FEATURES)))
    return np.array(
        [
            [
                s.score, s.lexical, s.recall, s.precision, s.fuzzy, s.answer_share, s.rare,
                s.signature, s.place, s.uncovered, s.question_recall, s.answer_recall,
                math.log1p(s.phrasings), s.answer_recall / (1 + s.phrasings),
                s.precision * s.question_recall, s.fuzzy * query.length, s.distinct,
            ]
            for s in scored
        ],
        dtype=np.float64,
    )  # fmt: skip


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def fit_conditional_logit(
    groups: list[tuple[np.ndarray, np.ndarray]],
    weights: list[float],
    ridge: float = 1.0,
    iterations: int = 30,
) -> np.ndarray:
    """Weights w maximising sum_q weight_q * log softmax(X_q w)[right_q] - ridge/2 |w|^2.
    Each group is (candidate rows, one-hot label of the right candidate)."""
    d = groups[0][0].shape[1] if groups else len(RANK_FEATURES)
    w = np.zeros(d)
    if not groups:
        return w
    for _ in range(iterations):
        gradient = ridge * w
        hessian = ridge * np.eye(d)
        for (x, y), a in zip(groups, weights, strict=True):
            p = softmax(x @ w)
            mean = x.T @ p
            gradient += a * (mean - x.T @ y)
            hessian += a * ((x.T * p) @ x - np.outer(mean, mean))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-7:
            break
    return w


def rank_group(
    scored: list[Scored], query: QueryFeatures, expected: int | None
) -> tuple[np.ndarray, np.ndarray] | None:
    """A training group, or None when the right entry is not among the candidates."""
    entries = [s.entry for s in scored]
    if expected is None or expected not in entries:
        return None
    y = np.array([e == expected for e in entries], dtype=np.float64)
    return rank_matrix(scored, query), y
