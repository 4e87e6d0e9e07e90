"""Every user-facing Vietnamese text lives in bot/texts/: no Vietnamese string literal elsewhere."""

from __future__ import annotations

import ast
import re
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"
# Vietnamese letters with diacritics, and đ/Đ; plain ASCII Vietnamese is indistinguishable.
VIETNAMESE = re.compile(r"[À-ÃÈ-ÊÌÍÒ-ÕÙÚÝà-ãè-êìíò-õùúýĂăĐđĨĩŨũƠơƯưẠ-ỹ]")

ALLOWED = {
    # Data, not texts: folding đ/Đ to d/D when removing diacritics.
    "knowledge/normalize.py",
}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = body[0] if body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _allowed(relative: str) -> bool:
    return relative.startswith("texts/") or any(
        relative == entry or (entry.endswith("/") and relative.startswith(entry))
        for entry in ALLOWED
    )


def vietnamese_literals() -> list[str]:
    found = []
    for path in sorted(BOT.rglob("*.py")):
        relative = path.relative_to(BOT).as_posix()
        if _allowed(relative):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and VIETNAMESE.search(node.value)
            ):
                found.append(f"bot/{relative}:{node.lineno}: {node.value[:60]!r}")
    return found


def test_no_vietnamese_text_outside_bot_texts() -> None:
    found = vietnamese_literals()
    assert not found, "move these into bot/texts/:\n" + "\n".join(found)


def test_the_scan_sees_f_strings_and_skips_docstrings(tmp_path: Path) -> None:
    tree = ast.parse('"""Tài liệu."""\nx = f"Đã gửi {n} tin"\n')
    literals = [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and id(n) not in _docstrings(tree)
    ]
    assert [v for v in literals if VIETNAMESE.search(v)] == ["Đã gửi "]
