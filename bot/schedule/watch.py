"""Watching schedules/ for edits by polling the files' contents.

A plain poll rather than watchfiles: watchfiles' poller needs about half a second to take its
first snapshot, and an edit made meanwhile is never reported. Here the caller takes the first
snapshot itself (before it loads the files), so no edit can fall between load and watch. The
schedule files are a few kilobytes, so hashing them every poll costs nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.schedule.notices import schedule_files

log = logging.getLogger(__name__)

Snapshot = dict[str, str]  # file path -> digest of its content
ChangeCallback = Callable[[set[str]], Awaitable[object] | object]


def snapshot_schedules(directory: Path | str) -> Snapshot:
    """Digest of every schedule file in `directory` (empty if it does not exist)."""
    folder = Path(directory)
    if not folder.is_dir():
        return {}
    digests: Snapshot = {}
    for path in schedule_files(folder):
        with contextlib.suppress(OSError):  # deleted between listing and reading
            digests[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def changed_files(before: Snapshot, after: Snapshot) -> set[str]:
    """Files added, removed or edited between two snapshots."""
    return {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}


async def watch_schedules(
    directory: Path | str,
    on_change: ChangeCallback,
    *,
    poll_seconds: float = 1.0,
    initial: Snapshot | None = None,
    stop_event: asyncio.Event | None = None,
) -> None:
    """Call `on_change(changed_paths)` whenever schedule files change, until stopped.

    Compares against `initial` (or a snapshot taken now) every `poll_seconds`. A failing
    callback is logged and watching goes on; set `stop_event` or cancel the task to stop.
    """
    stop_event = stop_event or asyncio.Event()
    previous = (
        initial if initial is not None else await asyncio.to_thread(snapshot_schedules, directory)
    )
    while not stop_event.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop_event.wait(), timeout=poll_seconds)
        if stop_event.is_set():
            return
        current = await asyncio.to_thread(snapshot_schedules, directory)
        changes = changed_files(previous, current)
        if not changes:
            continue
        previous = current
        log.info("schedule files changed: %s", ", ".join(sorted(changes)))
        try:
            result = on_change(changes)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("reloading schedules after a file change failed")
