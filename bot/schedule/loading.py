"""Reading schedules/*.yaml into notices and problems; one bad notice never hides the others."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from bot.facts import FactsError, fill_facts
from bot.schedule.notices import FACT_FIELDS, Notice
from bot.texts import validation as texts
from bot.yaml_files import FileProblem, YamlFileError, read_yaml

SCHEDULE_SUFFIXES = (".yaml", ".yml")


def _problems_from_validation(
    error: ValidationError, file: str, notice_id: str | None, line: int | None
) -> list[FileProblem]:
    problems = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or None
        message = item["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        else:
            message = texts.SCHEDULE_FIELD_MESSAGES.get(item["type"], message)
        problems.append(FileProblem(file, notice_id, message, line, field))
    return problems


def load_schedule_file(
    path: Path, facts: dict[str, str] | None = None
) -> tuple[list[Notice], list[FileProblem]]:
    """Read one schedule file; ids are not checked against other files here."""
    file = str(path)
    try:
        document = read_yaml(path)
    except YamlFileError as exc:
        return [], [FileProblem(file, None, exc.message, exc.line)]
    data = document.data
    if data is None:
        return [], []
    if not isinstance(data, dict):
        return [], [FileProblem(file, None, texts.SCHEDULE_FILE_NOT_TABLE, 1)]
    problems = [
        FileProblem(file, None, texts.SCHEDULE_UNKNOWN_KEY.format(key=key), field=str(key))
        for key in data
        if key != "notices"
    ]
    items = data.get("notices")
    if items is None:
        return [], problems
    if not isinstance(items, list):
        return [], [
            *problems,
            FileProblem(file, None, texts.SCHEDULE_NOTICES_NOT_LIST, field="notices"),
        ]

    notices: list[Notice] = []
    spans = document.items("notices")
    for index, raw in enumerate(items):
        span = spans[index] if spans and index < len(spans) else None
        line = span.line if span is not None else None
        if not isinstance(raw, dict):
            label = f"#{index + 1}"
            problems.append(FileProblem(file, label, texts.SCHEDULE_NOTICE_NOT_TABLE, line))
            continue
        raw_id = raw.get("id")
        notice_id = str(raw_id) if raw_id not in (None, "") else f"#{index + 1}"
        duplicated = [d.key for d in document.duplicates_in(span)] if span is not None else []
        for key in duplicated:
            problems.append(FileProblem(file, notice_id, texts.SCHEDULE_KEY_TWICE, line, key))
        try:
            raw = {
                key: fill_facts(value, facts or {})
                if key in FACT_FIELDS and isinstance(value, str)
                else value
                for key, value in raw.items()
            }
        except FactsError as exc:
            problems.append(FileProblem(file, notice_id, str(exc), line))
            continue
        try:
            notice = Notice.model_validate(raw)
        except ValidationError as exc:
            problems.extend(_problems_from_validation(exc, file, notice_id, line))
            continue
        if duplicated:
            continue
        notice._source = file
        notice._line = line
        notices.append(notice)
    return notices, problems


def schedule_files(directory: Path | str) -> list[Path]:
    """The schedule files of a directory, in name order; editor backups are left out."""
    folder = Path(directory)
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file()
        and path.suffix.lower() in SCHEDULE_SUFFIXES
        and not path.name.startswith((".", "~", "#"))
    )


def load_schedules(
    directory: Path | str, facts: dict[str, str] | None = None
) -> tuple[list[Notice], list[FileProblem]]:
    """Load every schedule file; returns the valid notices and every problem found.

    `facts` fills the `{{ name }}` placeholders of texts (see bot/facts.py).
    """
    folder = Path(directory)
    if not folder.is_dir():
        return [], [FileProblem(str(folder), None, texts.SCHEDULE_DIR_MISSING)]
    notices: list[Notice] = []
    problems: list[FileProblem] = []
    first_seen: dict[str, Notice] = {}
    for path in schedule_files(folder):
        file_notices, file_problems = load_schedule_file(path, facts)
        problems.extend(file_problems)
        for notice in file_notices:
            earlier = first_seen.get(notice.id)
            if earlier is not None:
                where = f"{earlier.source}:{earlier.line}" if earlier.line else earlier.source
                message = texts.SCHEDULE_DUPLICATE_ID.format(where=where)
                problems.append(FileProblem(notice.source, notice.id, message, notice.line, "id"))
                continue
            first_seen[notice.id] = notice
            notices.append(notice)
    return notices, problems


def check_schedules(
    directory: Path | str, facts: dict[str, str] | None = None
) -> list[FileProblem]:
    """Every problem in the schedule files (empty when all is well); for `dcbot schedules check`."""
    return load_schedules(directory, facts)[1]
