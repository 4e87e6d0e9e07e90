"""Vietnamese text normalisation: Unicode, case, diacritics folding, punctuation."""

from __future__ import annotations

import re
import unicodedata

_TOKEN_RE = re.compile(r"[0-9a-z]+")
# Combining marks left after NFD decomposition (tones and vowel hats/horns/breves).
_COMBINING_RE = re.compile(r"[\u0300-\u036f]")


def fold_diacritics(text: str) -> str:
    """Strip Vietnamese diacritics: 'Đăng ký' -> 'Dang ky' (đ/Đ become d/D)."""
    decomposed = unicodedata.normalize("NFD", text or "")
    stripped = _COMBINING_RE.sub("", decomposed)
    return stripped.replace("đ", "d").replace("Đ", "D")


def fold_text(text: str) -> str:
    """Lower-case, diacritic-free, punctuation-free text with single spaces."""
    return " ".join(tokenize(text))


def tokenize(text: str) -> list[str]:
    """Folded alphanumeric tokens of `text` (NFD makes NFC and NFD input alike)."""
    return _TOKEN_RE.findall(fold_diacritics((text or "").lower()))
