"""Layout-preserving writes: the ruamel tree of a file (only when ruamel reproduces it byte for
byte), setting a scalar or a list of an entry in place, and checking that a rewritten file
changed only the edited entries."""

from __future__ import annotations

import difflib
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from bot.faq_admin.edit_outcomes import (
    FaqEditError,
    LayoutError,
)
from bot.faq_admin.yaml_documents import (
    INDENT_STYLES,
    YamlDoc,
    blank_between_entries,
    dump_yaml,
    entries_of,
    entry_regions,
    new_yaml,
)
from bot.faq_admin.yaml_nodes import (
    delete_key,
    field_node,
    insert_key,
    item_node,
    item_plain,
    plain_value,
    pop_trailing,
    push_trailing,
    restyled,
)
from bot.texts import validation as texts
from bot.yaml_files import YamlFileError, parse_yaml


def load_tree(doc: YamlDoc) -> Any:
    """The ruamel tree of a file, after checking that ruamel reproduces the file exactly."""
    if doc.data is not None:
        return doc.data
    if not isinstance(doc.plain, dict) or not entries_of(doc):
        raise FaqEditError(texts.EDIT_FILE_BROKEN.format(file=doc.name))
    explicit = doc.text.startswith("---")
    data = new_yaml(INDENT_STYLES[0], explicit).load(doc.text)
    expected = doc.text if doc.final_newline else doc.text + "\n"
    for style in INDENT_STYLES:
        handler = new_yaml(style, explicit)
        if dump_yaml(handler, data) == expected:
            break
    else:
        raise LayoutError(texts.EDIT_LAYOUT_UNSUPPORTED.format(file=doc.name))
    if not isinstance(data.get("entries"), CommentedSeq):
        raise FaqEditError(texts.EDIT_ENTRIES_NOT_LIST.format(file=doc.name))
    doc.data, doc.handler = data, handler
    doc.regions = entry_regions(doc.text, data)
    doc.blank_between = blank_between_entries(doc.text, data)
    return data


def entry_node(doc: YamlDoc, position: int) -> CommentedMap:
    node = load_tree(doc)["entries"][position]
    if not isinstance(node, CommentedMap):
        raise FaqEditError(texts.EDIT_ENTRY_NOT_TABLE.format(file=doc.name, position=position + 1))
    return node


def set_scalar(doc: YamlDoc, position: int, key: str, value: str | None) -> None:
    node, entry = entry_node(doc, position), entries_of(doc)[position]
    if value is None or value == "":
        if key in node:
            delete_key(node, key)
        entry.pop(key, None)
        return
    new = restyled(node[key], key, value) if key in node else field_node(key, value)
    if key in node:
        node[key] = new
    else:
        insert_key(node, key, new)
    entry[key] = plain_value(new)


def set_list(doc: YamlDoc, position: int, key: str, old: list, new: list) -> None:
    node, entry = entry_node(doc, position), entries_of(doc)[position]
    entry[key] = [item_plain(key, item) for item in new]
    seq = node.get(key)
    if not new:
        if key in node:
            delete_key(node, key)
        entry.pop(key, None)
        return
    if not isinstance(seq, CommentedSeq) or len(seq) != len(old):
        fresh = field_node(key, new)
        if key in node:
            node[key] = fresh
        else:
            insert_key(node, key, fresh)
        return
    block = not seq.fa.flow_style()
    lines = pop_trailing(node, key) if block and seq else ""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in reversed(matcher.get_opcodes()):
        if tag == "equal":
            continue
        common = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for offset in range(common):
            seq[i1 + offset] = item_node(key, new[j1 + offset])
        for index in reversed(range(i1 + common, i2)):
            del seq[index]
        for offset, item in enumerate(new[j1 + common : j2]):
            seq.insert(i1 + common + offset, item_node(key, item))
    if block:
        push_trailing(node, lines, key)


def check_rewrite(doc: YamlDoc, text: str) -> None:
    """The new text must parse to the intended data and change only the edited entries."""
    try:
        reread = parse_yaml(text).data
    except YamlFileError as exc:
        raise LayoutError(texts.EDIT_REREAD_FAILED.format(file=doc.name, error=exc)) from exc
    if reread != doc.plain:
        raise LayoutError(texts.EDIT_REREAD_DIFFERS.format(file=doc.name))
    if doc.created:
        return
    new_regions = entry_regions(text, new_yaml(INDENT_STYLES[0], False).load(text))
    allowed_old = {line for i in doc.touched for line in doc.regions.get(i, ())}
    allowed_new = {line for i in doc.touched + doc.added for line in new_regions.get(i, ())}
    matcher = difflib.SequenceMatcher(None, doc.text.split("\n"), text.split("\n"), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal" and not (
            set(range(i1, i2)) <= allowed_old and set(range(j1, j2)) <= allowed_new
        ):
            raise LayoutError(texts.EDIT_OUTSIDE_ENTRIES.format(file=doc.name, line=i1 + 1))
