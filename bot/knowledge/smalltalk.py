"""Greetings, thanks and goodbyes: recognised on folded tokens, answered without the FAQ."""

from __future__ import annotations

from enum import StrEnum


class SmalltalkKind(StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    BYE = "bye"
    IDENTITY = "identity"
    PRAISE = "praise"
    COMPLAINT = "complaint"


# Folded phrases (diacritics removed); longest phrases are tried first.
_PHRASES: dict[SmalltalkKind, tuple[str, ...]] = {
    SmalltalkKind.GREETING: (
        "xin chao", "chao ban", "chao bot", "chao ad", "chao em", "chao anh", "chao chi",
        "chao buoi sang", "chao buoi chieu", "chao buoi toi", "chao", "hello", "helo", "hi",
        "hey", "alo", "a lo", "xin chao ban", "good morning", "e oi", "ad oi", "bot oi",
        "ban oi", "co ai khong", "co ai ko", "start",
    ),
    SmalltalkKind.THANKS: (
        "cam on", "cam on ban", "cam on nhieu", "cam on nhe", "cam on bot", "cam on ad",
        "thanks", "thank you", "thank", "thanks you", "tks", "thks", "ty", "camon", "cmon",
        "da cam on", "xin cam on", "cam on a",
    ),
    SmalltalkKind.BYE: (
        "tam biet", "bye", "bye bye", "bai bai", "goodbye", "hen gap lai", "chao tam biet",
        "di day", "thoi nhe",
    ),
    SmalltalkKind.IDENTITY: (
        "ban la ai", "bot la ai", "ban la gi", "may la ai", "ban ten gi", "ban ten la gi",
        "ai day", "ban la nguoi hay may", "ban co phai nguoi khong",
        # chit-chat about the bot itself: "ad tên gì thế, bao nhiêu tuổi rồi"
        "ten gi", "ten la gi", "bao nhieu tuoi", "may tuoi", "la nguoi that", "nguoi that khong",
        "nguoi that ko", "co nguoi yeu chua", "co nguoi yeu khong", "an com chua",
        "dang lam gi", "khoe khong", "co khoe khong", "la nam hay nu",
    ),
    SmalltalkKind.PRAISE: (
        "hay qua", "tot qua", "gioi qua", "tuyet voi", "ok", "oke", "okie", "okay", "duoc roi",
        "hieu roi", "da hieu", "tot", "good", "great", "hay", "like",
    ),
    SmalltalkKind.COMPLAINT: (
        "ngu qua", "te qua", "khong hieu gi", "vo dung", "chan qua", "bot ngu", "do te",
    ),
}  # fmt: skip

# Tokens that may surround smalltalk without changing it ("dạ cảm ơn bạn nhiều ạ").
_PADDING = frozenset(
    "a ak ah da vang nhe nha nhieu lam qua ban bot ad admin em anh chi minh toi oi "
    "nhe nhi ha hi hihi hehe haha ok roi thi the vay".split()
)


def _phrase_index() -> list[tuple[tuple[str, ...], SmalltalkKind]]:
    pairs = [(tuple(p.split()), kind) for kind, phrases in _PHRASES.items() for p in phrases]
    return sorted(pairs, key=lambda pair: -len(pair[0]))


_INDEX = _phrase_index()
_BY_FIRST: dict[str, list[tuple[tuple[str, ...], SmalltalkKind]]] = {}
for _phrase, _kind in _INDEX:  # longest first within each first token
    _BY_FIRST.setdefault(_phrase[0], []).append((_phrase, _kind))


def split_smalltalk(tokens: list[str]) -> tuple[list[SmalltalkKind], list[str]]:
    """Remove smalltalk phrases from folded tokens; return (kinds found, remaining tokens)."""
    kinds, kept = smalltalk_positions(tokens)
    return kinds, [tokens[i] for i in kept]


# Kinds whose phrases are dropped from a message that also asks something ("chào ad, cho hỏi...").
# The others stay: "người thật" in "muốn gặp người thật", "tên gì" in "đổi tên gì", "tốt" in
# "bằng tốt nghiệp" are what the message asks about.
FRAMING = frozenset({SmalltalkKind.GREETING, SmalltalkKind.THANKS, SmalltalkKind.BYE})


def smalltalk_positions(
    tokens: list[str], kinds_dropped: frozenset[SmalltalkKind] | None = None
) -> tuple[list[SmalltalkKind], list[int]]:
    """(kinds of the smalltalk phrases found, positions of the tokens that are not smalltalk);
    with `kinds_dropped`, phrases of the other kinds are kept as ordinary tokens."""
    kinds: list[SmalltalkKind] = []
    if _BY_FIRST.keys().isdisjoint(tokens):
        return kinds, list(range(len(tokens)))
    kept: list[int] = []
    i = 0
    while i < len(tokens):
        for phrase, kind in _BY_FIRST.get(tokens[i], ()):
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                if kinds_dropped is not None and kind not in kinds_dropped:
                    kept.extend(range(i, i + len(phrase)))
                else:
                    kinds.append(kind)
                i += len(phrase)
                break
        else:
            kept.append(i)
            i += 1
    return kinds, kept


def detect_smalltalk(tokens: list[str]) -> SmalltalkKind | None:
    """The smalltalk kind if the message is nothing but smalltalk, else None."""
    kinds, rest = split_smalltalk(tokens)
    if not kinds or any(token not in _PADDING for token in rest):
        return None
    # "chào, cảm ơn nhé" is thanks: the last non-greeting kind carries the intent.
    meaningful = [k for k in kinds if k is not SmalltalkKind.GREETING]
    return meaningful[-1] if meaningful else SmalltalkKind.GREETING
