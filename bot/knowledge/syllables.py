"""Whether a folded token can be a Vietnamese syllable.

A word typed by a citizen that the FAQ does not know is either a typo of a FAQ word ("vnied",
"khaon", "muk") or a real word the FAQ does not use ("bầu" in "bầu cử", folded "bau"). Typos
of this kind rarely spell a well-formed syllable; real words always do. Typo repair is for the
first kind only: repairing "bau" to "ba" makes a question about an election look like one about
the FAQ. The pattern is permissive (onset, optional medial glide, nucleus, optional coda, all
with diacritics folded): it accepts every Vietnamese syllable and some that do not exist.
"""

from __future__ import annotations

import re

_ONSET = "ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|g|h|k|l|m|n|p|r|s|t|v|x"
_NUCLEUS = "uye|uya|ia|ie|ya|ye|ua|uo|oo|a|e|i|o|u|y"
_CODA = "ch|ng|nh|c|m|n|p|t|i|y|o|u"
_SYLLABLE = re.compile(rf"(?:{_ONSET})?[ou]?(?:{_NUCLEUS})(?:{_CODA})?")


def is_syllable(token: str) -> bool:
    """True when the folded `token` is shaped like a Vietnamese syllable ("bau", "khuyen")."""
    return _SYLLABLE.fullmatch(token) is not None
