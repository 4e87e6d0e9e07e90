import unicodedata

import pytest

from bot.knowledge.analyzer import Analyzer
from bot.knowledge.normalize import fold_diacritics, fold_text, tokenize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đăng ký tài khoản", "dang ky tai khoan"),
        ("ĐĂNG KÝ VNeID mức 2???", "dang ky vneid muc 2"),
        ("  nhiều   khoảng\ttrắng\n", "nhieu khoang trang"),
        ("Thuế, phí & lệ phí!", "thue phi le phi"),
        ("", ""),
    ],
)
def test_fold_text(text: str, expected: str) -> None:
    assert fold_text(text) == expected


def test_nfd_and_nfc_inputs_fold_the_same() -> None:
    nfc = "Căn cước công dân gắn chíp"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd
    assert fold_text(nfc) == fold_text(nfd) == "can cuoc cong dan gan chip"


def test_d_with_stroke_folds_to_d() -> None:
    assert fold_diacritics("Đường đi") == "Duong di"


def test_tokenize_splits_urls_and_punctuation() -> None:
    assert tokenize("vào dichvucong.gov.vn nhé!") == ["vao", "dichvucong", "gov", "vn", "nhe"]


def test_abbreviations_expand_longest_first() -> None:
    analyzer = Analyzer({"ko": "không", "dvc": "dịch vụ công", "dvc qg": "dịch vụ công quốc gia"})
    assert analyzer.expand(tokenize("dvc qg ko vao dc")) == [
        "dich", "vu", "cong", "quoc", "gia", "khong", "vao", "dc",
    ]  # fmt: skip


def test_filler_is_dropped_but_words_that_fold_onto_content_stay() -> None:
    analyzer = Analyzer({})
    tokens = analyzer.strip_filler(tokenize("cho mình hỏi bán ảnh chứng minh thư ạ"))
    # "bán" (sell) folds like "bạn" and "ảnh" (photo) like "anh": both must survive.
    assert tokens == ["ban", "anh", "chung", "minh", "thu"]


def test_typos_and_glued_words_are_repaired_against_the_vocabulary() -> None:
    analyzer = Analyzer({})
    analyzer.set_vocabulary({"dang", "ky", "vneid", "tai", "khoan"}, {("dang", "ky")})
    repaired = analyzer.repair(["dag", "ky", "dangky", "vneid", "xyzzy"])
    assert repaired == [
        ("dang", False), ("ky", True), ("dang", True), ("ky", True), ("vneid", True), ("xyzzy", True),
    ]  # fmt: skip
