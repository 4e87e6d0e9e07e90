"""areas.yaml: the shipped example loads; names match as citizens type them; errors say where."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.areas import AreaBook, AreasError, load_areas

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_example_is_two_tier_and_marked_as_an_example() -> None:
    text = (ROOT / "areas.yaml").read_text(encoding="utf-8")
    assert "VÍ DỤ" in text and "01/7/2025" in text and "huyện" in text
    book = load_areas(ROOT / "areas.yaml")
    assert book.province == "Tỉnh Đắk Lắk"
    assert all(a.name.startswith(("Phường ", "Xã ")) for a in book.areas)
    assert {"tan-an", "tuy-hoa"} <= {a.code for a in book.areas}  # Phú Yên merged in


@pytest.mark.parametrize(
    "typed", ["tan an", "Tân An", "TAN-AN", "tanan", "phuong tan an", "Phường Tân An", "#tanan"]
)
def test_names_are_found_without_diacritics_or_prefix(typed) -> None:
    assert load_areas(ROOT / "areas.yaml").find(typed.lstrip("#")) == "tan-an"


def test_unknown_and_missing() -> None:
    book = load_areas(ROOT / "areas.yaml")
    assert book.find("sao hoa") is None and book.find("") is None
    assert load_areas(ROOT / "khong-co.yaml").areas == []
    assert AreaBook().names(None) == "toàn tỉnh"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("areas: [{code: Tân An, name: x}]", "chữ thường"),
        ("areas: [{code: a, name: x}, {code: a, name: y}]", "trùng"),
        ("areas: [{code: a}]", "thiếu name"),
        ("areas: {a: 1}", "danh sách"),
        ("areas: [: :", "areas.yaml"),
    ],
)
def test_bad_files_are_refused_with_the_reason(tmp_path: Path, content, reason) -> None:
    path = tmp_path / "areas.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(AreasError, match=reason):
        load_areas(path)


def test_a_citizens_area_is_erased_with_their_data(engine) -> None:
    from datetime import datetime

    from bot.broadcast import roles
    from bot.db import in_session
    from bot.storage import citizens

    in_session(engine, citizens.touch_user, 5, "An")
    roles.set_citizen_area(engine, 5, "tan-an", now=datetime(2026, 12, 2))
    roles.set_citizen_area(engine, 5, "tuy-hoa", now=datetime(2026, 12, 2))
    assert roles.citizen_area(engine, 5) == "tuy-hoa"
    in_session(engine, citizens.delete_user_data, 5)
    assert roles.citizen_area(engine, 5) is None
