"""Helpers for the FAQ editing tests: copies of the real faq/ and git-style diffs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
REAL_FAQ = ROOT / "faq"


def copy_real_faq(target: Path) -> Path:
    shutil.copytree(REAL_FAQ, target)
    return target


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file's bytes, by name (temporary files included: none may be left behind)."""
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def git_diff(before: Path, after: Path) -> tuple[list[str], list[str]]:
    """(removed lines, added lines) as `git diff --no-index` reports them."""
    result = subprocess.run(
        [
            "git",
            "diff",
            "--no-index",
            "--no-color",
            "--no-ext-diff",
            "-U0",
            str(before),
            str(after),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    removed, added, in_hunk = [], [], False
    for line in result.stdout.splitlines():
        if line.startswith("diff --git"):
            in_hunk = False
        elif line.startswith("@@"):
            in_hunk = True
        elif in_hunk and line.startswith("-"):
            removed.append(line[1:])
        elif in_hunk and line.startswith("+"):
            added.append(line[1:])
    return removed, added


def comment_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip().startswith("#") or " # " in line]
