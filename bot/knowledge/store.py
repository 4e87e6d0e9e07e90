"""The live FAQ: the current matcher, swapped atomically when `faq/` changes and is valid."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.file_watch import Snapshot, changed_files, snapshot
from bot.knowledge.faq_files import load_faq_dir
from bot.knowledge.matcher import Matcher
from bot.yaml_files import FileProblem

log = logging.getLogger(__name__)

ProblemsCallback = Callable[[list[FileProblem]], Awaitable[None]]


class FaqStore:
    """Holds the matcher in use. A bad edit keeps the last good FAQ live."""

    def __init__(self, directory: Path | str):
        self.directory = Path(directory)
        self.matcher: Matcher | None = None
        self.last_problems: list[FileProblem] = []
        self._snapshot: Snapshot = {}

    def load(self) -> list[FileProblem]:
        """(Re)load the directory. The first load serves whatever is valid; later ones are all-or-nothing."""
        self._snapshot = snapshot(self.directory)  # taken first: no edit falls between
        book, problems = load_faq_dir(self.directory)
        self.last_problems = problems
        if problems and self.matcher is not None:
            log.error(
                "FAQ edit rejected, keeping the last good FAQ:\n%s", "\n".join(map(str, problems))
            )
            return problems
        if problems:
            log.error("FAQ loaded with problems:\n%s", "\n".join(map(str, problems)))
        if book.entries or self.matcher is None:
            self.matcher = Matcher(book)
            log.info("FAQ loaded: %d entries from %s", len(book.entries), self.directory)
        return problems

    async def reload(self) -> list[FileProblem]:
        """Build the new index off the event loop, so replies keep flowing during a reload."""
        return await asyncio.to_thread(self.load)

    async def reload_if_changed(self) -> list[FileProblem] | None:
        """Reload when a file changed since the last load; None when nothing changed."""
        current = await asyncio.to_thread(snapshot, self.directory)
        if not changed_files(self._snapshot, current):
            return None
        return await self.reload()
