import subprocess
import sys
from pathlib import Path

import pytest

from bot.knowledge.faq_files import FaqLoadError, load_faq_dir, load_faq_strict

GOOD = """\
category: Thử nghiệm
entries:
  - id: mot
    question: Câu hỏi thứ nhất là gì?
    variants: [Hỏi một]
    answer: "<b>Một</b> &amp; xong"
    links: [{text: Cổng DVC, url: "https://dichvucong.gov.vn"}]
    related: [hai]
  - id: hai
    question: Câu hỏi thứ hai là gì?
    answer: Hai
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(directory: Path) -> list[str]:
    _, problems = load_faq_dir(directory)
    return [str(p) for p in problems]


def test_good_file_loads(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, "_synonyms.yaml", "synonyms:\n  ko: không\n  DVC: dịch vụ công\n")
    book = load_faq_strict(tmp_path)
    assert list(book.entries) == ["mot", "hai"]
    assert book.entries["mot"].links[0].url == "https://dichvucong.gov.vn"
    assert book.synonyms == {"ko": "không", "dvc": "dịch vụ công"}
    assert book.categories == ["Thử nghiệm"]


def test_one_bad_entry_does_not_hide_the_others(tmp_path: Path) -> None:
    write(
        tmp_path,
        "bad.yaml",
        """\
category: X
entries:
  - id: ok-one
    question: Một câu hỏi hợp lệ?
    answer: fine
  - id: Bad_ID
    question: Câu hỏi có id sai?
    answer: fine
  - id: unbalanced
    question: Câu trả lời HTML hỏng?
    answer: "<b>không đóng"
  - id: bad-tag
    question: Thẻ không được hỗ trợ?
    answer: "dòng 1<br>dòng 2"
  - id: empty-q
    question: ""
    answer: x
  - id: bad-url
    question: Đường dẫn hỏng thì sao?
    answer: x
    links: [{text: t, url: "javascript:alert(1)"}]
  - id: dangling
    question: Liên kết tới mục không có?
    answer: x
    related: [khong-ton-tai]
  - id: too-long
    question: Câu trả lời quá dài?
    answer: "%s"
"""
        % ("a" * 5000),
    )
    write(
        tmp_path,
        "dup.yaml",
        "category: Y\nentries:\n  - id: ok-one\n    question: Trùng id à?\n    answer: x\n",
    )
    book, problems = load_faq_dir(tmp_path)
    text = "\n".join(str(p) for p in problems)
    assert "ok-one" in book.entries and "dangling" in book.entries
    for entry_id in ("Bad_ID", "unbalanced", "bad-tag", "empty-q", "bad-url", "too-long"):
        assert f"bad.yaml [{entry_id}]" in text, entry_id
        assert entry_id not in book.entries
    assert "thẻ chưa đóng" in text
    assert "<br>" in text
    assert "vượt giới hạn" in text
    assert "bad.yaml [dangling]: related 'khong-ton-tai' không tồn tại" in text
    assert "dup.yaml [ok-one]: id trùng với mục trong bad.yaml" in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "tệp trống"),
        ("category: [\n", "lỗi cú pháp YAML (dòng"),
        ("- just a list\n", "tệp phải là một bảng"),
        ("category: X\nentries: []\n", "'entries' phải là danh sách không rỗng"),
        ("entries:\n  - {id: a, question: abc, answer: x}\n", "thiếu 'category'"),
    ],
)
def test_file_level_problems_are_named(tmp_path: Path, content: str, message: str) -> None:
    write(tmp_path, "good.yaml", GOOD)
    write(tmp_path, "broken.yaml", content)
    problems = problems_of(tmp_path)
    assert any(p.startswith("broken.yaml") and message in p for p in problems), problems
    # the good file still loads
    book, _ = load_faq_dir(tmp_path)
    assert "mot" in book.entries


def test_non_utf8_file(tmp_path: Path) -> None:
    (tmp_path / "latin.yaml").write_bytes("category: Vi\u1ec7t".encode("utf-16"))
    assert any("không phải UTF-8" in p for p in problems_of(tmp_path))


def test_strict_load_raises_with_every_problem(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD.replace("related: [hai]", "related: [ba]"))
    with pytest.raises(FaqLoadError) as caught:
        load_faq_strict(tmp_path)
    assert "related 'ba'" in str(caught.value)


def test_missing_directory(tmp_path: Path) -> None:
    assert "không tồn tại" in problems_of(tmp_path / "nope")[0]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=60
    )


def test_cli_faq_check_names_file_and_entry_without_traceback(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD.replace('"<b>Một</b> &amp; xong"', '"<b>Một"'))
    result = run_cli("faq", "check", "--faq-dir", str(tmp_path))
    assert result.returncode == 1
    assert "a.yaml [mot]" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_cli_faq_check_passes_on_the_bundled_faq() -> None:
    result = run_cli("faq", "check", "--faq-dir", "faq")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK:")


SOURCED = """\
category: Chuyển đổi số
entries:
  - id: chu-de
    question: Chủ đề Ngày Chuyển đổi số năm nay là gì?
    answer: "Năm nay: {{ chu_de_nam_nay }}."
    sources: ["https://example.gov.vn/tin", Quyết định 505/QĐ-TTg]
    checked: 2025-10
  - id: cu
    question: Một câu hỏi đã lâu chưa kiểm tra?
    answer: Cũ
    checked: "2024-11"
"""


def test_facts_sources_and_checked(tmp_path: Path) -> None:
    from datetime import date

    from bot.knowledge.faq_files import stale_entries, unsourced_entries

    write(tmp_path, "a.yaml", SOURCED)
    write(tmp_path, "_facts.yaml", 'facts:\n  chu_de_nam_nay: "Nhanh hơn – gần dân hơn"\n')
    book = load_faq_strict(tmp_path)
    entry = book.entries["chu-de"]
    assert entry.answer == "Năm nay: Nhanh hơn – gần dân hơn."
    assert entry.sources == ("https://example.gov.vn/tin", "Quyết định 505/QĐ-TTg")
    assert entry.checked == date(2025, 10, 1)
    assert [e.id for e in unsourced_entries(book)] == ["cu"]
    # 2024-11 is 13 months before 2025-12; 2025-10 is 2 months
    assert [e.id for e in stale_entries(book, date(2025, 12, 31))] == ["cu"]
    assert stale_entries(book, date(2025, 11, 1)) == []


def test_unknown_fact_and_bad_checked_are_named(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", SOURCED.replace("2025-10", "2025-13"))
    problems = problems_of(tmp_path)
    assert any("[chu-de]" in p and "chu_de_nam_nay" in p for p in problems)
    write(tmp_path, "_facts.yaml", "facts:\n  chu_de_nam_nay: x\n")
    assert any("[chu-de]" in p and "YYYY-MM" in p for p in problems_of(tmp_path))


def test_duplicate_key_in_an_entry_is_a_named_problem(tmp_path: Path) -> None:
    text = GOOD.replace("related: [hai]", "related: []")
    text = text.replace("    answer: Hai\n", "    answer: Hai\n    answer: Hai nữa\n")
    write(tmp_path, "a.yaml", text)
    book, problems = load_faq_dir(tmp_path)
    assert [(p.file, p.item, p.line) for p in problems] == [("a.yaml", "hai", 12)]
    assert str(problems[0]) == "a.yaml:12 [hai]: khóa 'answer' bị viết hai lần (dòng 12)"
    assert "hai" not in book.entries  # not loaded with a value picked silently
    with pytest.raises(FaqLoadError):
        load_faq_strict(tmp_path)


def test_duplicate_key_outside_entries_names_the_file(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "category: Một\n" + GOOD.replace("related: [hai]", "related: []"))
    problems = problems_of(tmp_path)
    assert problems == ["a.yaml:2: khóa 'category' bị viết hai lần (dòng 2)"]
