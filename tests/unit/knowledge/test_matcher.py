"""Decision logic of the matcher on a small FAQ written for the test."""

from pathlib import Path

import pytest

from bot.knowledge.decision import Decision
from bot.knowledge.faq_files import load_faq_strict
from bot.knowledge.match_types import MatchStatus
from bot.knowledge.matcher import Matcher
from bot.knowledge.query_analysis import MAX_QUERY_TOKENS
from bot.knowledge.smalltalk import SmalltalkKind

FAQ = """\
category: Thử nghiệm
entries:
  - id: vneid-muc-2
    question: Làm thế nào để đăng ký tài khoản định danh điện tử VNeID mức 2?
    variants: [Kích hoạt VNeID mức 2 ở đâu, Đăng ký định danh mức 2]
    answer: Mang căn cước công dân gắn chip đến công an xã, phường.
  - id: vneid-quen-mat-khau
    question: Quên mật khẩu VNeID thì làm sao?
    variants: [Lấy lại mật khẩu ứng dụng VNeID]
    answer: Chọn Quên mật khẩu trên màn hình đăng nhập.
  - id: dvc-dang-ky
    question: Đăng ký tài khoản Cổng Dịch vụ công quốc gia thế nào?
    variants: [Tạo tài khoản dịch vụ công]
    answer: Vào dichvucong.gov.vn và chọn Đăng ký.
  - id: dvc-tra-cuu
    question: Tra cứu tình trạng hồ sơ trên Cổng Dịch vụ công
    variants: [Xem hồ sơ đã nộp đến đâu rồi]
    answer: Dùng mục Tra cứu hồ sơ.
  - id: qr-thanh-toan
    question: Thanh toán bằng mã QR như thế nào?
    variants: [Quét mã QR để trả tiền]
    answer: Mở ứng dụng ngân hàng, chọn quét QR.
"""
SYNONYMS = (
    "synonyms:\n  ko: không\n  dc: được\n  tk: tài khoản\n  dvc: dịch vụ công\n  mk: mật khẩu\n"
)


@pytest.fixture(scope="module")
def matcher(tmp_path_factory: pytest.TempPathFactory) -> Matcher:
    directory: Path = tmp_path_factory.mktemp("faq")
    (directory / "test.yaml").write_text(FAQ, encoding="utf-8")
    (directory / "_synonyms.yaml").write_text(SYNONYMS, encoding="utf-8")
    return Matcher(load_faq_strict(directory))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Làm thế nào để đăng ký tài khoản định danh điện tử VNeID mức 2?", "vneid-muc-2"),
        ("lam sao dang ky vneid muc 2", "vneid-muc-2"),
        ("cho mình hỏi quên mk vneid thì lm sao ạ", "vneid-quen-mat-khau"),
        ("tao tk dvc", "dvc-dang-ky"),
        ("thanh toan bang ma qr", "qr-thanh-toan"),
        ("đăg ký vneid mứk 2", "vneid-muc-2"),  # typos
        ("xem ho so da nop den dau roi", "dvc-tra-cuu"),
    ],
)
def test_confident_answers(matcher: Matcher, query: str, expected: str) -> None:
    result = matcher.match(query)
    assert result.status is MatchStatus.ANSWER, result
    assert result.entry_id == expected
    assert result.candidates[0].id == expected


@pytest.mark.parametrize(
    "query",
    [
        "thời tiết hôm nay thế nào",
        "kết quả bóng đá tối qua",
        "vay tiền lãi suất thấp",
        "asdfgh qwerty",
    ],
)
def test_out_of_scope_is_not_bluffed(matcher: Matcher, query: str) -> None:
    assert matcher.match(query).status is MatchStatus.NONE


def test_ambiguous_question_gets_suggestions(matcher: Matcher) -> None:
    result = matcher.match("vneid")  # two VNeID entries fit equally
    assert result.status is MatchStatus.SUGGEST
    assert {c.id for c in result.candidates} >= {"vneid-muc-2", "vneid-quen-mat-khau"}
    assert result.entry_id is None


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("xin chào", SmalltalkKind.GREETING),
        ("hello bot", SmalltalkKind.GREETING),
        ("cam on ban nhieu nha", SmalltalkKind.THANKS),
        ("tạm biệt", SmalltalkKind.BYE),
        ("bạn là ai", SmalltalkKind.IDENTITY),
        ("ad ten gi the, bao nhieu tuoi roi", SmalltalkKind.IDENTITY),
        ("bot có người yêu chưa", SmalltalkKind.IDENTITY),
    ],
)
def test_smalltalk(matcher: Matcher, query: str, kind: SmalltalkKind) -> None:
    result = matcher.match(query)
    assert result.status is MatchStatus.SMALLTALK
    assert result.smalltalk is kind


def test_chit_chat_words_inside_a_question_leave_it_a_question(matcher: Matcher) -> None:
    """ "tên gì" is chit-chat only when nothing else is asked."""
    result = matcher.match("ứng dụng quét mã qr để trả tiền tên gì")
    assert result.status is not MatchStatus.SMALLTALK
    assert result.candidates and result.candidates[0].id == "qr-thanh-toan"


@pytest.mark.parametrize(
    ("query", "kept"),
    [
        ("có người thật trả lời không ạ", {"nguoi", "that"}),
        ("nộp bằng tốt nghiệp ở đâu", {"tot", "nghiep"}),
        ("chào ad, đổi tên gì cũng được à", {"ten"}),
    ],
)
def test_only_greetings_thanks_and_goodbyes_leave_a_question(
    matcher: Matcher, query: str, kept: set[str]
) -> None:
    """Chit-chat and praise phrases inside a question are what it asks about; greetings are
    framing and are dropped."""
    tokens = {t.token for t in matcher.analyze(query).tokens}
    assert kept <= tokens
    assert "chao" not in tokens


def test_greeting_with_a_question_answers_the_question(matcher: Matcher) -> None:
    result = matcher.match("chào bạn, cho mình hỏi cách thanh toán qr với ạ")
    assert result.status is MatchStatus.ANSWER
    assert result.entry_id == "qr-thanh-toan"


@pytest.mark.parametrize("query", ["", "   ", "???", "ạ"])
def test_empty_or_filler_only_is_none(matcher: Matcher, query: str) -> None:
    result = matcher.match(query)
    assert result.status is MatchStatus.NONE
    assert result.candidates == ()


def test_huge_input_is_bounded(matcher: Matcher) -> None:
    """Only the first MAX_QUERY_TOKENS words are read: 20,000 of them decide like 120."""
    bounded = matcher.match("vneid " * MAX_QUERY_TOKENS)
    huge = matcher.match("vneid " * 20_000)
    assert huge.status is MatchStatus.SUGGEST  # two VNeID entries, nothing to tell them apart
    assert {c.id for c in huge.candidates[:2]} == {"vneid-muc-2", "vneid-quen-mat-khau"}
    assert (huge.status, huge.candidates, huge.confidence) == (
        bounded.status,
        bounded.candidates,
        bounded.confidence,
    )
    # A word past the bound changes nothing; the same word inside it decides the match.
    past = matcher.match("vneid " * MAX_QUERY_TOKENS + "thanh toan qr")
    assert (past.status, past.candidates) == (bounded.status, bounded.candidates)
    inside = matcher.match("vneid " * (MAX_QUERY_TOKENS - 3) + "thanh toan qr")
    assert inside.candidates[0].id == "qr-thanh-toan"


def test_the_fitted_decision_drives_the_answer(matcher: Matcher) -> None:
    decision = matcher.decision
    strict = Matcher(matcher.book, decision=Decision(
        answer_weights=decision.answer_weights, top3_weights=decision.top3_weights,
        answer_threshold=1.01, suggest_threshold=1.01,
    ))  # fmt: skip
    assert strict.match("lam sao dang ky vneid muc 2").status is MatchStatus.NONE
    lenient = Matcher(matcher.book, decision=Decision(
        answer_weights=decision.answer_weights, top3_weights=decision.top3_weights,
        answer_threshold=0.0, suggest_threshold=0.0,
    ))  # fmt: skip
    assert lenient.match("mật khẩu").status is MatchStatus.ANSWER


def test_calibration_is_deterministic(matcher: Matcher) -> None:
    again = Matcher(matcher.book)
    assert again.decision.answer_threshold == matcher.decision.answer_threshold
    assert list(again.decision.answer_weights) == list(matcher.decision.answer_weights)


def test_scores_are_in_unit_range_and_sorted(matcher: Matcher) -> None:
    _, candidates = matcher.score_entries("đăng ký tài khoản dịch vụ công vneid")
    scores = [c.score for c in candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
