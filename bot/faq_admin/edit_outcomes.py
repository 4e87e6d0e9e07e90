"""What an FAQ edit raises, and what it returns: the files it changed, with their diffs."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from bot.texts import validation as texts
from bot.yaml_files import FileProblem


class FaqEditError(Exception):
    """An edit that cannot be made; the message is meant for the admin (Vietnamese)."""


class EntryNotFoundError(FaqEditError):
    """No entry has this id."""


class EntryExistsError(FaqEditError):
    """A new entry would reuse an id."""


class LayoutError(FaqEditError):
    """The file cannot be edited without rewriting lines that the edit does not touch."""


class ConcurrentEditError(FaqEditError):
    """A file changed on disk between reading and writing it; nothing was written."""


class FaqValidationError(FaqEditError):
    """The edited FAQ would not load cleanly; `problems` lists what the edit would break."""

    def __init__(self, problems: list[FileProblem]):
        super().__init__(texts.EDIT_INVALID.format(problems="\n".join(map(str, problems))))
        self.problems = problems


@dataclass(frozen=True)
class FileChange:
    """One file written (or, in a dry run, that would be written)."""

    file: str  # name inside the FAQ directory
    before: str | None  # None: a new file
    after: str
    entry_ids: tuple[str, ...] = ()

    @property
    def created(self) -> bool:
        return self.before is None

    def diff(self) -> str:
        before = [] if self.before is None else self.before.splitlines(keepends=True)
        return "".join(
            difflib.unified_diff(
                before,
                self.after.splitlines(keepends=True),
                "/dev/null" if self.before is None else f"a/{self.file}",
                f"b/{self.file}",
            )
        )


@dataclass(frozen=True)
class EditResult:
    changes: tuple[FileChange, ...] = ()
    # Problems the FAQ directory had before the edit (not caused by it, not fixed by it).
    warnings: tuple[FileProblem, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(change.file for change in self.changes)

    def diff(self) -> str:
        return "".join(change.diff() for change in self.changes)
