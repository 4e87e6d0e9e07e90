"""Read a YAML file once: the data (libyaml when available), its node tree for line numbers,
and the keys written twice in a mapping, which a plain load silently keeps the last of; and
FileProblem, one thing wrong in such a file, as the FAQ and schedule loaders report it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.texts import validation as texts

# libyaml parses about 15x faster than pure Python; ruamel.yaml's round-trip loader is ~30x
# slower, too slow for a 5,000-entry FAQ. Construction (Python either way) is cheap.
_BASE_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class DuplicateKey:
    key: str
    line: int  # 1-based line of the repeated key
    offset: int  # its character offset, to tell which node holds it


@dataclass(frozen=True)
class FileProblem:
    """One thing wrong in an admin's YAML file, said so that whoever edits it can fix it.

    `item` is the FAQ entry or notice concerned (its id, or a label such as "#3" when it has
    none); None means the file as a whole. `field` names the key at fault, when one is.
    """

    file: str
    item: str | None
    message: str
    line: int | None = None
    field: str | None = None

    @property
    def what(self) -> str:
        """The field and the message, without the place (for a list that already says where)."""
        return f"{self.field}: {self.message}" if self.field else self.message

    def __str__(self) -> str:
        """`file:line [item]: field: message`, leaving out what is not known."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        if self.item:
            where += f" [{self.item}]"
        return f"{where}: {self.what}"


class YamlFileError(Exception):
    """The file cannot be read or parsed; the message says why in Vietnamese."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


class _Loader(_BASE_LOADER):  # type: ignore[misc, valid-type]
    """The safe loader, noting each mapping key that repeats an earlier one."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.duplicates: list[DuplicateKey] = []

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict:
        mapping = super().construct_mapping(node, deep=deep)
        if isinstance(node, yaml.MappingNode) and len(mapping) != len(node.value):
            self._note_duplicates(node)  # fewer keys than written: the fast path stays cheap
        return mapping

    def _note_duplicates(self, node: yaml.MappingNode) -> None:
        start, end = node.start_mark.index, node.end_mark.index
        seen: set = set()
        for key_node, _ in node.value:
            mark = key_node.start_mark
            if not start <= mark.index < end:
                continue  # merged in from an anchor (`<<: *base`): overriding it is allowed
            key = self.construct_object(key_node)
            if key in seen:
                self.duplicates.append(DuplicateKey(str(key_node.value), mark.line + 1, mark.index))
            seen.add(key)


@dataclass(frozen=True)
class Span:
    """Where one item of a top-level list is written."""

    line: int  # 1-based first line
    start: int  # character offsets, end excluded
    end: int


@dataclass(frozen=True)
class YamlDocument:
    """The data of one YAML document, with enough of its layout to say where things are.

    Only the spans of top-level list items are kept, not the node tree: keeping 5,000 entries'
    nodes alive makes the garbage collector walk them and costs more than the parse.
    """

    data: Any
    duplicates: tuple[DuplicateKey, ...] = ()
    lists: Mapping[str, tuple[Span, ...]] = field(default_factory=dict)

    def items(self, key: str) -> tuple[Span, ...]:
        """The spans of the items of the top-level list `key` (empty when there is none)."""
        return self.lists.get(key, ())

    def duplicates_in(self, span: Span | None = None) -> list[DuplicateKey]:
        """The duplicate keys written inside `span` (all of them when `span` is None)."""
        if span is None:
            return list(self.duplicates)
        return [d for d in self.duplicates if span.start <= d.offset < span.end]


def parse_yaml(text: str) -> YamlDocument:
    """Parse one document; raises YamlFileError with the line and column of a syntax error."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        raise _syntax_error(exc) from exc
    finally:
        loader.dispose()
    return YamlDocument(data, tuple(loader.duplicates), _top_level_lists(root))


def _top_level_lists(root: yaml.Node | None) -> dict[str, tuple[Span, ...]]:
    if not isinstance(root, yaml.MappingNode):
        return {}
    return {
        key.value: tuple(
            Span(item.start_mark.line + 1, item.start_mark.index, item.end_mark.index)
            for item in value.value
        )
        for key, value in root.value
        if isinstance(key, yaml.ScalarNode) and isinstance(value, yaml.SequenceNode)
    }


def read_yaml(path: Path | str) -> YamlDocument:
    """Read and parse a UTF-8 YAML file; raises YamlFileError saying what went wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlFileError(texts.FILE_NOT_UTF8) from exc
    except OSError as exc:
        raise YamlFileError(texts.FILE_UNREADABLE.format(error=exc)) from exc
    return parse_yaml(text)


def _syntax_error(exc: yaml.YAMLError) -> YamlFileError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    reason = getattr(exc, "problem", None) or str(exc)
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and context_mark is not None and context_mark is not mark:
        reason = texts.YAML_CONTEXT.format(
            reason=reason, context=context, line=context_mark.line + 1
        )
    if mark is None:
        return YamlFileError(texts.YAML_SYNTAX.format(reason=reason))
    line = mark.line + 1
    message = texts.YAML_SYNTAX_AT.format(line=line, column=mark.column + 1, reason=reason)
    return YamlFileError(message, line)
