"""Shared facts: `faq/_facts.yaml` holds values (the yearly Digital Transformation Day theme...)
that FAQ answers and schedule texts both quote as `{{ name }}`, so next year's change is one edit.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

FACTS_FILE = "_facts.yaml"
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z0-9_]+)\s*\}\}")


class FactsError(ValueError):
    """The facts file cannot be read, or a text quotes a fact that is not defined."""


def load_facts(path: Path | str) -> dict[str, str]:
    """`facts:` name -> text; a missing file means no facts."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise FactsError(f"{path.name}: không đọc được: {exc}") from exc
    table = (data or {}).get("facts") if isinstance(data, dict) or data is None else None
    if not isinstance(table, dict):
        raise FactsError(f"{path.name}: cần khóa 'facts' là một bảng tên -> nội dung")
    facts: dict[str, str] = {}
    for name, value in table.items():
        if not re.fullmatch(r"[a-z0-9_]+", str(name)) or not isinstance(value, (str, int)):
            raise FactsError(f"{path.name}: '{name}': tên chỉ gồm a-z, 0-9, _ và nội dung là chuỗi")
        facts[str(name)] = str(value).strip()
    return facts


def fill_facts(text: str, facts: dict[str, str]) -> str:
    """Replace every `{{ name }}`; raises FactsError naming the unknown ones."""
    unknown = sorted({m.group(1) for m in _PLACEHOLDER.finditer(text)} - facts.keys())
    if unknown:
        raise FactsError(f"chưa định nghĩa trong {FACTS_FILE}: {', '.join(unknown)}")
    return _PLACEHOLDER.sub(lambda m: facts[m.group(1)], text)
