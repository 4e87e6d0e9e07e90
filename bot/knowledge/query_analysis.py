"""Query analysis: fold and tokenize a citizen's message, expand abbreviations and phrases, drop
smalltalk and filler, repair typos, mark place names, and weigh the asking clause of a long
message above its story."""

from __future__ import annotations

from functools import cache
from importlib import resources

from bot.knowledge.analyzer import Analyzer
from bot.knowledge.match_types import Analysis, QueryToken, Weights
from bot.knowledge.normalize import tokenize
from bot.knowledge.smalltalk import FRAMING, detect_smalltalk, smalltalk_positions

MAX_QUERY_TOKENS = 120


def bundled_phrases() -> dict[str, str]:
    """Phrase synonyms shipped with the bot (bot/knowledge/data/phrases.yaml)."""
    return _bundled_table("phrases.yaml", "phrases")


def bundled_abbreviations() -> dict[str, str]:
    """Chat abbreviations shipped with the bot (bot/knowledge/data/abbreviations.yaml)."""
    return _bundled_table("abbreviations.yaml", "synonyms")


@cache
def _bundled_table(name: str, key: str) -> dict[str, str]:
    import yaml

    text = resources.files("bot.knowledge").joinpath(f"data/{name}").read_text("utf-8")
    data = yaml.safe_load(text) or {}
    return {str(k).lower(): str(v) for k, v in (data.get(key) or {}).items()}


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


def analyze(analyzer: Analyzer, weights: Weights, text: str) -> Analysis:
    """Smalltalk kind (if the text is only smalltalk) and the weighted content tokens."""
    raw = tokenize(text)[:MAX_QUERY_TOKENS]
    expanded, shares = analyzer.expand_weighted(raw)
    kind = detect_smalltalk(expanded)
    if kind is not None:
        return Analysis(kind, [])
    _, kept_positions = smalltalk_positions(expanded, FRAMING)
    without_smalltalk = [expanded[i] for i in kept_positions]
    shares = [shares[i] for i in kept_positions]
    focus = clause_focus(without_smalltalk, weights.story)
    places = _place_positions(without_smalltalk)
    kept = analyzer.strip_filler_positions(without_smalltalk)
    tokens: list[QueryToken] = []
    for position in kept:
        for token, exact in analyzer.repair([without_smalltalk[position]]):
            weight = focus[position] * shares[position]
            tokens.append(QueryToken(token, exact, position in places, weight))
    return Analysis(None, tokens, " ".join(t.token for t in tokens))


def clause_focus(tokens: list[str], story: float) -> list[float]:
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
    return [1.0 if a <= i < b else story for i in range(n)]
