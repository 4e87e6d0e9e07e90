"""The FAQ as a spreadsheet (xlsx with openpyxl, or csv) for admins who live in Excel or Sheets.

One row per entry; the columns are COLUMNS. List cells (variants, keywords, related, sources)
hold one item per line, links one 'Tên | https://...' per line. The import:
- reads every sheet whose first row has an 'id' column;
- checks every row and reports every bad one by sheet and row number, writing nothing then;
- updates existing entries in place with the round-trip editor (a cell equal to what the export
  wrote changes nothing, so importing an unchanged export leaves faq/ byte-identical) and
  appends new ids to their category's file (a new category gets a new file);
- leaves entries that are not in the sheet untouched (deleting is done in the YAML).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.faq_admin.edit_outcomes import (
    ConcurrentEditError,
    EditResult,
    FaqEditError,
    FaqValidationError,
    LayoutError,
)
from bot.faq_admin.entry_fields import STRING_LISTS, canonical_value
from bot.faq_admin.sheet_files import (
    COLUMNS,
    LINK_SEPARATOR,
    RowProblem,
    SheetRow,
    SpreadsheetError,
    is_xlsx,
    read_spreadsheet,
    write_csv,
    write_xlsx,
)
from bot.faq_admin.yaml_editor import FaqWorkspace, open_workspace
from bot.knowledge.faq_files import ID_PATTERN, FaqLink
from bot.knowledge.normalize import fold_text
from bot.texts import validation as texts


class ImportRejected(FaqEditError):
    """The spreadsheet has bad rows; nothing was written. `problems` lists every one."""

    def __init__(self, problems: list[RowProblem]):
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


@dataclass(frozen=True)
class EntryImport:
    entry_id: str
    file: str
    action: str  # add_entry | update_entry
    fields: tuple[str, ...]  # the keys that changed (every given key for a new entry)
    sheet: str
    row: int


@dataclass(frozen=True)
class ImportReport:
    edit: EditResult
    entries: tuple[EntryImport, ...] = ()
    unchanged: int = 0  # rows equal to the FAQ
    missing: tuple[str, ...] = ()  # ids in the FAQ but in no row: left as they are
    skipped_sheets: tuple[str, ...] = ()  # sheets without an 'id' column

    @property
    def changed(self) -> bool:
        return self.edit.changed


# --- cells ----------------------------------------------------------------------------------


def _lines(items: Iterable[Any]) -> str:
    return "\n".join(str(item) for item in items)


def entry_cells(category: str | None, entry: dict[str, Any]) -> dict[str, str]:
    """The export row of an entry as parsed from YAML (answers keep their {{ facts }})."""
    cells = {"category": category or "", "id": str(entry.get("id", ""))}
    for key in COLUMNS[2:]:
        value = canonical_value(key, entry.get(key))
        if key == "links":
            cells[key] = _lines(f"{link.text}{LINK_SEPARATOR}{link.url}" for link in value)
        elif key in STRING_LISTS:
            cells[key] = _lines(value)
        else:
            cells[key] = value or ""
    return cells


def _split_lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def _parse_links(text: str) -> tuple[list[FaqLink], list[str]]:
    links, errors = [], []
    for line in _split_lines(text):
        label, separator, url = line.rpartition("|")
        if not separator or not label.strip() or not url.strip():
            errors.append(texts.SHEET_LINK_FORMAT.format(line=line, separator=LINK_SEPARATOR))
            continue
        links.append(FaqLink(label.strip(), url.strip()))
    return links, errors


def _fields(cells: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Entry fields from a row's cells (only the columns present), and what is wrong with them."""
    fields: dict[str, Any] = {}
    errors: list[str] = []
    for key, text in cells.items():
        if key in ("category", "id"):
            continue
        if key == "links":
            fields[key], link_errors = _parse_links(text)
            errors.extend(link_errors)
        elif key in STRING_LISTS:
            fields[key] = _split_lines(text)
        elif key == "checked":
            fields[key] = text.strip() or None
        else:
            fields[key] = text.strip()
    for key in ("question", "answer"):
        if key in fields and not fields[key]:
            errors.append(texts.SHEET_FIELD_MISSING.format(field=key))
    return fields, errors


# --- reading and writing files ----------------------------------------------------------------


def export_rows(faq_dir: Path | str) -> list[dict[str, str]]:
    """Every entry as a row of cells, in file order."""
    if not Path(faq_dir).is_dir():
        raise SpreadsheetError(texts.FAQ_DIR_NOT_FOUND.format(directory=faq_dir))
    workspace = FaqWorkspace(faq_dir)
    return [entry_cells(category, entry) for _, category, entry in workspace.entries()]


def export_spreadsheet(faq_dir: Path | str, path: Path | str) -> int:
    """Write the FAQ to `path` (.xlsx/.xlsm with openpyxl, anything else as CSV); rows written."""
    path = Path(path)
    rows = export_rows(faq_dir)
    try:
        (write_xlsx if is_xlsx(path) else write_csv)(path, rows)
    except OSError as exc:
        raise SpreadsheetError(texts.SHEET_UNWRITABLE.format(file=path, error=exc)) from exc
    except ValueError as exc:  # openpyxl: characters a workbook cannot hold
        raise SpreadsheetError(texts.SHEET_UNWRITABLE.format(file=path.name, error=exc)) from exc
    return len(rows)


# --- import -----------------------------------------------------------------------------------


@dataclass
class _Plan:
    problems: list[RowProblem] = field(default_factory=list)
    entries: list[EntryImport] = field(default_factory=list)
    rows_by_id: dict[str, SheetRow] = field(default_factory=dict)
    unchanged: int = 0


def _apply_row(workspace: FaqWorkspace, row: SheetRow, plan: _Plan) -> None:
    cells = row.cells
    entry_id = cells.get("id", "").strip()
    category = " ".join(cells.get("category", "").split())

    def bad(message: str) -> None:
        plan.problems.append(RowProblem(row.sheet, row.row, entry_id or None, message))

    if not entry_id:
        bad(texts.SHEET_ID_MISSING)
        return
    if not ID_PATTERN.match(entry_id):
        bad(texts.ENTRY_ID_INVALID)
        return
    first = plan.rows_by_id.get(entry_id)
    if first is not None:
        bad(texts.SHEET_ID_TAKEN.format(sheet=first.sheet, row=first.row))
        return
    plan.rows_by_id[entry_id] = row
    fields, errors = _fields(cells)
    if not category:
        errors.insert(0, texts.SHEET_CATEGORY_MISSING)
    exists = entry_id in workspace
    if exists and category:
        current = workspace.category_of(entry_id) or ""
        if fold_text(current) != fold_text(category):
            file = workspace.file_of(entry_id)
            errors.append(texts.SHEET_CATEGORY_CHANGE.format(current=current, file=file))
    for message in errors:
        bad(message)
    if errors:
        return
    try:
        if exists:
            changed = workspace.update_entry(entry_id, fields)
            if not changed:
                plan.unchanged += 1
                return
            action, file = "update_entry", workspace.file_of(entry_id)
        else:
            changed = [key for key, value in fields.items() if value]
            file = workspace.add_entry(category, {"id": entry_id, **fields})
            action = "add_entry"
    except FaqEditError as exc:
        bad(str(exc))
        return
    plan.entries.append(EntryImport(entry_id, file, action, tuple(changed), row.sheet, row.row))


def import_spreadsheet(
    faq_dir: Path | str, path: Path | str, *, dry_run: bool = False
) -> ImportReport:
    """Validate every row, then (unless `dry_run`) update the YAML files in place.

    Raises ImportRejected listing every bad row (nothing written), SpreadsheetError if the file
    cannot be read, ConcurrentEditError if faq/ changed meanwhile.
    """
    rows, skipped, header_problems = read_spreadsheet(path)
    plan = _Plan(problems=list(header_problems))
    with open_workspace(faq_dir) as workspace:
        known = [entry.get("id") for _, _, entry in workspace.entries()]
        for row in rows:
            _apply_row(workspace, row, plan)
        edit = EditResult()
        try:
            edit = workspace.commit(dry_run=True)
        except FaqValidationError as exc:
            for problem in exc.problems:
                row = plan.rows_by_id.get(problem.item or "")
                if row is not None:
                    plan.problems.append(RowProblem(row.sheet, row.row, problem.item, problem.what))
                else:
                    plan.problems.append(RowProblem(None, None, None, str(problem)))
        except ConcurrentEditError:
            raise
        except LayoutError as exc:
            plan.problems.append(RowProblem(None, None, None, str(exc)))
        if plan.problems:
            raise ImportRejected(_sorted(plan.problems, rows))
        if not dry_run and edit.changed:
            edit = workspace.commit()
    missing = tuple(i for i in known if isinstance(i, str) and i not in plan.rows_by_id)
    return ImportReport(edit, tuple(plan.entries), plan.unchanged, missing, tuple(skipped))


def _sorted(problems: list[RowProblem], rows: list[SheetRow]) -> list[RowProblem]:
    """Sheet and row order; problems without a row last, in the order found."""
    sheets = {name: index for index, name in enumerate(dict.fromkeys(r.sheet for r in rows))}

    def order(item: tuple[int, RowProblem]) -> tuple:
        index, problem = item
        sheet = sheets.get(problem.sheet, -1) if problem.sheet is not None else len(sheets)
        return (problem.row is None and problem.sheet is None, sheet, problem.row or 0, index)

    return [problem for _, problem in sorted(enumerate(problems), key=order)]
