"""Query and phrasing analysis: folding, abbreviation expansion, filler removal, typo repair."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from rapidfuzz import fuzz, process

from bot.knowledge.normalize import fold_diacritics, tokenize
from bot.knowledge.syllables import is_syllable

_SEPARATOR = "\x00"  # between texts analysed together; never a token
_STREAM_RE = re.compile(r"[0-9a-z]+|\x00")

# Chat filler that carries no meaning for matching (folded). Words like "lam sao" stay:
# IDF weighting makes them cheap without hiding "lam sao" from a phrasing that needs it.
FILLER_TOKENS = frozenset(
    "a ak ah ha nhe nha nhi oi ad admin em toi tui mik xin vui long giup dum voi "
    "zay nhung hoi biet muon duoc khong roi chua".split()
)
# Folding merges words ("bán"/"bạn", "ảnh"/"anh", "mã"/"mà", "thẻ"/"thế"), so only particles
# and pronouns that never fold onto a content word are dropped. "mình" is kept after "chứng".
# Multi-token filler phrases removed before matching (folded).
FILLER_PHRASES = (
    "cho minh hoi", "cho em hoi", "cho toi hoi", "cho chau hoi", "cho hoi", "xin hoi",
    "minh muon hoi", "em muon hoi", "toi muon hoi", "cho minh xin", "cho em xin",
    "giup minh", "giup em", "giup toi", "huong dan giup", "lam on", "vui long",
    "ad oi", "bot oi", "ban oi", "anh oi", "chi oi", "em oi", "moi nguoi oi", "mn oi",
)  # fmt: skip

TYPO_MIN_LENGTH = 3
TYPO_CUTOFF = 80.0
SHORT_WORD = 4  # words this short may be repaired with one wrong letter after the first two


def _table(
    pairs: Iterable[tuple[list[str], list[str]]],
) -> tuple[dict[tuple[str, ...], list[str]], dict[str, list[int]]]:
    """Key tokens -> replacement tokens, and first token -> key lengths (longest first)."""
    table: dict[tuple[str, ...], list[str]] = {}
    for key, value in pairs:
        if key and key != value:  # "gi: gì" folds to itself
            table[tuple(key)] = value
    sizes: dict[str, list[int]] = {}
    for key in table:
        sizes.setdefault(key[0], []).append(len(key))
    for lengths in sizes.values():
        lengths.sort(reverse=True)
    return table, sizes


EXPANSION_EXPONENT = 1.0  # see Analyzer.expand_weighted


class Analyzer:
    """Turns raw text into folded content tokens, expanding the admin's abbreviations."""

    def __init__(self, synonyms: Mapping[str, str], phrases: Mapping[str, str] | None = None):
        self._expansions, self._expansion_sizes = _table(
            (tokenize(key), tokenize(value)) for key, value in synonyms.items()
        )
        # Phrases are matched after abbreviations are expanded, on both queries and phrasings,
        # so "gửi lộn tk" and "gửi lộn tài khoản" both become "chuyển nhầm tài khoản".
        self._phrases, self._phrase_sizes = _table(
            (self._expand_with(self._expansions, self._expansion_sizes, tokenize(key)),
             self._expand_with(self._expansions, self._expansion_sizes, tokenize(value)))
            for key, value in (phrases or {}).items()
        )  # fmt: skip
        self._filler_phrases: dict[str, list[tuple[str, ...]]] = {}
        for phrase in sorted((tuple(p.split()) for p in FILLER_PHRASES), key=lambda p: -len(p)):
            self._filler_phrases.setdefault(phrase[0], []).append(phrase)
        self._vocabulary: list[str] = []
        self._vocabulary_set: frozenset[str] = frozenset()
        self._joined_pairs: dict[str, tuple[str, str]] = {}
        self._typo_cache: dict[str, str | None] = {}

    def set_vocabulary(self, tokens: Iterable[str], pairs: Iterable[tuple[str, str]]) -> None:
        """Known tokens (for typo repair) and adjacent pairs (to split "dangky" into "dang ky")."""
        self._vocabulary_set = frozenset(tokens)
        self._vocabulary = sorted(self._vocabulary_set)
        self._short_words: dict[str, list[str]] = {}
        for word in self._vocabulary:
            if 3 <= len(word) <= SHORT_WORD:
                self._short_words.setdefault(word[:2], []).append(word)
        self._joined_pairs = {a + b: (a, b) for a, b in pairs if len(a + b) >= 5}
        self._typo_cache.clear()

    def expand(self, tokens: list[str]) -> list[str]:
        """Replace abbreviations ("ko", "dc", "cccd") with their folded expansion, then phrases
        ("app cong an") with their canonical wording ("vneid")."""
        expanded = self._expand_with(self._expansions, self._expansion_sizes, tokens)
        if not self._phrases:
            return expanded
        return self._expand_with(self._phrases, self._phrase_sizes, expanded)

    def expand_weighted(self, tokens: list[str]) -> tuple[list[str], list[float]]:
        """`expand`, with each output token's share of a typed word: an abbreviation or phrase
        typed as k words and written out as n > k counts (k / n) ** EXPANSION_EXPONENT each, so
        "cccd" weighs about as much as one specific word, not as four ("căn cước công dân")."""
        shares = [1.0] * len(tokens)
        tokens, shares = self._expand_shares(
            self._expansions, self._expansion_sizes, tokens, shares
        )
        if self._phrases:
            tokens, shares = self._expand_shares(self._phrases, self._phrase_sizes, tokens, shares)
        return tokens, shares

    @staticmethod
    def _expand_shares(
        table: dict[tuple[str, ...], list[str]],
        sizes_of: dict[str, list[int]],
        tokens: list[str],
        shares: list[float],
    ) -> tuple[list[str], list[float]]:
        if sizes_of.keys().isdisjoint(tokens):
            return list(tokens), list(shares)
        out: list[str] = []
        out_shares: list[float] = []
        i = 0
        while i < len(tokens):
            for size in sizes_of.get(tokens[i], ()):
                replacement = table.get(tuple(tokens[i : i + size]))
                if replacement is not None:
                    base = min(shares[i : i + size])
                    share = base * min(1.0, size / max(len(replacement), 1)) ** EXPANSION_EXPONENT
                    out.extend(replacement)
                    out_shares.extend([share] * len(replacement))
                    i += size
                    break
            else:
                out.append(tokens[i])
                out_shares.append(shares[i])
                i += 1
        return out, out_shares

    @staticmethod
    def _expand_with(
        table: dict[tuple[str, ...], list[str]], sizes_of: dict[str, list[int]], tokens: list[str]
    ) -> list[str]:
        if sizes_of.keys().isdisjoint(tokens):  # the common case, checked in C
            return list(tokens)
        starts = [i for i, token in enumerate(tokens) if token in sizes_of]
        out: list[str] = []
        done = 0
        for i in starts:
            if i < done:
                continue
            out.extend(tokens[done:i])
            done = i + 1
            for size in sizes_of[tokens[i]]:
                replacement = table.get(tuple(tokens[i : i + size]))
                if replacement is not None:
                    out.extend(replacement)
                    done = i + size
                    break
            else:
                out.append(tokens[i])
        out.extend(tokens[done:])
        return out

    def strip_filler(self, tokens: list[str]) -> list[str]:
        return [tokens[i] for i in self.strip_filler_positions(tokens)]

    def strip_filler_positions(self, tokens: list[str]) -> list[int]:
        """Positions of the tokens that are not chat filler."""
        phrases_of = self._filler_phrases
        if phrases_of.keys().isdisjoint(tokens) and "minh" not in tokens:
            return [i for i, token in enumerate(tokens) if token not in FILLER_TOKENS]
        out: list[int] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            for phrase in phrases_of.get(token, ()):
                if tuple(tokens[i : i + len(phrase)]) == phrase:
                    i += len(phrase)
                    break
            else:
                is_pronoun = token == "minh" and (i == 0 or tokens[i - 1] != "chung")
                if token not in FILLER_TOKENS and not is_pronoun:
                    out.append(i)
                i += 1
        return out

    def repair(self, tokens: list[str]) -> list[tuple[str, bool]]:
        """Map unknown tokens to known ones: glued words are split, typos corrected.

        Returns (token, exact) pairs; `exact` is False for a repaired token.
        """
        out: list[tuple[str, bool]] = []
        for token in tokens:
            if token in self._vocabulary_set or token.isdigit():
                out.append((token, True))
            elif token in self._joined_pairs:
                first, second = self._joined_pairs[token]
                out.extend([(first, True), (second, True)])
            else:
                fixed = self._closest(token)
                out.append((fixed, False) if fixed else (token, True))
        return out

    def _closest(self, token: str) -> str | None:
        if len(token) < TYPO_MIN_LENGTH or not self._vocabulary or is_syllable(token):
            return None  # a well-formed syllable is a word the FAQ lacks, not a typo
        if token not in self._typo_cache:
            best = process.extractOne(
                token, self._vocabulary, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF
            )
            if best is None and len(token) <= SHORT_WORD:
                # one wrong letter in a short word ("mứk" for "mức"): same start, same length
                same = [w for w in self._short_words.get(token[:2], ()) if len(w) == len(token)]
                best = process.extractOne(token, same, scorer=fuzz.ratio, score_cutoff=60.0)
            self._typo_cache[token] = best[0] if best else None
            if len(self._typo_cache) > 50_000:
                self._typo_cache.clear()
        return self._typo_cache[token]

    @property
    def abbreviations(self) -> dict[tuple[str, ...], list[str]]:
        """Folded abbreviation -> folded meaning (the synonyms table)."""
        return self._expansions

    def phrasing_tokens(self, text: str) -> list[str]:
        """Tokens of a FAQ phrasing (no typo repair: phrasings define the vocabulary)."""
        return self.strip_filler(self.expand(tokenize(text)))

    def phrasing_tokens_many(self, texts: list[str]) -> list[list[str]]:
        """`phrasing_tokens` of each text, analysed as one stream (a few C-level passes instead
        of thousands of small ones): no abbreviation, phrase or filler spans a separator."""
        if not texts:
            return []
        joined = _SEPARATOR.join(t.replace(_SEPARATOR, " ") for t in texts)
        stream = _STREAM_RE.findall(fold_diacritics(joined.lower()))
        stream = self.expand(stream)
        phrases_of = self._filler_phrases
        dropped: set[int] = set()
        done = 0
        special = phrases_of.keys() | {"minh"}
        for i in [i for i, token in enumerate(stream) if token in special]:
            token = stream[i]
            if token == "minh" and (i == 0 or stream[i - 1] != "chung"):
                dropped.add(i)  # the pronoun, not "chung minh"
            if i < done:
                continue
            for phrase in phrases_of.get(token, ()):
                if tuple(stream[i : i + len(phrase)]) == phrase:
                    dropped.update(range(i, i + len(phrase)))
                    done = i + len(phrase)
                    break
        for i in dropped:
            stream[i] = "a"  # a filler token
        kept = " ".join([token for token in stream if token not in FILLER_TOKENS])
        return [part.split() for part in kept.split(_SEPARATOR)]
