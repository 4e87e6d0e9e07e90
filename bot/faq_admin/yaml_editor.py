"""Round-trip edits of `faq/*.yaml` with ruamel.yaml: only the lines an edit needs change.

Comments, key order, quoting, block scalars and blank lines elsewhere in a file come out byte
for byte. Before anything is written, `FaqWorkspace.commit`
1. reads the new text back with the bot's own parser (PyYAML) and checks that exactly the
   intended data changed, and that no line outside the edited entries moved;
2. validates the whole directory with `load_faq_dir` on a temporary copy and refuses an edit
   that adds any problem (problems the directory already had are passed back as warnings);
3. writes each file atomically (temporary file + `os.replace`), so the hot reload never reads
   half a file.
A lock on the directory (flock) serialises editors: bot threads and CLI processes alike.

    with open_workspace("faq") as workspace:
        workspace.add_variant("dvc-dang-ky", "mở tài khoản dịch vụ công")
        result = workspace.commit()
"""

from __future__ import annotations

import contextlib
import difflib
import fcntl
import io
import os
import re
import shutil
import stat
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)
from ruamel.yaml.tokens import CommentToken

from bot.knowledge.faq_files import (
    DATA_FILES,
    ID_PATTERN,
    FaqLink,
    FaqProblem,
    load_faq_dir,
)
from bot.knowledge.normalize import fold_text, tokenize
from bot.texts import validation as texts
from bot.yaml_files import YamlFileError, parse_yaml

# Canonical key order of an entry; new keys are placed by it.
ENTRY_KEYS = (
    "id",
    "question",
    "variants",
    "keywords",
    "answer",
    "links",
    "related",
    "sources",
    "checked",
)
EDITABLE_KEYS = frozenset(ENTRY_KEYS) - {"id"}
STRING_LISTS = frozenset({"variants", "keywords", "related", "sources"})
FLOW_LISTS = frozenset({"keywords", "related"})  # written [a, b] like the curated files
MAX_VARIANT_LENGTH = 300
# (mapping, sequence, offset) indents tried in turn; the first that reproduces a file is used.
INDENT_STYLES = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0), (2, 3, 1))
YAML_SUFFIXES = ("*.yaml", "*.yml")
_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVER = yaml.resolver.Resolver()  # YAML 1.1 implicit types, as the bot's loader reads them
_BOM = "\ufeff"
_DAY_PATTERN = re.compile(r"^(\d{4}-\d{2})-\d{2}$")
# Words left out of generated ids: they say nothing about the topic.
_ID_FILLER = frozenset(
    "lam sao the nao de toi minh co khong gi la va thi duoc nhu muon hoi cho em anh chi a oi "
    "nhe vay ha roi nhi voi bi ak ah".split()
)


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

    def __init__(self, problems: list[FaqProblem]):
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
    warnings: tuple[FaqProblem, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(change.file for change in self.changes)

    def diff(self) -> str:
        return "".join(change.diff() for change in self.changes)


# --- plain values -------------------------------------------------------------------------


def clean_line(text: Any) -> str:
    """One line of text with collapsed whitespace (a citizen's question as a variant)."""
    return " ".join(str(text or "").split())


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _text(value: Any) -> str:
    return "" if value is None else str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def canonical_checked(value: Any) -> str | None:
    """`checked` as YYYY-MM when it is a date or a day; other text as is (the loader judges it)."""
    if value is None:
        return None
    if isinstance(value, (date, datetime)):
        return f"{value:%Y-%m}"
    text = str(value).strip()
    day = _DAY_PATTERN.match(text)
    return day.group(1) if day else (text or None)


def _link(value: Any) -> FaqLink:
    if isinstance(value, FaqLink):
        return FaqLink(_text(value.text), _text(value.url))
    if isinstance(value, Mapping):
        return FaqLink(_text(value.get("text")), _text(value.get("url")))
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return FaqLink(_text(value[0]), _text(value[1]))
    return FaqLink(_text(value), "")


def canonical_value(key: str, value: Any) -> Any:
    """The form two values of `key` are compared in: what the bot would make of them."""
    if key in STRING_LISTS:
        return [text for text in (_text(item) for item in _as_list(value)) if text]
    if key == "links":
        return [_link(item) for item in _as_list(value)]
    if key == "checked":
        return canonical_checked(value)
    return _text(value)


def _normalize_fields(fields: Mapping[str, Any], *, allow_id: bool = False) -> dict[str, Any]:
    allowed = EDITABLE_KEYS | ({"id"} if allow_id else set())
    unknown = set(fields) - allowed
    if unknown:
        raise FaqEditError(texts.EDIT_FIELDS_UNKNOWN.format(fields=", ".join(sorted(unknown))))
    return {key: canonical_value(key, value) for key, value in fields.items()}


# --- ruamel nodes ---------------------------------------------------------------------------


def _scalar(value: str) -> str:
    """A string node the bot's YAML 1.1 parser reads back as the same string."""
    if _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) != _STR_TAG:
        return DoubleQuotedScalarString(value)  # "yes", "1:30", "2025-03-01", "null"...
    return value


def _literal(text: str, trailing_newline: bool = True) -> LiteralScalarString:
    return LiteralScalarString(text + ("\n" if trailing_newline else ""))


def _seq(items: Iterable[Any], flow: bool) -> CommentedSeq:
    seq = CommentedSeq(items)
    if flow:
        seq.fa.set_flow_style()
    else:
        seq.fa.set_block_style()
    return seq


def _link_node(link: FaqLink) -> CommentedMap:
    node = CommentedMap()
    node["text"] = _scalar(link.text)
    node["url"] = DoubleQuotedScalarString(link.url)
    node.fa.set_flow_style()
    return node


def _item_node(key: str, value: Any) -> Any:
    return _link_node(value) if key == "links" else _scalar(value)


def _item_plain(key: str, value: Any) -> Any:
    return {"text": value.text, "url": value.url} if key == "links" else value


def _field_node(key: str, value: Any) -> Any:
    """A new node for `value` (already canonical), styled like the curated files."""
    if key in STRING_LISTS or key == "links":
        return _seq((_item_node(key, item) for item in value), flow=key in FLOW_LISTS)
    if key == "answer":
        return _literal(value)
    return _scalar(value)


def _plain(node: Any) -> Any:
    """What PyYAML reads back for a node we built (all strings)."""
    if isinstance(node, Mapping):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, (list, tuple)):
        return [_plain(value) for value in node]
    return str(node)


# --- comments that trail a node ---------------------------------------------------------------
#
# ruamel attaches the blank and comment lines after a node to the last scalar before them: the
# slot of a block sequence item (position 0), of a mapping value (position 2), or `ca.end` of a
# collection. When an item is appended after that scalar, those lines must move along to stay
# below it (a comment above the next key or entry stays above it).


def _is_block_collection(node: Any) -> bool:
    return (
        isinstance(node, (CommentedMap, CommentedSeq))
        and len(node) > 0
        and not node.fa.flow_style()
    )


def _is_block_scalar(node: Any) -> bool:
    return isinstance(node, (LiteralScalarString, FoldedScalarString))


def _last_line_holder(container: Any, key: Any = None) -> tuple[Any, Any, Any, list[Any]]:
    """(collection, key, value) of the node that ends `container[key]` (or `container`) and the
    block collections that end with it, outermost first."""
    ends: list[Any] = []
    while True:
        if key is None:
            ends.append(container)
            key = len(container) - 1 if isinstance(container, CommentedSeq) else list(container)[-1]
        value = container[key]
        if not _is_block_collection(value):
            return container, key, value, ends
        container, key = value, None


def _slot_position(container: Any) -> int:
    return 0 if isinstance(container, CommentedSeq) else 2


def _token_text(token: CommentToken) -> str:
    """A `ca.end` token as the lines it prints (its first line lacks its indentation)."""
    value = token.value
    if value.lstrip(" ").startswith("#"):
        column = getattr(token, "column", None)
        if column is None:
            column = token.start_mark.column
        return " " * column + value.lstrip(" ")
    return value


def _pop_trailing(container: Any, key: Any = None) -> str:
    """Detach and return the blank/comment lines after the last line of `container[key]`
    (or of `container`); a comment at the end of that line stays."""
    holder, holder_key, value, ends = _last_line_holder(container, key)
    lines = ""
    position = _slot_position(holder)
    slot = holder.ca.items.get(holder_key)
    if slot is not None and slot[position] is not None:
        token = slot[position]
        if _is_block_scalar(value):  # the block ends its own line: all of it trails
            lines, slot[position] = token.value, None
        else:
            head, _, lines = token.value.partition("\n")
            slot[position] = (
                CommentToken(head + "\n", token.start_mark, None) if head.strip() else None
            )
        if isinstance(value, (CommentedMap, CommentedSeq)) and value.ca.comment:
            value.ca.comment[0] = slot[position]  # a flow collection keeps a copy
    for node in reversed(ends):  # inner collections end first
        lines += "".join(_token_text(token) for token in node.ca.end)
        node.ca.end = []
    return lines


def _push_trailing(container: Any, lines: str, key: Any = None) -> None:
    """Attach blank/comment `lines` below the last line of `container[key]` (or `container`)."""
    if not lines:
        return
    holder, holder_key, value, _ = _last_line_holder(container, key)
    position = _slot_position(holder)
    slot = holder.ca.items.setdefault(holder_key, [None, None, None, None])
    old = slot[position]
    base = old.value if old is not None else ("" if _is_block_scalar(value) else "\n")
    mark = old.start_mark if old is not None else CommentMark(0)
    slot[position] = CommentToken(base + lines, mark, None)


def _insert_key(node: CommentedMap, key: str, value: Any) -> None:
    """Insert `key` where the canonical order puts it, below the lines that trail its predecessor."""
    keys = list(node)
    order = ENTRY_KEYS.index(key)
    position = 0
    for index, existing in enumerate(keys):
        if existing in ENTRY_KEYS and ENTRY_KEYS.index(existing) < order:
            position = index + 1
    previous = keys[position - 1] if position > 0 else None
    lines = _pop_trailing(node, previous) if previous is not None else ""
    node.insert(position, key, value)
    _push_trailing(node, lines, key)


def _delete_key(node: CommentedMap, key: str) -> None:
    keys = list(node)
    position = keys.index(key)
    lines = _pop_trailing(node, key)
    del node[key]
    if position > 0:
        _push_trailing(node, lines, keys[position - 1])


def _restyled(old: Any, key: str, text: str) -> Any:
    """`text` in the style of the value it replaces (quotes, block scalar, chomping)."""
    if key == "answer" and (_is_block_scalar(old) or "\n" in text):
        keep_newline = not _is_block_scalar(old) or str(old).endswith("\n")
        if isinstance(old, FoldedScalarString) and "\n" not in text:
            return FoldedScalarString(text + ("\n" if keep_newline else ""))
        return _literal(text, keep_newline)
    if isinstance(old, DoubleQuotedScalarString):
        return DoubleQuotedScalarString(text)
    if isinstance(old, SingleQuotedScalarString):
        return SingleQuotedScalarString(text)
    return _scalar(text)


# --- files ------------------------------------------------------------------------------------


def _new_yaml(style: tuple[int, int, int], explicit_start: bool) -> YAML:
    handler = YAML()  # round-trip
    handler.preserve_quotes = True
    handler.width = 4096  # never wrap long lines
    handler.indent(mapping=style[0], sequence=style[1], offset=style[2])
    handler.explicit_start = explicit_start or None
    return handler


def _dump(handler: YAML, data: Any) -> str:
    buffer = io.StringIO()
    handler.dump(data, buffer)
    return buffer.getvalue()


def _is_gap_line(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _entry_regions(text: str, data: Any) -> dict[str, range]:
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


def _blank_between_entries(text: str, data: Any) -> bool:
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
class _Doc:
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
        text = _dump(self.handler, self.data)
        if not self.final_newline and text.endswith("\n"):
            text = text[:-1]
        return text

    def encode(self, text: str) -> bytes:
        if self.newline != "\n":
            text = text.replace("\n", self.newline)
        return ((_BOM if self.bom else "") + text).encode("utf-8")


def _read_doc(path: Path) -> _Doc:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:  # never re-encoded: the file is not editable (plain None)
        text = ""
    bom = text.startswith(_BOM)
    text = text.removeprefix(_BOM)
    newline = "\r\n" if "\r\n" in text else "\n"
    text = text.replace("\r\n", "\n")
    try:
        plain = parse_yaml(text).data if text else None
    except YamlFileError:
        plain = None
    return _Doc(
        name=path.name,
        path=path,
        raw=raw,
        text=text,
        plain=plain,
        newline=newline,
        bom=bom,
        final_newline=text.endswith("\n") or not text,
    )


def _entries_of(doc: _Doc) -> list[Any]:
    entries = doc.plain.get("entries") if isinstance(doc.plain, dict) else None
    return entries if isinstance(entries, list) else []


def _category_of(doc: _Doc) -> str | None:
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


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
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
def _directory_lock(directory: Path) -> Iterator[None]:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


class FaqWorkspace:
    """The FAQ files of one directory, edited in memory until `commit`.

    Create it with `open_workspace`, which holds the directory lock. After `commit` the
    workspace is spent; open a new one for further edits.
    """

    def __init__(self, directory: Path | str):
        self.directory = Path(directory)
        self._docs: dict[str, _Doc] = {}
        self._index: dict[str, tuple[str, int]] = {}  # entry id -> (file, position)
        self._committed = False
        for path in yaml_files(self.directory):
            if path.name in DATA_FILES:
                continue
            doc = _read_doc(path)
            self._docs[doc.name] = doc
            for position, entry in enumerate(_entries_of(doc)):
                if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                    self._index.setdefault(entry["id"], (doc.name, position))

    # reading

    @property
    def files(self) -> list[str]:
        return list(self._docs)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._index

    def entries(self) -> Iterator[tuple[str, str | None, dict[str, Any]]]:
        """(file, category, entry as parsed) for every entry, in file order; do not mutate."""
        for doc in self._docs.values():
            category = _category_of(doc)
            for entry in _entries_of(doc):
                if isinstance(entry, dict):
                    yield doc.name, category, entry

    def file_of(self, entry_id: str) -> str:
        return self._locate(entry_id)[0].name

    def entry(self, entry_id: str) -> dict[str, Any]:
        doc, position = self._locate(entry_id)
        return dict(_entries_of(doc)[position])

    def category_of(self, entry_id: str) -> str | None:
        return _category_of(self._locate(entry_id)[0])

    def categories(self) -> list[str]:
        return list(dict.fromkeys(c for c in map(_category_of, self._docs.values()) if c))

    def file_for_category(self, category: str) -> str | None:
        """The first file whose category matches (case and diacritics aside)."""
        wanted = fold_text(category)
        for doc in self._docs.values():
            found = _category_of(doc)
            if found is not None and fold_text(found) == wanted:
                return doc.name
        return None

    def suggest_id(self, question: str, category: str | None = None) -> str:
        """A free id for a new entry: the category's usual prefix plus the question's key words."""
        words = [token for token in tokenize(question) if token not in _ID_FILLER] or tokenize(
            question
        )
        prefix = ""
        name = self.file_for_category(category) if category else None
        if name is not None:
            heads = Counter(
                str(entry.get("id", "")).split("-", 1)[0]
                for entry in _entries_of(self._docs[name])
                if isinstance(entry, dict)
            )
            if heads:
                head, count = heads.most_common(1)[0]
                if head and count * 2 >= sum(heads.values()):
                    prefix = head
        base = slugify(" ".join([prefix, *words]) if prefix else " ".join(words), 40) or "muc-moi"
        candidate, number = base, 2
        while candidate in self._index:
            candidate, number = f"{base}-{number}", number + 1
        return candidate

    # editing

    def add_variant(self, entry_id: str, text: str) -> bool:
        """Append `text` to the entry's variants; False if it already is a phrasing of it."""
        variant = clean_line(text)
        if not tokenize(variant):
            raise FaqEditError(texts.EDIT_VARIANT_NO_WORDS)
        if len(variant) > MAX_VARIANT_LENGTH:
            raise FaqEditError(texts.EDIT_VARIANT_TOO_LONG.format(limit=MAX_VARIANT_LENGTH))
        doc, position = self._locate(entry_id)
        entry = _entries_of(doc)[position]
        variants = canonical_value("variants", entry.get("variants"))
        known = {fold_text(phrase) for phrase in [_text(entry.get("question")), *variants]}
        if fold_text(variant) in known:
            return False
        self._set_list(doc, position, "variants", variants, [*variants, variant])
        doc.mark(entry_id)
        return True

    def update_entry(self, entry_id: str, fields: Mapping[str, Any]) -> list[str]:
        """Set fields of an entry (an empty list or None removes the key); returns the keys that
        really changed. The id cannot change."""
        values = _normalize_fields(fields)
        doc, position = self._locate(entry_id)
        entry = _entries_of(doc)[position]
        changed = []
        for key in ENTRY_KEYS:
            if key not in values:
                continue
            new, old = values[key], canonical_value(key, entry.get(key))
            if new == old:
                continue
            if key in ("question", "answer") and not new:
                raise FaqEditError(texts.EDIT_FIELD_EMPTY.format(entry=entry_id, field=key))
            if key in STRING_LISTS or key == "links":
                self._set_list(doc, position, key, old, new)
            else:
                self._set_scalar(doc, position, key, new)
            changed.append(key)
        if changed:
            doc.mark(entry_id)
        return changed

    def add_entry(self, category: str, fields: Mapping[str, Any]) -> str:
        """Append a new entry to the category's file (a new file for a new category); returns
        the file name."""
        values = _normalize_fields(fields, allow_id=True)
        entry_id = values.get("id", "")
        category = clean_line(category)
        if not category:
            raise FaqEditError(texts.EDIT_CATEGORY_MISSING)
        if not ID_PATTERN.match(entry_id):
            raise FaqEditError(texts.EDIT_ID_INVALID.format(entry=entry_id))
        if entry_id in self._index:
            raise EntryExistsError(
                texts.EDIT_ENTRY_EXISTS.format(entry=entry_id, file=self.file_of(entry_id))
            )
        if not values.get("question") or not values.get("answer"):
            raise FaqEditError(texts.EDIT_NEW_ENTRY_INCOMPLETE)
        node = CommentedMap()
        for key in ENTRY_KEYS:
            if values.get(key):
                node[key] = _field_node(key, values[key])
        name = self.file_for_category(category)
        if name is None:
            doc = self._new_doc(category, node)
        else:
            doc = self._docs[name]
            entries = self._tree(doc)["entries"]
            lines = _pop_trailing(entries)
            if doc.blank_between:
                _push_trailing(entries, "\n", len(entries) - 1)
            entries.append(node)
            _push_trailing(entries, lines)
            _entries_of(doc).append(_plain(node))
        self._index[entry_id] = (doc.name, len(_entries_of(doc)) - 1)
        doc.mark(entry_id, added=True)
        return doc.name

    # committing

    def pending(self) -> list[FileChange]:
        """Render the edited files and check that each says exactly what was meant."""
        changes = []
        for doc in self._docs.values():
            if doc.data is None or not (doc.touched or doc.added):
                continue
            text = doc.render()
            if not doc.created and text == doc.text:
                continue
            self._check(doc, text)
            changes.append(
                FileChange(
                    file=doc.name,
                    before=None if doc.created else doc.text,
                    after=text,
                    entry_ids=tuple(doc.touched + doc.added),
                )
            )
        return changes

    def validate(self, changes: list[FileChange]) -> tuple[list[FaqProblem], list[FaqProblem]]:
        """(problems the changes would add, problems the directory already has)."""
        _, before = load_faq_dir(self.directory)
        with tempfile.TemporaryDirectory(prefix="faq-check-") as scratch:
            copy = Path(scratch)
            for path in yaml_files(self.directory):
                shutil.copyfile(path, copy / path.name)
            for change in changes:
                (copy / change.file).write_bytes(self._docs[change.file].encode(change.after))
            _, after = load_faq_dir(copy)
        after = [
            FaqProblem(str(self.directory), p.entry_id, p.message) if p.file == str(copy) else p
            for p in after
        ]
        known = {str(problem) for problem in before}
        return [problem for problem in after if str(problem) not in known], before

    def commit(self, *, dry_run: bool = False) -> EditResult:
        """Check, validate and (unless `dry_run`) write every edited file.

        Raises FaqValidationError (nothing written) if the FAQ would get a new problem,
        ConcurrentEditError if a file changed on disk meanwhile, LayoutError if an edit
        would move lines it does not own.
        """
        if self._committed:
            raise FaqEditError(texts.EDIT_ALREADY_COMMITTED)
        changes = self.pending()
        if not changes:
            return EditResult()
        new_problems, before = self.validate(changes)
        if new_problems:
            raise FaqValidationError(new_problems)
        if not dry_run:
            docs = [self._docs[change.file] for change in changes]
            for doc in docs:
                current = doc.path.read_bytes() if doc.path.exists() else None
                if current != doc.raw:
                    raise ConcurrentEditError(texts.EDIT_CONCURRENT.format(file=doc.name))
            mode = self._file_mode()
            for doc, change in zip(docs, changes, strict=True):
                own = stat.S_IMODE(doc.path.stat().st_mode) if doc.raw is not None else mode
                _write_atomic(doc.path, doc.encode(change.after), own)
            self._committed = True
        return EditResult(tuple(changes), tuple(before))

    # internals

    def _locate(self, entry_id: str) -> tuple[_Doc, int]:
        found = self._index.get(entry_id)
        if found is None:
            raise EntryNotFoundError(texts.EDIT_ENTRY_NOT_FOUND.format(entry=entry_id))
        return self._docs[found[0]], found[1]

    def _tree(self, doc: _Doc) -> Any:
        """The ruamel tree of a file, after checking that ruamel reproduces the file exactly."""
        if doc.data is not None:
            return doc.data
        if not isinstance(doc.plain, dict) or not _entries_of(doc):
            raise FaqEditError(texts.EDIT_FILE_BROKEN.format(file=doc.name))
        explicit = doc.text.startswith("---")
        data = _new_yaml(INDENT_STYLES[0], explicit).load(doc.text)
        expected = doc.text if doc.final_newline else doc.text + "\n"
        for style in INDENT_STYLES:
            handler = _new_yaml(style, explicit)
            if _dump(handler, data) == expected:
                break
        else:
            raise LayoutError(texts.EDIT_LAYOUT_UNSUPPORTED.format(file=doc.name))
        if not isinstance(data.get("entries"), CommentedSeq):
            raise FaqEditError(texts.EDIT_ENTRIES_NOT_LIST.format(file=doc.name))
        doc.data, doc.handler = data, handler
        doc.regions = _entry_regions(doc.text, data)
        doc.blank_between = _blank_between_entries(doc.text, data)
        return data

    def _node(self, doc: _Doc, position: int) -> CommentedMap:
        node = self._tree(doc)["entries"][position]
        if not isinstance(node, CommentedMap):
            raise FaqEditError(
                texts.EDIT_ENTRY_NOT_TABLE.format(file=doc.name, position=position + 1)
            )
        return node

    def _set_scalar(self, doc: _Doc, position: int, key: str, value: str | None) -> None:
        node, entry = self._node(doc, position), _entries_of(doc)[position]
        if value is None or value == "":
            if key in node:
                _delete_key(node, key)
            entry.pop(key, None)
            return
        new = _restyled(node[key], key, value) if key in node else _field_node(key, value)
        if key in node:
            node[key] = new
        else:
            _insert_key(node, key, new)
        entry[key] = _plain(new)

    def _set_list(self, doc: _Doc, position: int, key: str, old: list, new: list) -> None:
        node, entry = self._node(doc, position), _entries_of(doc)[position]
        entry[key] = [_item_plain(key, item) for item in new]
        seq = node.get(key)
        if not new:
            if key in node:
                _delete_key(node, key)
            entry.pop(key, None)
            return
        if not isinstance(seq, CommentedSeq) or len(seq) != len(old):
            fresh = _field_node(key, new)
            if key in node:
                node[key] = fresh
            else:
                _insert_key(node, key, fresh)
            return
        block = not seq.fa.flow_style()
        lines = _pop_trailing(node, key) if block and seq else ""
        matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
        for tag, i1, i2, j1, j2 in reversed(matcher.get_opcodes()):
            if tag == "equal":
                continue
            common = min(i2 - i1, j2 - j1) if tag == "replace" else 0
            for offset in range(common):
                seq[i1 + offset] = _item_node(key, new[j1 + offset])
            for index in reversed(range(i1 + common, i2)):
                del seq[index]
            for offset, item in enumerate(new[j1 + common : j2]):
                seq.insert(i1 + common + offset, _item_node(key, item))
        if block:
            _push_trailing(node, lines, key)

    def _new_doc(self, category: str, node: CommentedMap) -> _Doc:
        name = self._new_file_name(category)
        data = CommentedMap()
        data["category"] = _scalar(category)
        data["entries"] = _seq([node], flow=False)
        doc = _Doc(
            name=name,
            path=self.directory / name,
            raw=None,
            text="",
            plain=_plain(data),
            data=data,
            handler=_new_yaml(INDENT_STYLES[0], False),
        )
        doc.blank_between = True
        self._docs[name] = doc
        return doc

    def _new_file_name(self, category: str) -> str:
        taken = {path.name for path in yaml_files(self.directory)} | set(self._docs)
        numbers = [re.match(r"^(\d+)-", name) for name in taken if name not in DATA_FILES]
        numbers = [match for match in numbers if match]
        slug = slugify(category) or "chu-de"
        if numbers:
            width = max(len(match.group(1)) for match in numbers)
            slug = f"{max(int(match.group(1)) for match in numbers) + 1:0{width}d}-{slug}"
        name, number = f"{slug}.yaml", 2
        while name in taken:
            name, number = f"{slug}-{number}.yaml", number + 1
        return name

    def _file_mode(self) -> int:
        for doc in self._docs.values():
            if doc.raw is not None:
                return stat.S_IMODE(doc.path.stat().st_mode)
        return 0o644

    def _check(self, doc: _Doc, text: str) -> None:
        """The new text must parse to the intended data and change only the edited entries."""
        try:
            reread = parse_yaml(text).data
        except YamlFileError as exc:
            raise LayoutError(texts.EDIT_REREAD_FAILED.format(file=doc.name, error=exc)) from exc
        if reread != doc.plain:
            raise LayoutError(texts.EDIT_REREAD_DIFFERS.format(file=doc.name))
        if doc.created:
            return
        new_regions = _entry_regions(text, _new_yaml(INDENT_STYLES[0], False).load(text))
        allowed_old = {line for i in doc.touched for line in doc.regions.get(i, ())}
        allowed_new = {line for i in doc.touched + doc.added for line in new_regions.get(i, ())}
        matcher = difflib.SequenceMatcher(
            None, doc.text.split("\n"), text.split("\n"), autojunk=False
        )
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag != "equal" and not (
                set(range(i1, i2)) <= allowed_old and set(range(j1, j2)) <= allowed_new
            ):
                raise LayoutError(texts.EDIT_OUTSIDE_ENTRIES.format(file=doc.name, line=i1 + 1))


@contextlib.contextmanager
def open_workspace(directory: Path | str) -> Iterator[FaqWorkspace]:
    """A workspace on `directory`, holding its edit lock until the block ends."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FaqEditError(texts.FAQ_DIR_NOT_FOUND.format(directory=directory))
    with _directory_lock(directory):
        yield FaqWorkspace(directory)


def _edit(directory: Path | str, change: Callable[[FaqWorkspace], Any]) -> EditResult:
    with open_workspace(directory) as workspace:
        change(workspace)
        return workspace.commit()


def add_variant(directory: Path | str, entry_id: str, text: str) -> EditResult:
    """Add `text` as a variant of the entry and write it; unchanged if it already is one."""
    return _edit(directory, lambda workspace: workspace.add_variant(entry_id, text))


def add_entry(directory: Path | str, category: str, fields: Mapping[str, Any]) -> EditResult:
    """Append a new entry (fields: id, question, answer, variants...) to its category's file."""
    return _edit(directory, lambda workspace: workspace.add_entry(category, fields))


def update_entry(directory: Path | str, entry_id: str, fields: Mapping[str, Any]) -> EditResult:
    """Change fields of an entry; untouched fields and other entries keep every byte."""
    return _edit(directory, lambda workspace: workspace.update_entry(entry_id, fields))
