"""A campaign's area scope as stored (`campaignextra.areas`); the recipients query itself is
`bot/storage/audience.py`."""

from __future__ import annotations

import json
from collections.abc import Iterable


def areas_json(areas: Iterable[str] | None) -> str | None:
    """Storage form of an area scope; None is the whole province."""
    return None if areas is None else json.dumps(sorted(set(areas)), ensure_ascii=False)


def areas_from_json(value: str | None) -> list[str] | None:
    if value is None or value == "":
        return None
    try:
        areas = json.loads(value)
    except ValueError:
        return []  # unreadable scope reaches nobody rather than everybody
    return [str(area) for area in areas] if isinstance(areas, list) else []
