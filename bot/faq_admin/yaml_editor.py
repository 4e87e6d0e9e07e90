"""The FAQ workspace: round-trip edits of `faq/*.yaml` with ruamel.yaml, only the lines an edit
needs change.

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

The pieces: entry_fields (keys and canonical values), yaml_nodes (ruamel nodes and trailing
comments), yaml_documents (files, regions, atomic writes, the lock), layout_writes (in-place
edits and the rewrite check), edit_outcomes (errors and results).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import stat
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from bot.faq_admin.edit_outcomes import (
    ConcurrentEditError,
    EditResult,
    EntryExistsError,
    EntryNotFoundError,
    FaqEditError,
    FaqValidationError,
    FileChange,
)
from bot.faq_admin.entry_fields import (
    ENTRY_KEYS,
    ID_FILLER,
    MAX_VARIANT_LENGTH,
    STRING_LISTS,
    canonical_value,
    clean_line,
    normalize_fields,
    text_value,
)
from bot.faq_admin.layout_writes import (
    check_rewrite,
    load_tree,
    set_list,
    set_scalar,
)
from bot.faq_admin.yaml_documents import (
    INDENT_STYLES,
    YamlDoc,
    category_of_doc,
    directory_lock,
    entries_of,
    new_yaml,
    read_doc,
    slugify,
    write_atomic,
    yaml_files,
)
from bot.faq_admin.yaml_nodes import (
    field_node,
    plain_value,
    pop_trailing,
    push_trailing,
    scalar_node,
    seq_node,
)
from bot.knowledge.faq_files import DATA_FILES, ID_PATTERN, load_faq_dir
from bot.knowledge.normalize import fold_text, tokenize
from bot.texts import validation as texts
from bot.yaml_files import FileProblem


class FaqWorkspace:
    """The FAQ files of one directory, edited in memory until `commit`.

    Create it with `open_workspace`, which holds the directory lock. After `commit` the
    workspace is spent; open a new one for further edits.
    """

    def __init__(self, directory: Path | str):
        self.directory = Path(directory)
        self._docs: dict[str, YamlDoc] = {}
        self._index: dict[str, tuple[str, int]] = {}  # entry id -> (file, position)
        self._committed = False
        for path in yaml_files(self.directory):
            if path.name in DATA_FILES:
                continue
            doc = read_doc(path)
            self._docs[doc.name] = doc
            for position, entry in enumerate(entries_of(doc)):
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
            category = category_of_doc(doc)
            for entry in entries_of(doc):
                if isinstance(entry, dict):
                    yield doc.name, category, entry

    def file_of(self, entry_id: str) -> str:
        return self._locate(entry_id)[0].name

    def entry(self, entry_id: str) -> dict[str, Any]:
        doc, position = self._locate(entry_id)
        return dict(entries_of(doc)[position])

    def category_of(self, entry_id: str) -> str | None:
        return category_of_doc(self._locate(entry_id)[0])

    def categories(self) -> list[str]:
        return list(dict.fromkeys(c for c in map(category_of_doc, self._docs.values()) if c))

    def file_for_category(self, category: str) -> str | None:
        """The first file whose category matches (case and diacritics aside)."""
        wanted = fold_text(category)
        for doc in self._docs.values():
            found = category_of_doc(doc)
            if found is not None and fold_text(found) == wanted:
                return doc.name
        return None

    def suggest_id(self, question: str, category: str | None = None) -> str:
        """A free id for a new entry: the category's usual prefix plus the question's key words."""
        words = [token for token in tokenize(question) if token not in ID_FILLER] or tokenize(
            question
        )
        prefix = ""
        name = self.file_for_category(category) if category else None
        if name is not None:
            heads = Counter(
                str(entry.get("id", "")).split("-", 1)[0]
                for entry in entries_of(self._docs[name])
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
        entry = entries_of(doc)[position]
        variants = canonical_value("variants", entry.get("variants"))
        known = {fold_text(phrase) for phrase in [text_value(entry.get("question")), *variants]}
        if fold_text(variant) in known:
            return False
        set_list(doc, position, "variants", variants, [*variants, variant])
        doc.mark(entry_id)
        return True

    def update_entry(self, entry_id: str, fields: Mapping[str, Any]) -> list[str]:
        """Set fields of an entry (an empty list or None removes the key); returns the keys that
        really changed. The id cannot change."""
        values = normalize_fields(fields)
        doc, position = self._locate(entry_id)
        entry = entries_of(doc)[position]
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
                set_list(doc, position, key, old, new)
            else:
                set_scalar(doc, position, key, new)
            changed.append(key)
        if changed:
            doc.mark(entry_id)
        return changed

    def add_entry(self, category: str, fields: Mapping[str, Any]) -> str:
        """Append a new entry to the category's file (a new file for a new category); returns
        the file name."""
        values = normalize_fields(fields, allow_id=True)
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
                node[key] = field_node(key, values[key])
        name = self.file_for_category(category)
        if name is None:
            doc = self._new_doc(category, node)
        else:
            doc = self._docs[name]
            entries = load_tree(doc)["entries"]
            lines = pop_trailing(entries)
            if doc.blank_between:
                push_trailing(entries, "\n", len(entries) - 1)
            entries.append(node)
            push_trailing(entries, lines)
            entries_of(doc).append(plain_value(node))
        self._index[entry_id] = (doc.name, len(entries_of(doc)) - 1)
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
            check_rewrite(doc, text)
            changes.append(
                FileChange(
                    file=doc.name,
                    before=None if doc.created else doc.text,
                    after=text,
                    entry_ids=tuple(doc.touched + doc.added),
                )
            )
        return changes

    def validate(self, changes: list[FileChange]) -> tuple[list[FileProblem], list[FileProblem]]:
        """(problems the changes would add, problems the directory already has)."""
        _, before = load_faq_dir(self.directory)
        with tempfile.TemporaryDirectory(prefix="faq-check-") as scratch:
            copy = Path(scratch)
            for path in yaml_files(self.directory):
                shutil.copyfile(path, copy / path.name)
            for change in changes:
                (copy / change.file).write_bytes(self._docs[change.file].encode(change.after))
            _, after = load_faq_dir(copy)
        after = [replace(p, file=str(self.directory)) if p.file == str(copy) else p for p in after]
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
                write_atomic(doc.path, doc.encode(change.after), own)
            self._committed = True
        return EditResult(tuple(changes), tuple(before))

    # internals

    def _locate(self, entry_id: str) -> tuple[YamlDoc, int]:
        found = self._index.get(entry_id)
        if found is None:
            raise EntryNotFoundError(texts.EDIT_ENTRY_NOT_FOUND.format(entry=entry_id))
        return self._docs[found[0]], found[1]

    def _new_doc(self, category: str, node: CommentedMap) -> YamlDoc:
        name = self._new_file_name(category)
        data = CommentedMap()
        data["category"] = scalar_node(category)
        data["entries"] = seq_node([node], flow=False)
        doc = YamlDoc(
            name=name,
            path=self.directory / name,
            raw=None,
            text="",
            plain=plain_value(data),
            data=data,
            handler=new_yaml(INDENT_STYLES[0], False),
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


@contextlib.contextmanager
def open_workspace(directory: Path | str) -> Iterator[FaqWorkspace]:
    """A workspace on `directory`, holding its edit lock until the block ends."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FaqEditError(texts.FAQ_DIR_NOT_FOUND.format(directory=directory))
    with directory_lock(directory):
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
