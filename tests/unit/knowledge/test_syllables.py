"""Typo repair leaves real Vietnamese words alone: only malformed tokens are typos."""

import pytest

from bot.knowledge.analyzer import Analyzer
from bot.knowledge.syllables import is_syllable


@pytest.mark.parametrize(
    "token", ["bau", "khuyen", "nghieng", "quyen", "giay", "ngoai", "huou", "a", "uong", "sim"]
)
def test_vietnamese_syllables(token: str) -> None:
    assert is_syllable(token)


@pytest.mark.parametrize("token", ["vnied", "khaon", "muk", "dag", "wifi", "zalo", "kahu", "app"])
def test_malformed_tokens(token: str) -> None:
    assert not is_syllable(token)


def test_repair_fixes_typos_but_not_words_the_faq_lacks() -> None:
    analyzer = Analyzer({})
    analyzer.set_vocabulary(["ba", "mat", "khau", "vneid", "khoan"], [])
    repaired = analyzer.repair(["bau", "khaon", "vnied", "khau"])
    assert repaired == [("bau", True), ("khoan", False), ("vneid", False), ("khau", True)]
