"""Decisions fitted to the FAQ that is loaded.

When a Matcher is built, cases are generated from the FAQ itself:

* every phrasing (question or variant) is held out in turn and asked against the rest, clean or
  perturbed the way citizens type: diacritics folded, abbreviations from `_synonyms.yaml` used in
  reverse, typos, glued, dropped and reordered words, filler, greetings, long situational
  wrappers;
* some entries are held out whole: a near-domain question the FAQ does not cover;
* the bundled out-of-scope chat lines (`data/out_of_scope.txt`).

Two small logistic regressions (numpy, Newton's method, a Gaussian prior centred on the weights
fitted on the bundled FAQ) read features of the top candidates: one predicts "the first
candidate is right", the other "the right entry is among the first three". A third, pointwise,
re-ranks the candidates. The answer threshold is the lowest probability at which the generated
cases stay under the target rates of confident mistakes; everything is seeded and deterministic.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

from bot.knowledge.normalize import tokenize

if TYPE_CHECKING:
    from bot.knowledge.match_types import QueryFeatures, Scored
    from bot.knowledge.matcher import Matcher

SEED = 20240601
# Target rates on the generated cases; real questions are harder, so these sit well below the
# product targets (<= 1% confidently wrong, >= 93% out of scope rejected).
COVERED, COVERED_SCORE = 0.9, 0.5  # a question this well covered is at least suggested
MIN_ANSWER_MARGIN = 0.03  # two entries that fit almost equally: the citizen chooses
# Answer when P(first candidate right) >= this; suggest when P(right among three) >= that.
# Chosen on the dev split (bundled FAQ, whole and stripped to one variant per entry) for at most
# 1% confidently wrong; the probabilities come from weights fitted to each FAQ at load time.
ANSWER_THRESHOLD = 0.75
SUGGEST_THRESHOLD = 0.2
MAX_OUT_OF_SCOPE_ANSWERS = 0.06  # bundled out-of-scope lines answered at most
MAX_THRESHOLD = 0.97
UNCOVERED_SHARE = 0.2  # weight of held-out entries, relative to the in-scope cases
OUT_OF_SCOPE_SHARE = 0.4  # weight of the out-of-scope lines, relative to the in-scope cases
SELF_CASE_WEIGHT = 0.3  # a generated case weighs this much; a labelled question (prior) 1
REAL_CASE_WEIGHT = 3.0
# How strongly a FAQ's own fit is pulled towards the prior. Strong on purpose: a FAQ whose
# generated cases are dominated by thousands of near-identical procedure entries must not
# talk the decision out of answering citizens' questions about the other entries.
ADAPT_STRENGTH = 3000.0
PRIOR_RIDGE = 2.0
# Case budget: small FAQs get every phrasing several times, large ones a sample.
IN_SCOPE_CASES = 1600
UNCOVERED_CASES = 200
OUT_OF_SCOPE_CASES = 700
LARGE_FAQ = 1000  # entries; a larger FAQ gets a sixth of the cases: calibrating stays under 1 s

CANDIDATE_FEATURES = (
    "score", "lexical", "recall", "precision", "fuzzy", "answer_share", "rare", "signature",
    "place", "number", "uncovered", "score_gap", "fuzzy_gap", "recall_gap",
)  # fmt: skip
DECISION_FEATURES = (
    "bias", "score", "margin", "lexical", "recall", "precision", "fuzzy", "fuzzy_margin",
    "answer_share", "rare", "signature", "signature_margin", "place", "number", "uncovered",
    "length", "unknown", "repaired", "second_score", "recall_x_length", "score_x_length",
    "phrasings",
)  # fmt: skip
# The direction each decision feature may push the probability (+1 up, -1 down, 0 either way):
# a weight fitted against its direction is an artefact of the generated cases, and is dropped.
DECISION_SIGNS = (
    0, 1, 1, 1, 1, 1, 1, 1,
    -1, 1, 1, 1, -1, -1, -1,
    0, -1, -1, 0, 0, 0,
    0,
)  # fmt: skip


# --------------------------------------------------------------------------- features


def candidate_matrix(scored: list[Scored]) -> np.ndarray:
    if not scored:
        return np.zeros((0, len(CANDIDATE_FEATURES)))
    best_score = max(s.score for s in scored)
    best_fuzzy = max(s.fuzzy for s in scored)
    best_recall = max(s.recall for s in scored)
    return np.array(
        [
            [
                s.score, s.lexical, s.recall, s.precision, s.fuzzy, s.answer_share, s.rare,
                s.signature, s.place, s.number, s.uncovered, s.score - best_score,
                s.fuzzy - best_fuzzy, s.recall - best_recall,
            ]
            for s in scored
        ],
        dtype=np.float64,
    )  # fmt: skip


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
        ],
        dtype=np.float64,
    )


# --------------------------------------------------------------------------- model


def _sigmoid(z: np.ndarray | float):
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
        p = _sigmoid(x @ w)
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
    # intercepts of generated cases, kept apart from real questions (see fit_decision)
    answer_offset: float = 0.0
    top3_offset: float = 0.0
    report: dict = field(default_factory=dict)

    def rerank(self, scored: list[Scored], query: QueryFeatures) -> list[Scored]:
        if not scored:
            return scored
        if self.rank_weights is None:
            for s in scored:
                s.rank_logit = 4.0 * s.score
            return scored
        logits = candidate_matrix(scored) @ self.rank_weights[1:] + self.rank_weights[0]
        for s, z in zip(scored, logits.tolist(), strict=True):
            s.rank_logit = z
        return sorted(scored, key=lambda s: (-s.rank_logit, s.entry))

    def probabilities(self, scored: list[Scored], query: QueryFeatures) -> tuple[float, float]:
        if not scored:
            return 0.0, 0.0
        v = decision_vector(scored, query)
        return float(_sigmoid(v @ self.answer_weights)), float(_sigmoid(v @ self.top3_weights))

    def decide(self, scored: list[Scored], query: QueryFeatures):
        from bot.knowledge.match_types import MatchStatus

        p1, p3 = self.probabilities(scored, query)
        tied = len(scored) > 1 and scored[0].score - scored[1].score < MIN_ANSWER_MARGIN
        if p1 >= self.answer_threshold and not tied:
            return MatchStatus.ANSWER, p1
        if p3 >= self.suggest_threshold:
            return MatchStatus.SUGGEST, p1
        top = scored[0]
        if top.recall >= COVERED and top.score >= COVERED_SCORE:
            return MatchStatus.SUGGEST, p1  # every word of the question is in these entries
        return MatchStatus.NONE, p1

    def to_json(self) -> dict:
        return {
            "candidate_features": list(CANDIDATE_FEATURES),
            "decision_features": list(DECISION_FEATURES),
            "rank_weights": None if self.rank_weights is None else self.rank_weights.tolist(),
            "answer_weights": self.answer_weights.tolist(),
            "top3_weights": self.top3_weights.tolist(),
            "answer_threshold": self.answer_threshold,
            "suggest_threshold": self.suggest_threshold,
            "answer_offset": self.answer_offset,
            "top3_offset": self.top3_offset,
        }


@cache
def _prior_json() -> dict | None:
    try:
        text = resources.files("bot.knowledge").joinpath("data/decision_prior.json").read_text()
        data = json.loads(text)
    except (OSError, ValueError):
        return None
    if data.get("candidate_features") != list(CANDIDATE_FEATURES) or data.get(
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
        answer_offset=float(data.get("answer_offset", 0.0)),
        top3_offset=float(data.get("top3_offset", 0.0)),
    )


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class SelfCase:
    text: str
    expected: int | None  # entry number; None: nothing in the FAQ is right
    kind: str  # "phrasing" | "uncovered" | "out_of_scope"
    entry: int | None = None  # held-out entry (phrasing and uncovered cases)
    phrasing: int | None = None  # held-out phrasing (phrasing cases)


@cache
def out_of_scope_lines() -> tuple[str, ...]:
    """The bundled out-of-scope chat lines (data/out_of_scope.txt)."""
    try:
        text = resources.files("bot.knowledge").joinpath("data/out_of_scope.txt").read_text()
    except OSError:
        return ()
    return tuple(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


FILLER_BEFORE = (
    "cho em hoi", "cho minh hoi", "ad oi", "bot oi cho hoi", "xin hoi", "cho toi hoi",
    "em muon hoi", "mn oi", "hoi chut", "cho chau hoi",
)  # fmt: skip
FILLER_AFTER = (
    "a", "vay", "nhe", "voi", "the", "ha ad", "a ad", "vay ta", "nha", "khong biet", "gium em",
)  # fmt: skip
GREETINGS = ("chao ad", "xin chao", "hello bot", "chao ban", "alo", "chao buoi sang")
# Generic stories around a question; no words that name a topic of any FAQ.
STORIES_BEFORE = (
    "nha toi o xa trung tam lam", "toi lon tuoi roi khong ranh may cai nay",
    "hom qua toi hoi may nguoi ma khong ai biet", "con chau di lam het khong ai chi cho",
    "minh loay hoay ca buoi sang roi", "may hom nay toi dang rat can gap",
    "toi moi tu que len o voi con", "nghe hang xom noi vay nen toi hoi thu",
    "em la sinh vien moi ra truong", "ba em nho em hoi giup",
    "toi co doc huong dan roi ma van chua hieu", "chuyen la the nay",
    "toi bi mot chuyen buc minh lam", "hoi dau nam toi co lam mot lan roi",
)  # fmt: skip
STORIES_AFTER = (
    "mong duoc huong dan cu the", "cam on nhieu", "toi can gap lam", "giup toi voi",
    "xin cam on", "tra loi giup minh nhe", "lam on chi giup", "em cam on ad nhieu",
)  # fmt: skip
_VOWELS = "aeiouy"
DROP_RATE = 0.06
TYPO_RATE = 0.07


def _reverse_abbreviations(matcher: Matcher) -> dict[tuple[str, ...], list[str]]:
    """Folded meaning -> the shortest folded abbreviation people type for it."""
    reverse: dict[tuple[str, ...], list[str]] = {}
    for key, value in sorted(matcher.analyzer.abbreviations.items()):
        meaning = tuple(value)
        if not meaning or len(key) > 1:
            continue
        current = reverse.get(meaning)
        if current is None or (len(key[0]), key[0]) < (len(current[0]), current[0]):
            reverse[meaning] = list(key)
    return reverse


def _typo(token: str, rng: random.Random) -> str:
    i = rng.randrange(len(token))
    choice = rng.randrange(4)
    if choice == 0:
        return token[:i] + token[i + 1 :]
    if choice == 1 and i + 1 < len(token):
        return token[:i] + token[i + 1] + token[i] + token[i + 2 :]
    if choice == 2:
        return token[:i] + token[i] + token[i:]
    if token[i] in _VOWELS:
        return token[:i] + rng.choice(_VOWELS) + token[i + 1 :]
    return token[:i] + token[i + 1 :]


def perturb(
    text: str, rng: random.Random, reverse: dict[tuple[str, ...], list[str]], heavy: bool
) -> str:
    """A phrasing retyped like a citizen would: folded, abbreviated, misspelt, padded."""
    tokens = tokenize(text)
    if reverse and rng.random() < 0.7:
        out: list[str] = []
        i = 0
        while i < len(tokens):
            for size in (3, 2, 1):
                key = tuple(tokens[i : i + size])
                if len(key) == size and key in reverse and rng.random() < 0.6:
                    out.extend(reverse[key])
                    i += size
                    break
            else:
                out.append(tokens[i])
                i += 1
        tokens = out
    if heavy:
        if len(tokens) > 4:
            kept = [t for t in tokens if rng.random() > DROP_RATE]
            tokens = kept if len(kept) >= 3 else tokens
        typos = 0
        for i, t in enumerate(tokens):
            if typos < 2 and len(t) >= 4 and not t.isdigit() and rng.random() < TYPO_RATE:
                tokens[i] = _typo(t, rng)
                typos += 1
        if len(tokens) > 2 and rng.random() < 0.06:
            i = rng.randrange(len(tokens) - 1)
            tokens = tokens[:i] + [tokens[i] + tokens[i + 1]] + tokens[i + 2 :]
        if len(tokens) > 3 and rng.random() < 0.25:
            i = rng.randrange(1, len(tokens) - 1)
            tokens = tokens[i:] + tokens[:i]
    before: list[str] = []
    after: list[str] = []
    if rng.random() < 0.15:
        before.append(rng.choice(GREETINGS))
    if heavy and rng.random() < 0.35:
        before.append(rng.choice(STORIES_BEFORE))
    if rng.random() < 0.4:
        before.append(rng.choice(FILLER_BEFORE))
    if rng.random() < 0.35:
        after.append(rng.choice(FILLER_AFTER))
    if heavy and rng.random() < 0.15:
        after.append(rng.choice(STORIES_AFTER))
    return " ".join(before + tokens + after)


def generate_cases(matcher: Matcher, seed: int = SEED) -> list[SelfCase]:
    """Self-supervised cases for the matcher's FAQ (deterministic for a given FAQ)."""
    rng = random.Random(seed)
    reverse = _reverse_abbreviations(matcher)
    book_entries = list(matcher.book.entries.values())
    n = len(book_entries)
    cases: list[SelfCase] = []
    phrasings = [
        (entry, p, text)
        for entry in range(n)
        for p, text in zip(
            matcher.phrasing_range(entry), book_entries[entry].phrasings, strict=True
        )
    ]
    scale = 6 if n > LARGE_FAQ else 1
    in_scope_cases = IN_SCOPE_CASES // scale
    if phrasings:
        rounds = max(1, min(8, round(in_scope_cases / len(phrasings))))
        if rounds * len(phrasings) > in_scope_cases:
            phrasings = _sample_per_file(phrasings, book_entries, in_scope_cases, rng)
        for entry, p, text in phrasings:
            for round_number in range(rounds):
                heavy = round_number % 2 == 1 or rng.random() < 0.3
                query = perturb(text, rng, reverse, heavy)
                cases.append(SelfCase(query, entry, "phrasing", entry, p))
    uncovered_cases = UNCOVERED_CASES // scale
    held = (
        list(range(n))
        if n <= uncovered_cases
        else [
            entry
            for entry, _, _ in _sample_per_file(
                [(e, 0, "") for e in range(n)], book_entries, uncovered_cases, rng
            )
        ]
    )
    if n > 1:
        for entry in held:
            text = rng.choice(book_entries[entry].phrasings)
            cases.append(
                SelfCase(perturb(text, rng, reverse, rng.random() < 0.5), None, "uncovered", entry)
            )
    lines = list(out_of_scope_lines())
    if len(lines) > OUT_OF_SCOPE_CASES // scale:
        lines = rng.sample(lines, OUT_OF_SCOPE_CASES // scale)
    cases.extend(SelfCase(line, None, "out_of_scope") for line in lines)
    return cases


def _sample_per_file(
    phrasings: list[tuple[int, int, str]], entries: list, count: int, rng: random.Random
) -> list[tuple[int, int, str]]:
    """`count` phrasings, each FAQ file getting an equal share (what a small file lacks goes
    to the others): a file of 500 template entries weighs as much as a hand-written one."""
    by_file: dict[str, list[tuple[int, int, str]]] = {}
    for item in phrasings:
        by_file.setdefault(entries[item[0]].source_file, []).append(item)
    groups = [by_file[name] for name in sorted(by_file)]
    chosen: list[tuple[int, int, str]] = []
    remaining = count
    for position, group in enumerate(sorted(groups, key=len)):
        share = remaining // (len(groups) - position)
        take = group if len(group) <= share else rng.sample(group, share)
        chosen.extend(take)
        remaining -= len(take)
    return chosen


@dataclass
class CaseRun:
    case: SelfCase
    scored: list  # Scored candidates, in ranking order before the re-ranker
    query: object  # QueryFeatures


def run_cases(matcher: Matcher, cases: list[SelfCase]) -> list[CaseRun]:
    from bot.knowledge.match_types import Exclusion

    runs = []
    for case in cases:
        exclusion = None
        if case.kind == "phrasing":
            exclusion = Exclusion(case.entry, case.phrasing)
        elif case.kind == "uncovered":
            exclusion = Exclusion(case.entry, None)
        analysis, query, scored = matcher.rank(case.text, exclusion)
        if analysis.smalltalk is not None:
            continue
        runs.append(CaseRun(case, scored, query))
    return runs


# --------------------------------------------------------------------------- fitting


def _design(runs: list[CaseRun]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Decision vectors and labels (first right, right among three) of the runs."""
    vectors, right1, right3, kinds = [], [], [], []
    plain = Decision()
    for run in runs:
        if not run.scored:
            continue
        plain.rerank(run.scored, run.query)
        vectors.append(decision_vector(run.scored, run.query))
        entries = [s.entry for s in run.scored]
        expected = run.case.expected
        right1.append(expected is not None and entries[0] == expected)
        right3.append(expected is not None and expected in entries[:3])
        kinds.append(run.case.kind)
    if not vectors:
        empty = np.zeros(0)
        return np.zeros((0, len(DECISION_FEATURES))), empty, empty, np.asarray([], dtype=str)
    return (
        np.vstack(vectors),
        np.asarray(right1, dtype=np.float64),
        np.asarray(right3, dtype=np.float64),
        np.asarray(kinds),
    )


def _case_weights(kind: np.ndarray) -> np.ndarray:
    """Out-of-scope and uncovered cases weigh a fixed share of the in-scope ones."""
    n_in = max(int((kind == "phrasing").sum()), 1)
    sw = np.ones(len(kind))
    for name, share in (("uncovered", UNCOVERED_SHARE), ("out_of_scope", OUT_OF_SCOPE_SHARE)):
        mask = kind == name
        if mask.any():
            sw[mask] = share * n_in / mask.sum()
    return sw


def _with_offset(x: np.ndarray, value: float) -> np.ndarray:
    return np.hstack([x, np.full((len(x), 1), value)])


def fit_decision(runs: list[CaseRun], prior: Decision | None = None) -> Decision:
    """Adapt the prior's weights to the FAQ's own generated cases.

    Generated cases are not real questions: a held-out phrasing is harder to place than a
    citizen's question when the FAQ has many variants, and easier when it has few. That shift
    is absorbed by an extra intercept ("this is a generated case") that is fitted with the rest
    and dropped when real questions are decided."""
    prior = prior or prior_decision()
    x, y1, y3, kind = _design(runs)
    if not len(x):
        return prior
    sw = _case_weights(kind) * SELF_CASE_WEIGHT
    xs = _with_offset(x, 1.0)
    signs = (*DECISION_SIGNS, 0)
    answer_prior = np.append(prior.answer_weights, prior.answer_offset)
    top3_prior = np.append(prior.top3_weights, prior.top3_offset)
    answer_w = fit_signed(xs, y1, sw, answer_prior, ADAPT_STRENGTH, signs)
    top3_w = fit_signed(xs, y3, sw, top3_prior, ADAPT_STRENGTH, signs)
    decision = Decision(
        answer_weights=answer_w[:-1],
        top3_weights=top3_w[:-1],
        answer_threshold=prior.answer_threshold,
        suggest_threshold=prior.suggest_threshold,
        answer_offset=float(answer_w[-1]),
        top3_offset=float(top3_w[-1]),
    )
    in_scope = kind == "phrasing"
    # Guard: the bundled out-of-scope chat lines must stay (almost all) unanswered against this
    # FAQ's vocabulary; raise the threshold if they would not.
    real_p = _sigmoid(x @ answer_w[:-1])
    out_p = np.sort(real_p[kind == "out_of_scope"])[::-1]
    if len(out_p):
        allowed = int(len(out_p) * MAX_OUT_OF_SCOPE_ANSWERS)
        guard = float(out_p[min(allowed, len(out_p) - 1)]) + 1e-6
        decision.answer_threshold = min(max(decision.answer_threshold, guard), MAX_THRESHOLD)
    p1 = _sigmoid(xs @ answer_w)
    answered = p1 >= decision.answer_threshold
    decision.report = {
        "cases": len(x),
        "in_scope": int(in_scope.sum()),
        "answer_threshold": round(decision.answer_threshold, 4),
        "suggest_threshold": round(decision.suggest_threshold, 4),
        "self_answered_right": round(
            float((answered & (y1 > 0) & in_scope).sum() / max(in_scope.sum(), 1)), 4
        ),
        "self_answered_wrong": round(
            float((answered & (y1 == 0) & in_scope).sum() / max(in_scope.sum(), 1)), 4
        ),
    }
    return decision


def fit_prior(
    sources: list[tuple[Matcher, list]], answer_threshold: float, suggest_threshold: float
) -> Decision:
    """The starting weights every FAQ adapts from: fitted on the generated cases of the given
    FAQs and on labelled citizen questions for them (the dev split), jointly, with the
    generated-case intercept that `fit_decision` keeps apart."""
    from bot.knowledge.match_types import Exclusion  # noqa: F401  (run_cases needs the module)

    blocks_x, blocks_1, blocks_3, blocks_w = [], [], [], []
    for matcher, labelled in sources:
        runs = run_cases(matcher, generate_cases(matcher))
        x, y1, y3, kind = _design(runs)
        blocks_x.append(_with_offset(x, 1.0))
        blocks_1.append(y1)
        blocks_3.append(y3)
        blocks_w.append(_case_weights(kind) * SELF_CASE_WEIGHT)
        real = labelled_runs(matcher, labelled)
        x, y1, y3, _ = _design(real)
        blocks_x.append(_with_offset(x, 0.0))
        blocks_1.append(y1)
        blocks_3.append(y3)
        blocks_w.append(np.full(len(x), REAL_CASE_WEIGHT))
    x = np.vstack(blocks_x)
    sw = np.concatenate(blocks_w)
    signs = (*DECISION_SIGNS, 0)
    answer_w = fit_signed(x, np.concatenate(blocks_1), sw, None, PRIOR_RIDGE, signs)
    top3_w = fit_signed(x, np.concatenate(blocks_3), sw, None, PRIOR_RIDGE, signs)
    return Decision(
        answer_weights=answer_w[:-1],
        top3_weights=top3_w[:-1],
        answer_threshold=answer_threshold,
        suggest_threshold=suggest_threshold,
        answer_offset=float(answer_w[-1]),
        top3_offset=float(top3_w[-1]),
    )


def labelled_runs(matcher: Matcher, labelled: list) -> list[CaseRun]:
    """Runs of labelled questions (evaluation.LabelledCase) against the whole FAQ."""
    ids = {entry_id: number for number, entry_id in enumerate(matcher.book.entries)}
    runs = []
    for case in labelled:
        analysis, query, scored = matcher.rank(case.query)
        if analysis.smalltalk is not None:
            continue
        expected = ids.get(case.expected)
        kind = "phrasing" if expected is not None else "out_of_scope"
        runs.append(CaseRun(SelfCase(case.query, expected, kind), scored, query))
    return runs


def calibrate(matcher: Matcher, seed: int = SEED) -> Decision:
    """Fit the decision to the matcher's FAQ."""
    if matcher.entry_count == 0:
        return prior_decision()
    runs = run_cases(matcher, generate_cases(matcher, seed))
    return fit_decision(runs)


# --------------------------------------------------------------------------- self report


@dataclass
class SelfReport:
    summary: dict
    confusions: list[tuple[str, str, int]]  # (held-out entry, entry ranked first, count)
    by_kind: dict[str, dict]


def self_check(matcher: Matcher, seed: int = SEED + 1) -> SelfReport:
    """Run freshly generated self-supervised cases through the matcher's fitted decision."""
    from bot.knowledge.match_types import MatchStatus

    runs = run_cases(matcher, generate_cases(matcher, seed))
    ids = list(matcher.book.entries)
    decision = matcher.decision
    confusions: Counter[tuple[str, str]] = Counter()
    tallies: dict[str, Counter] = {}
    for run in runs:
        scored = decision.rerank(list(run.scored), run.query)
        kind = run.case.kind
        t = tallies.setdefault(kind, Counter())
        t["cases"] += 1
        status = MatchStatus.NONE
        if scored:
            status, _ = decision.decide(scored, run.query)
        entries = [s.entry for s in scored]
        expected = run.case.expected
        answered = status is MatchStatus.ANSWER
        if expected is None:
            t["answered"] += answered
            continue
        first = entries[0] if entries else None
        t["rank1"] += first == expected
        t["recall3"] += expected in entries[:3]
        t["answered_right"] += answered and first == expected
        t["answered_wrong"] += answered and first != expected
        t["helpful"] += (answered and first == expected) or (
            status is MatchStatus.SUGGEST and expected in entries[:3]
        )
        if first is not None and first != expected:
            confusions[(ids[expected], ids[first])] += 1
    by_kind = {k: dict(v) for k, v in tallies.items()}
    phr = tallies.get("phrasing", Counter())
    negatives = tallies.get("out_of_scope", Counter()) + tallies.get("uncovered", Counter())
    n_in = max(phr["cases"], 1)
    n_neg = max(negatives["cases"], 1)
    summary = {
        "cases": sum(t["cases"] for t in tallies.values()),
        "in_scope": phr["cases"],
        "out_of_scope": negatives["cases"],
        "overall": round(
            (phr["answered_right"] + negatives["cases"] - negatives["answered"])
            / max(phr["cases"] + negatives["cases"], 1),
            4,
        ),
        "helpful": round(phr["helpful"] / n_in, 4),
        "accuracy_at_1": round(phr["answered_right"] / n_in, 4),
        "rank_at_1": round(phr["rank1"] / n_in, 4),
        "recall_at_3": round(phr["recall3"] / n_in, 4),
        "confidently_wrong": round(phr["answered_wrong"] / n_in, 4),
        "out_of_scope_rejected": round(1 - negatives["answered"] / n_neg, 4),
    }
    pairs: Counter[tuple[str, str]] = Counter()
    for (a, b), count in confusions.items():
        pairs[(a, b)] += count
    ranked = sorted(pairs.items(), key=lambda item: (-item[1], item[0]))
    return SelfReport(summary, [(a, b, c) for (a, b), c in ranked], by_kind)


def main() -> None:
    """Refit the bundled prior: python -m bot.knowledge.calibration [faq_dir] [cases.tsv]."""
    import dataclasses
    import sys
    from pathlib import Path

    from bot.knowledge.evaluation import read_cases
    from bot.knowledge.faq_files import FaqBook, load_faq_strict
    from bot.knowledge.matcher import Matcher

    directory = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("faq")
    cases_path = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("tests/data/cases_dev.tsv")
    book = load_faq_strict(directory)
    poor = FaqBook(
        {k: dataclasses.replace(e, variants=e.variants[:1]) for k, e in book.entries.items()},
        book.synonyms,
        book.phrases,
    )
    # half the entries reduced to their question alone: a FAQ being extended
    mixed = FaqBook(
        {
            k: dataclasses.replace(e, variants=(), keywords=()) if i % 2 else e
            for i, (k, e) in enumerate(book.entries.items())
        },
        book.synonyms,
        book.phrases,
    )
    labelled = read_cases(cases_path)
    sources = [(Matcher(b, decision=Decision()), labelled) for b in (book, poor, mixed)]
    decision = fit_prior(sources, ANSWER_THRESHOLD, SUGGEST_THRESHOLD)
    target = Path(__file__).parent / "data" / "decision_prior.json"
    target.write_text(json.dumps(decision.to_json(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
