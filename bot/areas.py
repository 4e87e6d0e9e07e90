"""The province's xã/phường from areas.yaml (two tiers since 1 July 2025: tỉnh → xã/phường).

Names are matched the way citizens type them: with or without diacritics, spaces or the
"xã"/"phường" prefix ("tan an", "Tân An", "phuong tan an", "#tanan", "tan-an").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.knowledge.normalize import tokenize
from bot.texts import officials as texts

CODE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PREFIXES = ("phuong", "xa", "dac khu", "dackhu")
MAX_AREAS = 2000


class AreasError(ValueError):
    """areas.yaml cannot be used; the message says where."""


@dataclass(frozen=True)
class Area:
    code: str
    name: str


@dataclass
class AreaBook:
    province: str = ""
    areas: list[Area] = field(default_factory=list)
    _index: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for area in self.areas:
            for key in _keys(area.name) | _keys(area.code):
                self._index.setdefault(key, area.code)

    def by_code(self, code: str) -> Area | None:
        return next((area for area in self.areas if area.code == code), None)

    def find(self, typed: str) -> str | None:
        """The code of the area `typed` names, or None."""
        keys = _keys(typed)
        return next((self._index[key] for key in keys if key in self._index), None)

    def names(self, codes: list[str] | None) -> str:
        if codes is None:
            return self.province or texts.WHOLE_PROVINCE
        return ", ".join(area.name if (area := self.by_code(c)) else c for c in codes)


def _keys(text: str) -> set[str]:
    words = tokenize(str(text).replace("-", " "))
    joined = "".join(words)
    keys = {joined} if joined else set()
    spaced = " ".join(words)
    for prefix in PREFIXES:
        if spaced.startswith(prefix + " "):
            keys.add(spaced[len(prefix) + 1 :].replace(" ", ""))
    return keys


def load_areas(path: Path) -> AreaBook:
    """Read and check areas.yaml; a missing file is an empty book (no areas configured)."""
    if not path.exists():
        return AreaBook()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise AreasError(f"{path}: {error}") from error
    if not isinstance(data, dict) or not isinstance(data.get("areas", []), list):
        raise AreasError(texts.AREAS_SHAPE.format(path=path))
    areas: list[Area] = []
    seen: set[str] = set()
    for number, item in enumerate(data.get("areas") or [], start=1):
        if not isinstance(item, dict):
            raise AreasError(texts.AREAS_ITEM_SHAPE.format(path=path, number=number))
        code, name = str(item.get("code") or "").strip(), str(item.get("name") or "").strip()
        if not CODE.match(code) or len(code) > 64:
            raise AreasError(texts.AREAS_BAD_CODE.format(path=path, number=number, code=code))
        if not name or len(name) > 128:
            raise AreasError(texts.AREAS_BAD_NAME.format(path=path, number=number))
        if code in seen:
            raise AreasError(texts.AREAS_DUPLICATE.format(path=path, code=code))
        seen.add(code)
        areas.append(Area(code, name))
    if len(areas) > MAX_AREAS:
        raise AreasError(texts.AREAS_TOO_MANY.format(path=path, limit=MAX_AREAS))
    return AreaBook(str(data.get("province") or "").strip(), areas)
