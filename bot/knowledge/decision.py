"""The decision the matcher applies: features of the top candidates and of the query, the
logistic models read on them (fitted with numpy, Newton's method, optionally signed and pulled
towards a prior), the `Decision` that re-ranks and decides answer / suggest / none, and the prior
fitted on the bundled FAQ (data/decision_prior.json). bot/knowledge/calibration.py fits them."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import numpy as np

from bot.knowledge.match_types import MatchStatus, QueryFeatures, Scored
from bot.knowledge.reranker import RANK_FEATURES, RERANK_DEPTH, rank_matrix, softmax

COVERED, COVERED_SCORE = 0.9, 0.5  # a question this well covered is at least suggested
# The re-ranker's softmax share of the first candidate must reach this to answer: below it, a
# second entry fits nearly as well (chosen on the dev split: the FAQ stripped to one variant per
# entry keeps <= 2% confidently wrong, the whole FAQ loses no right answer).
MIN_RANK_SHARE = 0.7
# The first must lead the second by this much in re-ranker logits: two entries that fit almost
# equally, the citizen chooses.
MIN_ANSWER_MARGIN = 0.12
# ... and the first must not score below the second lexically: when the re-ranker overturns
# the lexical order, the citizen chooses (dev split: confidently wrong 2.4% -> 1.8% with half
# the entries reduced to their question, for 1.8 points of answers)
MIN_SCORE_MARGIN = 0.0
# ... unless the re-ranker is this sure of its order and the first covers more of the question
# (5-fold CV over the prior's labelled questions: strict +2.1 points with half the entries
# reduced to their question, +0.6 on the third foreign FAQ, confidently wrong unchanged)
OVERTURN_SHARE = 0.8
DECISION_FEATURES = (
    "bias", "score", "margin", "lexical", "recall", "precision", "fuzzy", "fuzzy_margin",
    "answer_share", "rare", "signature", "signature_margin", "place", "number", "uncovered",
    "length", "unknown", "repaired", "second_score", "recall_x_length", "score_x_length",
    "phrasings", "rank_share", "rank_odds", "distinct", "distinct_margin",
)  # fmt: skip
# The direction each decision feature may push the probability (+1 up, -1 down, 0 either way):
# a weight fitted against its direction is an artefact of the generated cases, and is dropped.
DECISION_SIGNS = (
    0, 1, 1, 1, 1, 1, 1, 1,
    -1, 1, 1, 1, -1, -1, -1,
    0, -1, -1, 0, 0, 0,
    0, 1, 1, 1, 1,
)  # fmt: skip


# --------------------------------------------------------------------------- features


def decision_vector(scored: list[Scored], query: QueryFeatures) -> np.ndarray:
    top = scored[0]
    second = scored[1] if len(scored) > 1 else None
    s2 = second.score if second else 0.0
    return np.array(
        [
            1.0,
            top.score,
            top.score - s2,
            top.lexical,
            top.recall,
            top.precision,
            top.fuzzy,
            top.fuzzy - (second.fuzzy if second else 0.0),
            top.answer_share,
            top.rare,
            top.signature,
            top.signature - (second.signature if second else 0.0),
            top.place,
            top.number,
            top.uncovered,
            query.length,
            query.unknown,
            query.repaired,
            s2,
            top.recall * query.length,
            top.score * query.length,
            math.log1p(top.phrasings),
            top.rank_share,
            math.log(min(max(top.rank_share, 1e-3), 1 - 1e-3) / max(1 - top.rank_share, 1e-3)),
            top.distinct,
            top.distinct - (second.distinct if second else 0.0),
        ],
        dtype=np.float64,
    )


# --------------------------------------------------------------------------- model


def sigmoid(z: np.ndarray | float):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    sample_weight: np.ndarray | None = None,
    prior: np.ndarray | None = None,
    strength: float = 1.0,
    iterations: int = 25,
) -> np.ndarray:
    """MAP logistic regression with a Gaussian prior N(prior, 1/strength) by Newton's method."""
    n, d = x.shape
    sw = np.ones(n) if sample_weight is None else sample_weight
    w0 = np.zeros(d) if prior is None else prior.astype(np.float64)
    w = w0.copy()
    ridge = strength * np.eye(d)
    for _ in range(iterations):
        p = sigmoid(x @ w)
        gradient = x.T @ (sw * (p - y)) + strength * (w - w0)
        hessian = (x * (sw * p * (1 - p))[:, None]).T @ x + ridge
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-7:
            break
    return w


def fit_signed(
    x: np.ndarray,
    y: np.ndarray,
    sample_weight: np.ndarray,
    prior: np.ndarray | None,
    strength: float,
    signs: tuple[int, ...] = DECISION_SIGNS,
) -> np.ndarray:
    """Logistic regression whose weights keep their expected signs: a feature fitted against
    its direction is removed and the rest refitted, until none is."""
    active = np.ones(x.shape[1], dtype=bool)
    sign = np.asarray(signs)
    w = np.zeros(x.shape[1])
    for _ in range(x.shape[1]):
        sub_prior = None if prior is None else prior[active]
        w = np.zeros(x.shape[1])
        w[active] = fit_logistic(x[:, active], y, sample_weight, sub_prior, strength)
        wrong = active & (sign * w < 0)
        if not wrong.any():
            break
        # drop the most clearly wrong one first
        worst = int(np.argmax(np.where(wrong, -sign * w, -np.inf)))
        active[worst] = False
    return w


@dataclass
class Decision:
    """Fitted re-ranker and decision for one FAQ."""

    rank_weights: np.ndarray | None = None
    answer_weights: np.ndarray = field(default_factory=lambda: np.zeros(len(DECISION_FEATURES)))
    top3_weights: np.ndarray = field(default_factory=lambda: np.zeros(len(DECISION_FEATURES)))
    answer_threshold: float = 0.9
    suggest_threshold: float = 0.3
    min_rank_share: float = 0.0  # MIN_RANK_SHARE in the fitted decisions
    # intercepts of generated cases, kept apart from real questions (see fit_decision)
    answer_offset: float = 0.0
    top3_offset: float = 0.0
    report: dict = field(default_factory=dict)

    def rerank(self, scored: list[Scored], query: QueryFeatures) -> list[Scored]:
        if not scored:
            return scored
        if self.rank_weights is None:
            logits = np.array([4.0 * s.score for s in scored])
        else:
            logits = rank_matrix(scored, query) @ self.rank_weights
        # entries sharing nothing with the query (all features 0, logit 0) fill the list up to
        # RERANK_DEPTH: a lone weak candidate is not a sure one
        padding = np.zeros(max(RERANK_DEPTH - len(logits), 0))
        shares = softmax(np.concatenate([logits, padding]))[: len(logits)]
        for s, z, share in zip(scored, logits.tolist(), shares.tolist(), strict=True):
            s.rank_logit = z
            s.rank_share = share
        return sorted(scored, key=lambda s: (-s.rank_logit, s.entry))

    def probabilities(self, scored: list[Scored], query: QueryFeatures) -> tuple[float, float]:
        if not scored:
            return 0.0, 0.0
        v = decision_vector(scored, query)
        return float(sigmoid(v @ self.answer_weights)), float(sigmoid(v @ self.top3_weights))

    def decide(self, scored: list[Scored], query: QueryFeatures):
        p1, p3 = self.probabilities(scored, query)
        clear = scored[0].rank_share >= self.min_rank_share
        if p1 >= self.answer_threshold and clear and not _tied(scored):
            return MatchStatus.ANSWER, p1
        if p3 >= self.suggest_threshold:
            return MatchStatus.SUGGEST, p1
        top = scored[0]
        if top.recall >= COVERED and top.score >= COVERED_SCORE:
            return MatchStatus.SUGGEST, p1  # every word of the question is in these entries
        return MatchStatus.NONE, p1

    def to_json(self) -> dict:
        return {
            "candidate_features": list(RANK_FEATURES),
            "decision_features": list(DECISION_FEATURES),
            "rank_weights": None if self.rank_weights is None else self.rank_weights.tolist(),
            "answer_weights": self.answer_weights.tolist(),
            "top3_weights": self.top3_weights.tolist(),
            "answer_threshold": self.answer_threshold,
            "suggest_threshold": self.suggest_threshold,
            "min_rank_share": self.min_rank_share,
            "answer_offset": self.answer_offset,
            "top3_offset": self.top3_offset,
        }


def _tied(scored: list[Scored]) -> bool:
    """The first two candidates cannot be told apart: the re-ranker hardly separates them, or
    it overturned the lexical order without being sure and without the question favouring its
    choice (the first covering more of it: "vneid" alone fits two entries equally, whatever
    their phrasings say)."""
    if len(scored) < 2:
        return False
    first, second = scored[0], scored[1]
    if first.rank_logit - second.rank_logit < MIN_ANSWER_MARGIN:
        return True
    overturned = second.score >= first.score - MIN_SCORE_MARGIN
    trusted = first.rank_share >= OVERTURN_SHARE and first.recall > second.recall + 1e-9
    return overturned and not trusted


@cache
def _prior_json() -> dict | None:
    try:
        text = resources.files("bot.knowledge").joinpath("data/decision_prior.json").read_text()
        data = json.loads(text)
    except (OSError, ValueError):
        return None
    if data.get("candidate_features") != list(RANK_FEATURES) or data.get(
        "decision_features"
    ) != list(DECISION_FEATURES):
        return None  # written for other features: refit with `python -m bot.knowledge.calibration`
    return data


def prior_decision() -> Decision:
    """The decision fitted on the bundled FAQ (a starting point for every other FAQ)."""
    data = _prior_json()
    if data is None:
        return Decision()
    rank = data.get("rank_weights")
    return Decision(
        rank_weights=None if rank is None else np.asarray(rank, dtype=np.float64),
        answer_weights=np.asarray(data["answer_weights"], dtype=np.float64),
        top3_weights=np.asarray(data["top3_weights"], dtype=np.float64),
        answer_threshold=float(data["answer_threshold"]),
        suggest_threshold=float(data["suggest_threshold"]),
        min_rank_share=float(data.get("min_rank_share", MIN_RANK_SHARE)),
        answer_offset=float(data.get("answer_offset", 0.0)),
        top3_offset=float(data.get("top3_offset", 0.0)),
    )
