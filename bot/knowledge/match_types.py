"""What the matcher works with and answers: weights, query tokens and analyses, scored
candidates, the features the decision reads, and the result of a match."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.knowledge.smalltalk import SmalltalkKind


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
    question_recall: float = 0.0  # share of the query weight its phrasings and keywords cover
    answer_recall: float = 0.0  # share of the query weight its answer text covers
    distinct: float = 0.0  # query weight it covers, each word shared among the candidates having it
    phrasings: int = 0  # how many phrasings the entry has (the held-out one not counted)
    score: float = 0.0  # ranking score in [0, 1]
    rank_logit: float = 0.0  # the re-ranker's logit
    rank_share: float = 0.0  # softmax of the logits over the query's candidates


@dataclass
class QueryFeatures:
    length: float  # log(1 + content tokens)
    unknown: float  # share of the query weight in words no FAQ phrasing or answer has
    repaired: float  # share of typo-repaired tokens
