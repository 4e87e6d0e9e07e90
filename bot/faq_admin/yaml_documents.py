"""FAQ YAML files as documents: reading them (text, plain data, encoding), the line regions of
their entries, file names, atomic writes and the directory lock."""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedSeq

from bot.knowledge.normalize import tokenize
from bot.yaml_files import YamlFileError, parse_yaml

# --- files ------------------------------------------------------------------------------------

# (mapping, sequence, offset) indents tried in turn; the first that reproduces a file is used.
INDENT_STYLES = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0), (2, 3, 1))
YAML_SUFFIXES = ("*.yaml", "*.yml")
BOM = "\ufeff"


def new_yaml(style: tuple[int, int, int], explicit_start: bool) -> YAML:
    handler = YAML()  # round-trip
    handler.preserve_quotes = True
    handler.width = 4096  # never wrap long lines
    handler.indent(mapping=style[0], sequence=style[1], offset=style[2])
    handler.explicit_start = explicit_start or None
    return handler


def dump_yaml(handler: YAML, data: Any) -> str:
    buffer = io.StringIO()
    handler.dump(data, buffer)
    return buffer.getvalue()


def _is_gap_line(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def entry_regions(text: str, data: Any) -> dict[str, range]:
    """Line numbers (0-based) of each entry, with the blank and comment lines just above it."""
    lines = text.split("\n")
    entries = data.get("entries") if isinstance(data, Mapping) else None
    if not isinstance(entries, CommentedSeq) or not entries:
        return {}
    starts = [entries.lc.item(index)[0] for index in range(len(entries))]
    floor = data.lc.key("entries")[0]
    regions: dict[str, range] = {}
    begins = []
    for index, start in enumerate(starts):
        previous = starts[index - 1] if index else floor
        begin = start
        while begin - 1 > previous and _is_gap_line(lines[begin - 1]):
            begin -= 1
        begins.append(begin)
    for index, entry in enumerate(entries):
        end = begins[index + 1] if index + 1 < len(begins) else len(lines)
        if isinstance(entry, Mapping) and isinstance(entry.get("id"), str):
            regions[str(entry["id"])] = range(begins[index], end)
    return regions


def blank_between_entries(text: str, data: Any) -> bool:
    """Whether the file separates entries with a blank line (the curated files do)."""
    lines = text.split("\n")
    entries = data["entries"]
    if len(entries) < 2:
        return True
    votes = Counter()
    for index in range(1, len(entries)):
        line = entries.lc.item(index)[0] - 1
        while line > 0 and lines[line].strip().startswith("#"):
            line -= 1
        votes[not lines[line].strip()] += 1
    return votes[True] >= votes[False]


def yaml_files(directory: Path) -> list[Path]:
    """Every YAML file the loader reads, in its order (data files included)."""
    return [path for pattern in YAML_SUFFIXES for path in sorted(directory.glob(pattern))]


@dataclass
class YamlDoc:
    name: str
    path: Path
    raw: bytes | None  # bytes read from disk; None for a file this workspace creates
    text: str  # "\n" line ends, no BOM
    plain: Any  # the data as the bot's parser reads it; edited alongside the ruamel tree
    newline: str = "\n"
    bom: bool = False
    final_newline: bool = True
    data: Any = None  # ruamel round-trip tree, loaded on first edit
    handler: YAML | None = None
    regions: dict[str, range] = field(default_factory=dict)
    blank_between: bool = True  # entries separated by a blank line
    touched: list[str] = field(default_factory=list)  # ids edited
    added: list[str] = field(default_factory=list)  # ids appended

    @property
    def created(self) -> bool:
        return self.raw is None

    def mark(self, entry_id: str, *, added: bool = False) -> None:
        target = self.added if added else self.touched
        if entry_id not in target and entry_id not in self.added:
            target.append(entry_id)

    def render(self) -> str:
        text = dump_yaml(self.handler, self.data)
        if not self.final_newline and text.endswith("\n"):
            text = text[:-1]
        return text

    def encode(self, text: str) -> bytes:
        if self.newline != "\n":
            text = text.replace("\n", self.newline)
        return ((BOM if self.bom else "") + text).encode("utf-8")


def read_doc(path: Path) -> YamlDoc:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:  # never re-encoded: the file is not editable (plain None)
        text = ""
    bom = text.startswith(BOM)
    text = text.removeprefix(BOM)
    newline = "\r\n" if "\r\n" in text else "\n"
    text = text.replace("\r\n", "\n")
    try:
        plain = parse_yaml(text).data if text else None
    except YamlFileError:
        plain = None
    return YamlDoc(
        name=path.name,
        path=path,
        raw=raw,
        text=text,
        plain=plain,
        newline=newline,
        bom=bom,
        final_newline=text.endswith("\n") or not text,
    )


def entries_of(doc: YamlDoc) -> list[Any]:
    entries = doc.plain.get("entries") if isinstance(doc.plain, dict) else None
    return entries if isinstance(entries, list) else []


def category_of_doc(doc: YamlDoc) -> str | None:
    category = doc.plain.get("category") if isinstance(doc.plain, dict) else None
    return category.strip() if isinstance(category, str) and category.strip() else None


def slugify(text: str, max_length: int = 40) -> str:
    slug = ""
    for token in tokenize(text):
        candidate = f"{slug}-{token}" if slug else token
        if len(candidate) > max_length:
            break
        slug = candidate
    return slug


def write_atomic(path: Path, data: bytes, mode: int) -> None:
    """Replace `path` in one step: readers see the old file or the new one, never a mix."""
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


@contextlib.contextmanager
def directory_lock(directory: Path) -> Iterator[None]:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock
