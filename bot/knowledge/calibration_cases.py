"""Self-supervised cases for calibrating the decision, generated from the FAQ itself: every
phrasing held out in turn and asked clean or perturbed the way citizens type, entries held out
whole, and the bundled out-of-scope chat lines; and running them through a matcher."""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from bot.knowledge.match_types import Exclusion
from bot.knowledge.normalize import tokenize

if TYPE_CHECKING:
    from bot.knowledge.matcher import Matcher

SEED = 20240601
# Case budget: small FAQs get every phrasing several times, large ones a sample.
IN_SCOPE_CASES = 1600
UNCOVERED_CASES = 200
OUT_OF_SCOPE_CASES = 700
LARGE_FAQ = 1000  # entries; a larger FAQ gets a sixth of the cases: calibrating stays under 1 s


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
