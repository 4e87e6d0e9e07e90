"""Round-trip edits: the diff is the changed lines only, and a bad edit writes nothing."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
import yaml

from bot.faq_admin import yaml_documents
from bot.faq_admin.edit_outcomes import (
    ConcurrentEditError,
    EntryExistsError,
    EntryNotFoundError,
    FaqEditError,
    FaqValidationError,
    LayoutError,
)
from bot.faq_admin.yaml_editor import add_entry, add_variant, open_workspace, update_entry
from bot.knowledge.faq_files import load_faq_dir, load_faq_strict
from bot.knowledge.match_types import MatchStatus
from bot.knowledge.matcher import Matcher
from bot.knowledge.store import FaqStore

from .helpers import comment_lines, git_diff, snapshot

COMMENTED = """\
# Thử nghiệm: tệp có chú thích ở nhiều chỗ.
category: Thử nghiệm
entries:
  # Mục đầu tiên
  - id: mot
    question: "Câu hỏi thứ nhất là gì?"
    variants:
      - Hỏi một  # chú thích cuối dòng
      - 'Hỏi: một'
    # trước keywords
    keywords: [một, thứ nhất]
    answer: |
      <b>Một</b> &amp; xong.

      Dòng hai.
    related: [hai]

  - id: hai
    question: Câu hỏi thứ hai là gì?
    answer: Hai
    variants:
      - Hỏi hai

  # Mục ba, không có variants
  - id: ba
    question: Câu hỏi thứ ba là gì?
    answer: >-
      Ba
      tiếp
# cuối tệp
"""


def new_file(faq_dir) -> str:
    """The file a new category "Gặp cán bộ" gets: the next number after the existing ones."""
    numbers = [int(p.name[:2]) for p in faq_dir.glob("[0-9][0-9]-*.yaml")]
    return f"{max(numbers, default=0) + 1:02d}-gap-can-bo.yaml"


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def commented(tmp_path: Path) -> Path:
    directory = tmp_path / "faq"
    write(directory, "thu-nghiem.yaml", COMMENTED)
    assert load_faq_dir(directory)[1] == []
    return directory


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


# --- the real FAQ -----------------------------------------------------------------------------


def test_add_variant_to_the_real_faq_adds_exactly_that_line(real_faq):
    before, faq = real_faq
    last_variant = load_faq_strict(faq).entries["dvc-dang-ky"].variants[-1]
    result = add_variant(faq, "dvc-dang-ky", "  Mở tài khoản   dịch vụ công cho ông bà ")
    assert result.files == ("01-dich-vu-cong.yaml",) and result.warnings == ()
    removed, added = git_diff(before, faq)
    assert removed == []
    assert added == ["      - Mở tài khoản dịch vụ công cho ông bà"]
    lines = lines_of(faq / "01-dich-vu-cong.yaml")
    position = lines.index(added[0])
    assert lines[position - 1] == f"      - {last_variant}"  # after the last variant
    assert lines[position + 1].startswith("    keywords:")
    # the other files, the synonyms' comments included, keep every byte
    assert {n: b for n, b in snapshot(faq).items() if n != "01-dich-vu-cong.yaml"} == {
        n: b for n, b in snapshot(before).items() if n != "01-dich-vu-cong.yaml"
    }
    book = load_faq_strict(faq)
    assert book.entries["dvc-dang-ky"].variants[-1] == "Mở tài khoản dịch vụ công cho ông bà"


def test_a_variant_for_every_real_entry_adds_one_line_each_and_removes_none(real_faq):
    before, faq = real_faq
    book = load_faq_strict(faq)
    with open_workspace(faq) as workspace:
        for entry_id in book.entries:
            assert workspace.add_variant(entry_id, f"cách hỏi mới cho {entry_id}")
        result = workspace.commit()
    removed, added = git_diff(before, faq)
    assert removed == []
    assert sorted(added) == sorted(f"      - cách hỏi mới cho {i}" for i in book.entries)
    for entry in load_faq_strict(faq).entries.values():
        assert entry.variants[-1] == f"cách hỏi mới cho {entry.id}"
    assert len(result.files) == len(book.categories)


def test_comments_survive_on_the_real_faq_with_comments_added(real_faq):
    """The curated entry files carry no comments yet; add some around the edited entry."""
    before, faq = real_faq
    last = f"      - {load_faq_strict(faq).entries['dvc-dang-ky'].variants[-1]}"
    for directory in (before, faq):
        path = directory / "01-dich-vu-cong.yaml"
        text = path.read_text(encoding="utf-8")
        text = "# Chủ đề dịch vụ công\n" + text
        text = text.replace(f"{last}\n", f"{last}  # hỏi thay người thân\n    # từ khóa chính\n", 1)
        text = text.replace(
            "  - id: dvc-dang-nhap-vneid\n", "  # đăng nhập\n  - id: dvc-dang-nhap-vneid\n"
        )
        path.write_text(text, encoding="utf-8")
    add_variant(faq, "dvc-dang-ky", "đăng ký tk dvc cho ông bà")
    removed, added = git_diff(before, faq)
    assert (removed, added) == ([], ["      - đăng ký tk dvc cho ông bà"])
    text = (faq / "01-dich-vu-cong.yaml").read_text(encoding="utf-8")
    assert comment_lines(text) == comment_lines(
        (before / "01-dich-vu-cong.yaml").read_text("utf-8")
    )
    assert (
        f"{last}  # hỏi thay người thân\n      - đăng ký tk dvc cho ông bà\n    # từ khóa chính\n"
    ) in text


def test_the_edit_is_picked_up_by_the_store_reload(real_faq):
    _, faq = real_faq
    store = FaqStore(faq)
    assert store.load() == []
    question = "muốn gặp trực tiếp cán bộ một cửa của xã"
    assert store.matcher.match(question).status is not MatchStatus.ANSWER
    add_variant(faq, "dvc-ho-so-bo-sung", question)
    assert store.load() == []
    result = store.matcher.match(question)
    assert (result.status, result.entry_id) == (MatchStatus.ANSWER, "dvc-ho-so-bo-sung")


# --- layouts: comments, blank lines, flow lists, missing keys ---------------------------------


def test_a_variant_lands_above_the_comment_that_follows_the_list(commented):
    path = commented / "thu-nghiem.yaml"
    add_variant(commented, "mot", "Hỏi một lần nữa")
    lines = lines_of(path)
    start = lines.index("      - 'Hỏi: một'")
    assert lines[start : start + 3] == [
        "      - 'Hỏi: một'",
        "      - Hỏi một lần nữa",
        "    # trước keywords",
    ]
    assert (
        lines_of(path)
        == COMMENTED.splitlines()[: start + 1]
        + ["      - Hỏi một lần nữa"]
        + (COMMENTED.splitlines()[start + 1 :])
    )


def test_a_variant_at_the_end_of_an_entry_keeps_the_blank_line_and_comment_below(commented):
    path = commented / "thu-nghiem.yaml"
    add_variant(commented, "hai", "Hỏi hai lần")
    expected = COMMENTED.replace("      - Hỏi hai\n", "      - Hỏi hai\n      - Hỏi hai lần\n")
    assert path.read_text(encoding="utf-8") == expected


def test_an_entry_without_variants_gets_the_key_after_its_question(commented):
    path = commented / "thu-nghiem.yaml"
    add_variant(commented, "ba", "Hỏi ba")
    expected = COMMENTED.replace(
        "    question: Câu hỏi thứ ba là gì?\n",
        "    question: Câu hỏi thứ ba là gì?\n    variants:\n      - Hỏi ba\n",
    )
    assert path.read_text(encoding="utf-8") == expected


def test_a_flow_list_changes_only_its_own_line(tmp_path: Path):
    faq = tmp_path / "faq"
    text = (
        "category: Dịch vụ công\n"
        "entries:\n"
        "  - id: dvc\n"
        "    question: Làm thế nào để đăng ký tài khoản dịch vụ công?\n"
        "    variants: [Tạo tài khoản dịch vụ công, Đăng ký tài khoản dichvucong]\n"
        '    answer: "Vào <b>dichvucong.gov.vn</b> &amp; làm theo hướng dẫn."\n'
    )
    path = write(faq, "dvc.yaml", text)
    add_variant(faq, "dvc", "mở tk dvc")
    assert path.read_text(encoding="utf-8") == text.replace(
        "dichvucong]\n", "dichvucong, mở tk dvc]\n"
    )


def test_a_new_entry_goes_below_the_last_one_with_a_blank_line_and_the_end_comment_stays_last(
    commented,
):
    path = commented / "thu-nghiem.yaml"
    result = add_entry(
        commented,
        "thử nghiệm",  # the category matches whatever the case and diacritics
        {
            "id": "bon",
            "question": "Câu hỏi thứ tư là gì?",
            "variants": ["Hỏi bốn", "yes"],
            "keywords": ["bốn, tư"],
            "answer": "Dòng một.\n\nDòng <b>hai</b>.",
            "links": [("Cổng DVC", "https://dichvucong.gov.vn")],
            "related": ["mot"],
            "checked": "2026-11",
        },
    )
    assert result.files == ("thu-nghiem.yaml",)
    expected = COMMENTED.replace(
        "# cuối tệp\n",
        "\n"
        "  - id: bon\n"
        "    question: Câu hỏi thứ tư là gì?\n"
        "    variants:\n"
        "      - Hỏi bốn\n"
        '      - "yes"\n'  # PyYAML would read a plain yes as True
        "    keywords: ['bốn, tư']\n"
        "    answer: |\n"
        "      Dòng một.\n"
        "\n"
        "      Dòng <b>hai</b>.\n"
        "    links:\n"
        '      - {text: Cổng DVC, url: "https://dichvucong.gov.vn"}\n'
        "    related: [mot]\n"
        "    checked: 2026-11\n"
        "# cuối tệp\n",
    )
    assert path.read_text(encoding="utf-8") == expected
    entry = load_faq_strict(commented).entries["bon"]
    assert entry.variants == ("Hỏi bốn", "yes") and entry.keywords == ("bốn, tư",)
    assert entry.checked.isoformat() == "2026-11-01"


def test_a_new_category_gets_a_new_numbered_file(real_faq):
    before, faq = real_faq
    result = add_entry(
        faq,
        "Gặp cán bộ",
        {"id": "gap-can-bo", "question": "Tôi muốn gặp cán bộ", "answer": "Bấm nút Gặp cán bộ."},
    )
    assert result.files == (new_file(before),) and result.changes[0].created
    assert (faq / new_file(before)).read_text(encoding="utf-8") == (
        "category: Gặp cán bộ\n"
        "entries:\n"
        "  - id: gap-can-bo\n"
        "    question: Tôi muốn gặp cán bộ\n"
        "    answer: |\n"
        "      Bấm nút Gặp cán bộ.\n"
    )
    add_entry(faq, "gặp cán bộ", {"id": "gap-can-bo-2", "question": "Gặp ai?", "answer": "Cán bộ."})
    book = load_faq_strict(faq)
    assert book.categories[-1] == "Gặp cán bộ"
    assert [e.id for e in book.entries.values() if e.category == "Gặp cán bộ"] == [
        "gap-can-bo",
        "gap-can-bo-2",
    ]
    assert snapshot(before).keys() == snapshot(faq).keys() - {new_file(before)}


def test_update_keeps_quotes_and_block_style_and_touches_only_changed_fields(commented):
    path = commented / "thu-nghiem.yaml"
    result = update_entry(
        commented,
        "mot",
        {
            "question": "Câu hỏi số một là gì?",
            "keywords": ["một", "thứ nhất"],  # unchanged
            "answer": "<b>Một</b> &amp; xong.\n\nDòng hai đã sửa.",
        },
    )
    assert result.changed
    expected = COMMENTED.replace('"Câu hỏi thứ nhất là gì?"', '"Câu hỏi số một là gì?"').replace(
        "      Dòng hai.\n", "      Dòng hai đã sửa.\n"
    )
    assert path.read_text(encoding="utf-8") == expected
    unchanged = update_entry(commented, "mot", {"keywords": ["một", "thứ nhất"]})
    assert not unchanged.changed and path.read_text(encoding="utf-8") == expected


def test_list_edits_keep_the_comments_of_untouched_items(commented):
    path = commented / "thu-nghiem.yaml"
    update_entry(commented, "mot", {"variants": ["Hỏi một", "Hỏi số một"], "related": []})
    # the replaced item keeps its quotes, the first item its end-of-line comment
    expected = COMMENTED.replace("      - 'Hỏi: một'\n", "      - 'Hỏi số một'\n").replace(
        "    related: [hai]\n", ""
    )
    assert path.read_text(encoding="utf-8") == expected


def test_crlf_bom_and_missing_final_newline_are_kept(tmp_path: Path):
    faq = tmp_path / "faq"
    faq.mkdir()
    text = "category: X\nentries:\n  - id: mot\n    question: Câu một?\n    variants:\n      - Hỏi một\n    answer: Một"
    path = faq / "x.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    add_variant(faq, "mot", "Hỏi lần hai")
    expected = text.replace("      - Hỏi một\n", "      - Hỏi một\n      - Hỏi lần hai\n")
    assert path.read_bytes() == b"\xef\xbb\xbf" + expected.replace("\n", "\r\n").encode("utf-8")


# --- refusals: nothing is written -------------------------------------------------------------


def test_validation_failure_writes_nothing(real_faq):
    before, faq = real_faq
    with pytest.raises(FaqValidationError) as caught:
        update_entry(faq, "dvc-dang-ky", {"answer": "<b>thẻ không đóng"})
    assert any(p.item == "dvc-dang-ky" and "answer" in p.message for p in caught.value.problems)
    with pytest.raises(FaqValidationError):
        add_entry(
            faq,
            "Thanh toán số",
            {"id": "moi", "question": "Câu mới?", "answer": "x", "related": ["khong-co"]},
        )
    with pytest.raises(FaqValidationError):  # at most 50 variants
        update_entry(faq, "dvc-dang-ky", {"variants": [f"cách hỏi {n}" for n in range(51)]})
    assert snapshot(faq) == snapshot(before)


def test_refused_edits_raise_clear_errors_and_write_nothing(real_faq):
    before, faq = real_faq
    with pytest.raises(EntryNotFoundError):
        add_variant(faq, "khong-co", "câu hỏi")
    with pytest.raises(EntryExistsError, match="01-dich-vu-cong.yaml"):
        add_entry(faq, "Khác", {"id": "dvc-dang-ky", "question": "Trùng?", "answer": "x"})
    with pytest.raises(FaqEditError):
        add_entry(faq, "Khác", {"id": "Sai Mã", "question": "Mã sai?", "answer": "x"})
    with pytest.raises(FaqEditError):
        add_variant(faq, "dvc-dang-ky", "???")
    with pytest.raises(FaqEditError):
        update_entry(faq, "dvc-dang-ky", {"answer": ""})
    with pytest.raises(FaqEditError):
        update_entry(faq, "dvc-dang-ky", {"id": "doi-ma"})
    assert not add_variant(faq, "dvc-dang-ky", "tạo tài khoản dịch vụ công như thế nào").changed
    assert snapshot(faq) == snapshot(before)


def test_a_file_the_editor_cannot_reproduce_is_refused(tmp_path: Path):
    faq = tmp_path / "faq"
    text = "category: X\nentries:\n  - id: mot\n    question:    Câu một có khoảng trắng lạ?\n    answer: Một\n"
    path = write(faq, "x.yaml", text)
    with pytest.raises(LayoutError):
        add_variant(faq, "mot", "Hỏi một")
    assert path.read_text(encoding="utf-8") == text


def test_existing_problems_elsewhere_do_not_block_an_edit(commented):
    write(commented, "hong.yaml", "category: Hỏng\nentries:\n  - id: hong\n    question: Hỏng?\n")
    result = add_variant(commented, "mot", "Hỏi một lần nữa")
    assert result.changed
    assert [p.item for p in result.warnings] == ["hong"]


def test_a_file_changed_meanwhile_is_not_overwritten(commented):
    path = commented / "thu-nghiem.yaml"
    with open_workspace(commented) as workspace:
        workspace.add_variant("mot", "Hỏi một lần nữa")
        path.write_text(COMMENTED + "# sửa tay\n", encoding="utf-8")
        with pytest.raises(ConcurrentEditError):
            workspace.commit()
    assert path.read_text(encoding="utf-8") == COMMENTED + "# sửa tay\n"


def test_the_write_is_atomic_and_leaves_no_temporary_file(commented, monkeypatch):
    path = commented / "thu-nghiem.yaml"
    replaced: list[tuple[str, str]] = []
    real_replace = os.replace

    def failing_replace(source, target):
        replaced.append((Path(source).name, Path(target).name))
        raise OSError("disk full")

    monkeypatch.setattr(yaml_documents.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        add_variant(commented, "mot", "Hỏi một lần nữa")
    assert path.read_text(encoding="utf-8") == COMMENTED
    assert sorted(p.name for p in commented.iterdir()) == ["thu-nghiem.yaml"]
    source, target = replaced[0]
    assert target == "thu-nghiem.yaml" and source.startswith(".") and not source.endswith(".yaml")

    monkeypatch.setattr(yaml_documents.os, "replace", real_replace)
    add_variant(commented, "mot", "Hỏi một lần nữa")
    assert sorted(p.name for p in commented.iterdir()) == ["thu-nghiem.yaml"]


def test_concurrent_editors_do_not_lose_each_others_edits(real_faq):
    _, faq = real_faq
    errors: list[BaseException] = []

    def teach(number: int) -> None:
        try:
            add_variant(faq, "dvc-dang-ky", f"cách hỏi song song số {number}")
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=teach, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    variants = load_faq_strict(faq).entries["dvc-dang-ky"].variants
    assert {f"cách hỏi song song số {n}" for n in range(4)} <= set(variants)


def test_values_the_bot_would_misread_are_quoted(commented):
    for text in ("no", "1:30", "2025-03-01", "null", "- gạch đầu dòng", "a: b # c"):
        add_variant(commented, "hai", text)
    data = yaml.safe_load((commented / "thu-nghiem.yaml").read_text(encoding="utf-8"))
    variants = data["entries"][1]["variants"]
    assert variants[1:] == ["no", "1:30", "2025-03-01", "null", "- gạch đầu dòng", "a: b # c"]


def test_suggested_ids_follow_the_category_prefix_and_are_free(real_faq):
    _, faq = real_faq
    with open_workspace(faq) as workspace:
        assert workspace.suggest_id(
            "Làm sao để đổi giấy phép lái xe?", "Dịch vụ công trực tuyến"
        ) == ("dvc-doi-giay-phep-lai-xe")
        assert workspace.suggest_id("Gặp cán bộ ở đâu?", "Chủ đề mới") == "gap-can-bo-o-dau"
        assert workspace.suggest_id("dang ky", "Dịch vụ công trực tuyến") == "dvc-dang-ky-2"
    assert Matcher(load_faq_strict(faq))  # untouched and loadable


def test_a_file_that_is_not_utf8_is_never_rewritten(tmp_path: Path):
    faq = tmp_path / "faq"
    faq.mkdir()
    raw = b"category: X\nentries:\n  - id: mot\n    question: C\xe2u m\xf4t?\n    answer: M\xf4t\n"
    (faq / "x.yaml").write_bytes(raw)
    with pytest.raises(FaqEditError):
        add_variant(faq, "mot", "Hỏi một")
    assert (faq / "x.yaml").read_bytes() == raw
