"""Shared facts: `faq/_facts.yaml` holds values (the yearly Digital Transformation Day theme...)
that FAQ answers and schedule texts both quote as `{{ name }}`, so next year's change is one edit.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.texts import validation as texts
from bot.yaml_files import YamlFileError, read_yaml

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
        data = read_yaml(path).data
    except YamlFileError as exc:
        raise FactsError(texts.FACTS_UNREADABLE.format(file=path.name, error=exc)) from exc
    table = (data or {}).get("facts") if isinstance(data, dict) or data is None else None
    if not isinstance(table, dict):
        raise FactsError(texts.FACTS_NOT_TABLE.format(file=path.name))
    facts: dict[str, str] = {}
    for name, value in table.items():
        if not re.fullmatch(r"[a-z0-9_]+", str(name)) or not isinstance(value, (str, int)):
            raise FactsError(texts.FACT_INVALID.format(file=path.name, name=name))
        facts[str(name)] = str(value).strip()
    return facts


def fill_facts(text: str, facts: dict[str, str]) -> str:
    """Replace every `{{ name }}`; raises FactsError naming the unknown ones."""
    unknown = sorted({m.group(1) for m in _PLACEHOLDER.finditer(text)} - facts.keys())
    if unknown:
        raise FactsError(texts.FACTS_UNDEFINED.format(file=FACTS_FILE, names=", ".join(unknown)))
    return _PLACEHOLDER.sub(lambda m: facts[m.group(1)], text)
