"""Spreadsheet round trips: an unchanged export imports to no change, one cell to one change."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from bot.faq_admin.sheet_files import COLUMNS, SpreadsheetError
from bot.faq_admin.spreadsheet import ImportRejected, export_spreadsheet, import_spreadsheet
from bot.knowledge.faq_files import load_faq_strict

from .helpers import git_diff, snapshot


def new_file(faq_dir) -> str:
    """The file a new category "Gặp cán bộ" gets: the next number after the existing ones."""
    numbers = [int(p.name[:2]) for p in faq_dir.glob("[0-9][0-9]-*.yaml")]
    return f"{max(numbers, default=0) + 1:02d}-gap-can-bo.yaml"


def mtimes(directory: Path) -> dict[str, int]:
    return {path.name: path.stat().st_mtime_ns for path in directory.iterdir()}


def xlsx_rows(path: Path) -> list[list]:
    sheet = load_workbook(path).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def save_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)
    return path


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_importing_an_unchanged_export_changes_no_byte(real_faq, tmp_path: Path, suffix: str):
    before, faq = real_faq
    sheet = tmp_path / f"faq{suffix}"
    count = export_spreadsheet(faq, sheet)
    assert count == len(load_faq_strict(faq).entries)
    stamps = mtimes(faq)
    report = import_spreadsheet(faq, sheet)
    assert not report.changed and report.entries == () and report.unchanged == count
    assert report.missing == ()
    assert snapshot(faq) == snapshot(before)
    assert mtimes(faq) == stamps  # not even rewritten with the same bytes: no reload


def test_the_export_has_the_columns_and_one_item_per_line(real_faq, tmp_path: Path):
    _, faq = real_faq
    sheet = export_spreadsheet(faq, tmp_path / "faq.xlsx") and tmp_path / "faq.xlsx"
    rows = xlsx_rows(sheet)
    assert tuple(rows[0]) == COLUMNS
    entry = load_faq_strict(faq).entries["dvc-dang-ky"]
    row = dict(zip(COLUMNS, next(r for r in rows if r[1] == "dvc-dang-ky"), strict=True))
    assert row["category"] == "Dịch vụ công trực tuyến"
    assert row["variants"].split("\n") == list(entry.variants)
    assert row["keywords"].split("\n") == list(entry.keywords)
    assert row["links"] == "Cổng Dịch vụ công quốc gia | https://dichvucong.gov.vn"
    assert row["related"].split("\n") == list(entry.related)
    assert row["answer"] == entry.answer


# A phrase that occurs once in faq/, in the answer of dvc-dang-ky.
OLD_WORDS = "công dân dùng chính"
NEW_WORDS = "mọi công dân dùng chính"


def edited_answer(answer: str) -> str:
    assert OLD_WORDS in answer
    return answer.replace(OLD_WORDS, NEW_WORDS)


def test_one_edited_answer_cell_in_xlsx_changes_only_that_entrys_answer_line(real_faq, tmp_path):
    before, faq = real_faq
    path = tmp_path / "faq.xlsx"
    export_spreadsheet(faq, path)
    workbook = load_workbook(path)
    sheet = workbook.active
    for row in sheet.iter_rows(min_row=2):
        if row[1].value == "dvc-dang-ky":
            row[COLUMNS.index("answer")].value = edited_answer(row[COLUMNS.index("answer")].value)
    workbook.save(path)
    report = import_spreadsheet(faq, path)
    assert [(e.entry_id, e.action, e.fields, e.sheet, e.row) for e in report.entries] == [
        ("dvc-dang-ky", "update_entry", ("answer",), "FAQ", 3)
    ]
    removed, added = git_diff(before, faq)
    old_line = next(
        line
        for line in (before / "01-dich-vu-cong.yaml").read_text("utf-8").splitlines()
        if OLD_WORDS in line
    )
    assert removed == [old_line]
    assert added == [old_line.replace(OLD_WORDS, NEW_WORDS)]
    assert load_faq_strict(faq).entries["dvc-dang-ky"].answer.count(NEW_WORDS) == 1


def test_one_edited_answer_cell_in_csv_changes_only_that_entrys_answer_line(real_faq, tmp_path):
    before, faq = real_faq
    path = tmp_path / "faq.csv"
    export_spreadsheet(faq, path)
    rows = read_csv(path)
    answer = COLUMNS.index("answer")
    for row in rows:
        if row[1] == "dvc-dang-ky":
            row[answer] = edited_answer(row[answer]).replace("\n", "\r\n")  # as Excel saves it
    write_csv(path, rows)
    import_spreadsheet(faq, path)
    removed, added = git_diff(before, faq)
    assert len(removed) == len(added) == 1 and NEW_WORDS in added[0]


def test_new_ids_go_to_their_categorys_file_and_a_new_category_to_a_new_file(real_faq, tmp_path):
    before, faq = real_faq
    path = tmp_path / "faq.xlsx"
    export_spreadsheet(faq, path)
    workbook = load_workbook(path)
    sheet = workbook.active
    sheet.append(
        ["Thanh toán số", "tts-moi", "Câu mới về thanh toán?", "Hỏi một\nHỏi hai", "", "Trả lời."]
        + ["Ngân hàng | https://sbv.gov.vn", "tts-mo-vi", "", datetime(2026, 11, 1)]
    )
    sheet.append(
        ["Gặp cán bộ", "gap-can-bo", "Tôi muốn gặp cán bộ", "", "", "Bấm <b>Gặp cán bộ</b>."]
    )
    workbook.save(path)
    report = import_spreadsheet(faq, path)
    assert {(e.entry_id, e.file, e.action) for e in report.entries} == {
        ("tts-moi", "03-thanh-toan-so.yaml", "add_entry"),
        ("gap-can-bo", new_file(before), "add_entry"),
    }
    removed, added = git_diff(before, faq)
    assert removed == []
    assert added[:2] == ["", "  - id: tts-moi"]
    assert "    checked: 2026-11" in added  # Excel's date cell back to YYYY-MM
    book = load_faq_strict(faq)
    assert book.entries["tts-moi"].category == "Thanh toán số"
    assert book.entries["tts-moi"].variants == ("Hỏi một", "Hỏi hai")
    assert book.entries["gap-can-bo"].source_file == new_file(before)
    # and the export of the result imports to nothing again
    export_spreadsheet(faq, tmp_path / "again.csv")
    assert not import_spreadsheet(faq, tmp_path / "again.csv").changed


def test_every_bad_row_is_reported_by_sheet_and_row_and_nothing_is_written(real_faq, tmp_path):
    before, faq = real_faq
    header = list(COLUMNS)
    good = ["Thanh toán số", "tts-moi", "Câu hỏi mới?", "", "", "Trả lời."]
    path = save_xlsx(
        tmp_path / "bad.xlsx",
        {
            "FAQ": [
                header,
                good,
                ["Thanh toán số", "", "Không có id?", "", "", "x"],
                ["Thanh toán số", "Sai Mã", "Mã sai?", "", "", "x"],
                [],  # empty rows are skipped
                ["Thanh toán số", "tts-moi", "Lặp lại?", "", "", "x"],
                ["Thanh toán số", "tts-html", "HTML hỏng?", "", "", "<b>không đóng"],
            ],
            "Hướng dẫn": [["Ghi chú: trang này không có cột id"]],
            "Thêm": [
                header,
                ["", "khong-chu-de", "Không chủ đề?", "", "", "x"],
                ["Thanh toán số", "tts-lien-ket", "Liên kết?", "", "", "x", "https://thieu-ten"],
                ["VNeID và căn cước", "dvc-dang-ky", "Đổi chủ đề?", "", "", "x"],
                ["Thanh toán số", "tts-rong", "", "", "", ""],
            ],
        },
    )
    with pytest.raises(ImportRejected) as caught:
        import_spreadsheet(faq, path)
    where = [(p.sheet, p.row) for p in caught.value.problems]
    assert where == [
        ("FAQ", 3),
        ("FAQ", 4),
        ("FAQ", 6),
        ("FAQ", 7),
        ("Thêm", 2),
        ("Thêm", 3),
        ("Thêm", 4),
        ("Thêm", 5),
        ("Thêm", 5),
    ]
    messages = [str(p) for p in caught.value.problems]
    assert messages[0] == "Trang 'FAQ', dòng 3: thiếu id"
    assert "id trùng với trang 'FAQ', dòng 2" in messages[2]
    assert messages[3].startswith("Trang 'FAQ', dòng 7 [tts-html]: answer:")
    assert "thiếu category" in messages[4]
    assert "Tên | https://" in messages[5]
    assert "01-dich-vu-cong.yaml" in messages[6]
    assert snapshot(faq) == snapshot(before)


def test_unknown_or_missing_columns_are_reported(real_faq, tmp_path):
    _, faq = real_faq
    path = save_xlsx(
        tmp_path / "cols.xlsx",
        {"FAQ": [["id", "question", "answers"], ["dvc-dang-ky", "x", "y"]]},
    )
    with pytest.raises(ImportRejected) as caught:
        import_spreadsheet(faq, path)
    messages = [str(p) for p in caught.value.problems]
    assert "Trang 'FAQ', dòng 1: cột không hỗ trợ: 'answers'" in messages
    assert "Trang 'FAQ', dòng 1: thiếu cột: category, answer" in messages


def test_a_partial_sheet_updates_its_rows_and_leaves_the_rest(real_faq, tmp_path):
    before, faq = real_faq
    path = write_csv(
        tmp_path / "part.csv",
        [
            ["category", "id", "question", "answer", "keywords"],
            [
                "Dịch vụ công trực tuyến",
                "dvc-dang-ky",
                load_faq_strict(faq).entries["dvc-dang-ky"].question,
                load_faq_strict(faq).entries["dvc-dang-ky"].answer,
                "đăng ký tài khoản\ndịch vụ công",
            ],
        ],
    )
    report = import_spreadsheet(faq, path)
    assert [e.fields for e in report.entries] == [("keywords",)]
    assert len(report.missing) == len(load_faq_strict(before).entries) - 1
    removed, added = git_diff(before, faq)
    assert removed == ["    keywords: [đăng ký tài khoản, tạo tài khoản, dịch vụ công]"]
    assert added == ["    keywords: [đăng ký tài khoản, dịch vụ công]"]


def test_dry_run_writes_nothing_and_unreadable_files_are_reported(real_faq, tmp_path):
    before, faq = real_faq
    path = tmp_path / "faq.csv"
    export_spreadsheet(faq, path)
    rows = read_csv(path)
    rows[1][COLUMNS.index("question")] = "Câu hỏi đã sửa?"
    write_csv(path, rows)
    report = import_spreadsheet(faq, path, dry_run=True)
    assert report.changed and "+    question: Câu hỏi đã sửa?" in report.edit.diff()
    assert snapshot(faq) == snapshot(before)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip file")
    with pytest.raises(SpreadsheetError):
        import_spreadsheet(faq, broken)
