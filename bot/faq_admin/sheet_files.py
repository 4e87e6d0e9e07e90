"""FAQ tables in files: reading every FAQ sheet of an xlsx workbook or a csv file into rows of
cell texts, and writing rows back as xlsx (with openpyxl) or csv.

A sheet is an FAQ table when its first row has an 'id' column; the columns are COLUMNS.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl.utils.exceptions import InvalidFileException

from bot.faq_admin.edit_outcomes import FaqEditError
from bot.faq_admin.entry_fields import ENTRY_KEYS, STRING_LISTS
from bot.texts import validation as texts

COLUMNS = ("category", *ENTRY_KEYS)  # a sheet row: the entry's file category, then its keys
REQUIRED_COLUMNS = ("category", "id", "question", "answer")
LIST_COLUMNS = STRING_LISTS | {"links"}
SHEET_TITLE = "FAQ"
LINK_SEPARATOR = " | "
COLUMN_WIDTHS = {"category": 24, "id": 26, "question": 45, "answer": 80, "variants": 45}
XLSX_SUFFIXES = (".xlsx", ".xlsm")


class SpreadsheetError(FaqEditError):
    """The file cannot be read or written as a spreadsheet at all."""


@dataclass(frozen=True)
class RowProblem:
    sheet: str | None
    row: int | None  # 1-based as the spreadsheet shows it; the header is row 1
    entry_id: str | None
    message: str

    def __str__(self) -> str:
        where = texts.SHEET.format(sheet=self.sheet) if self.sheet is not None else ""
        if self.row is not None:
            where += texts.SHEET_ROW.format(row=self.row)
        if self.entry_id:
            where += f" [{self.entry_id}]"
        return f"{where}: {self.message}" if where else self.message


@dataclass(frozen=True)
class SheetRow:
    sheet: str
    row: int
    cells: dict[str, str]  # column -> text ("" for an empty cell), only the sheet's columns


def cell_text(value: Any, column: str) -> str:
    """What a cell says, as text: Excel may have turned '2025-03' into a date or 12 into 12.0."""
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        if column == "checked":
            return f"{value:%Y-%m}"
        return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\r\n", "\n").replace("\r", "\n")


def is_xlsx(path: Path) -> bool:
    return path.suffix.lower() in XLSX_SUFFIXES


def _header(values: Iterable[Any]) -> list[str]:
    return [cell_text(value, "").strip().lower() for value in values]


def _rows_of_table(
    sheet: str, rows: Iterable[tuple[int, list[Any]]], problems: list[RowProblem]
) -> tuple[list[SheetRow], bool]:
    """SheetRows of one table (first row = header); False if it is not an FAQ table."""
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return [], False
    header = _header(first[1])
    if "id" not in header:
        return [], False
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        if not name:
            continue
        if name not in COLUMNS:
            problems.append(
                RowProblem(sheet, first[0], None, texts.SHEET_COLUMN_UNKNOWN.format(name=name))
            )
        elif name in columns:
            problems.append(
                RowProblem(sheet, first[0], None, texts.SHEET_COLUMN_TWICE.format(name=name))
            )
        else:
            columns[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        message = texts.SHEET_COLUMNS_MISSING.format(columns=", ".join(missing))
        problems.append(RowProblem(sheet, first[0], None, message))
    result = []
    for number, values in iterator:
        cells = {
            name: cell_text(values[index] if index < len(values) else None, name)
            for name, index in columns.items()
        }
        if any(text.strip() for text in cells.values()):
            result.append(SheetRow(sheet, number, cells))
    return result, True


def read_spreadsheet(path: Path | str) -> tuple[list[SheetRow], list[str], list[RowProblem]]:
    """(rows of every FAQ sheet, names of sheets skipped, problems with the headers)."""
    path = Path(path)
    problems: list[RowProblem] = []
    rows: list[SheetRow] = []
    skipped: list[str] = []
    tables = 0
    try:
        if is_xlsx(path):
            from openpyxl import load_workbook

            workbook = load_workbook(path, read_only=True, data_only=True)
            try:
                for worksheet in workbook.worksheets:
                    table = (
                        (number, list(values))
                        for number, values in enumerate(worksheet.iter_rows(values_only=True), 1)
                    )
                    found, is_faq = _rows_of_table(worksheet.title, table, problems)
                    rows.extend(found)
                    tables += is_faq
                    if not is_faq:
                        skipped.append(worksheet.title)
            finally:
                workbook.close()
        else:
            text = path.read_text(encoding="utf-8-sig")
            try:
                dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
                delimiter = dialect.delimiter
            except csv.Error:
                delimiter = ","
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            found, is_faq = _rows_of_table(path.name, enumerate(reader, 1), problems)
            rows.extend(found)
            tables += is_faq
            if not is_faq:
                skipped.append(path.name)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SpreadsheetError(texts.SHEET_UNREADABLE.format(file=path.name, error=exc)) from exc
    except (zipfile.BadZipFile, InvalidFileException, KeyError) as exc:  # not a workbook
        raise SpreadsheetError(texts.SHEET_NOT_EXCEL.format(file=path.name, error=exc)) from exc
    if not tables:
        problems.append(RowProblem(None, None, None, texts.SHEET_NO_ID_COLUMN))
    return rows, skipped, problems


def write_xlsx(path: Path, rows: list[dict[str, str]]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([row[column] for column in COLUMNS])
    wrap = Alignment(wrap_text=True, vertical="top")
    for cells in sheet.iter_rows():
        for cell in cells:
            cell.number_format = "@"  # text: Excel must not turn 2025-03 into a date
            cell.alignment = wrap
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(COLUMNS, 1):
        sheet.column_dimensions[get_column_letter(index)].width = COLUMN_WIDTHS.get(column, 20)
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = sheet.dimensions
    workbook.save(path)


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row[column] for column in COLUMNS])
    # A BOM so that Excel reads the file as UTF-8.
    path.write_text(buffer.getvalue(), encoding="utf-8-sig", newline="")
