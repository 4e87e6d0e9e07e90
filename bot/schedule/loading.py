"""Reading schedules/*.yaml into notices and problems; one bad notice never hides the others."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from bot.facts import FactsError, fill_facts
from bot.schedule.notices import FACT_FIELDS, Notice, Problem

SCHEDULE_SUFFIXES = (".yaml", ".yml")
_PYDANTIC_MESSAGES = {
    "missing": "thiếu (bắt buộc)",
    "extra_forbidden": "trường không được hỗ trợ (gõ nhầm tên?)",
    "string_type": "phải là chuỗi",
    "list_type": "phải là danh sách",
    "tuple_type": "phải là danh sách",
}


def _problems_from_validation(
    error: ValidationError, file: str, notice_id: str | None, line: int | None
) -> list[Problem]:
    problems = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or None
        message = item["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        else:
            message = _PYDANTIC_MESSAGES.get(item["type"], message)
        problems.append(Problem(file, notice_id, message, line, field))
    return problems


def _notice_nodes(text: str) -> list[yaml.Node] | None:
    """The YAML nodes of the `notices` items, for line numbers and duplicate keys."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return None
    for key, value in root.value:
        if key.value == "notices" and isinstance(value, yaml.SequenceNode):
            return list(value.value)
    return None


def _duplicate_keys(node: yaml.Node) -> list[str]:
    if not isinstance(node, yaml.MappingNode):
        return []
    seen: set[str] = set()
    duplicates = []
    for key, _ in node.value:
        if key.value in seen:
            duplicates.append(key.value)
        seen.add(key.value)
    return duplicates


def load_schedule_file(
    path: Path, facts: dict[str, str] | None = None
) -> tuple[list[Notice], list[Problem]]:
    """Read one schedule file; ids are not checked against other files here."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(file, None, f"không đọc được tệp: {exc}")]
    try:
        data = yaml.safe_load(text)
        nodes = _notice_nodes(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        where = f" (dòng {line}, cột {mark.column + 1})" if mark is not None else ""
        context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and context_mark is not None and context_mark is not mark:
            reason += f", {context} từ dòng {context_mark.line + 1}"
        return [], [Problem(file, None, f"lỗi cú pháp YAML{where}: {reason}", line)]
    if data is None:
        return [], []
    if not isinstance(data, dict):
        return [], [Problem(file, None, "tệp phải bắt đầu bằng 'notices:' và một danh sách", 1)]
    problems = [
        Problem(file, None, f"khóa '{key}' không được hỗ trợ; chỉ có 'notices'", field=str(key))
        for key in data
        if key != "notices"
    ]
    items = data.get("notices")
    if items is None:
        return [], problems
    if not isinstance(items, list):
        return [], [
            *problems,
            Problem(file, None, "'notices' phải là một danh sách", field="notices"),
        ]

    notices: list[Notice] = []
    for index, raw in enumerate(items):
        node = nodes[index] if nodes and index < len(nodes) else None
        line = node.start_mark.line + 1 if node is not None else None
        if not isinstance(raw, dict):
            label = f"#{index + 1}"
            problems.append(
                Problem(file, label, "mỗi thông báo phải là một bảng khóa: giá trị", line)
            )
            continue
        raw_id = raw.get("id")
        notice_id = str(raw_id) if raw_id not in (None, "") else f"#{index + 1}"
        duplicated = _duplicate_keys(node) if node is not None else []
        for key in duplicated:
            problems.append(Problem(file, notice_id, "khóa bị viết hai lần", line, key))
        try:
            raw = {
                key: fill_facts(value, facts or {})
                if key in FACT_FIELDS and isinstance(value, str)
                else value
                for key, value in raw.items()
            }
        except FactsError as exc:
            problems.append(Problem(file, notice_id, str(exc), line))
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
) -> tuple[list[Notice], list[Problem]]:
    """Load every schedule file; returns the valid notices and every problem found.

    `facts` fills the `{{ name }}` placeholders of texts (see bot/facts.py).
    """
    folder = Path(directory)
    if not folder.is_dir():
        return [], [Problem(str(folder), None, "thư mục lịch không tồn tại")]
    notices: list[Notice] = []
    problems: list[Problem] = []
    first_seen: dict[str, Notice] = {}
    for path in schedule_files(folder):
        file_notices, file_problems = load_schedule_file(path, facts)
        problems.extend(file_problems)
        for notice in file_notices:
            earlier = first_seen.get(notice.id)
            if earlier is not None:
                where = f"{earlier.source}:{earlier.line}" if earlier.line else earlier.source
                message = f"id bị trùng, đã dùng ở {where}; thông báo này bị bỏ qua"
                problems.append(Problem(notice.source, notice.id, message, notice.line, "id"))
                continue
            first_seen[notice.id] = notice
            notices.append(notice)
    return notices, problems


def check_schedules(directory: Path | str, facts: dict[str, str] | None = None) -> list[Problem]:
    """Every problem in the schedule files (empty when all is well); for `dcbot schedules check`."""
    return load_schedules(directory, facts)[1]
