"""Notice edits to a directory of YAML files by comparing content digests.

A plain poll (a JobQueue job) rather than watchfiles: its poller needs about half a second to
take a first snapshot, and an edit made meanwhile is never reported. Here the caller takes the
first snapshot before loading the files, so no edit can fall between load and watch. The files
are small, so hashing them every poll costs nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

Snapshot = dict[str, str]  # file path -> digest of its content
YAML_PATTERNS = ("*.yaml", "*.yml")


def snapshot(directory: Path | str, patterns: tuple[str, ...] = YAML_PATTERNS) -> Snapshot:
    """Digest of every matching file in `directory` (empty if it does not exist)."""
    folder = Path(directory)
    if not folder.is_dir():
        return {}
    digests: Snapshot = {}
    for pattern in patterns:
        for path in sorted(folder.glob(pattern)):
            with contextlib.suppress(OSError):  # deleted between listing and reading
                digests[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def changed_files(before: Snapshot, after: Snapshot) -> set[str]:
    """Files added, removed or edited between two snapshots."""
    return {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
