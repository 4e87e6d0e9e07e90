"""ruamel.yaml nodes for entry fields, styled like the curated files, and the comments that
trail a node (kept in place when a key is added, removed or a list changes)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)
from ruamel.yaml.tokens import CommentToken

from bot.faq_admin.entry_fields import (
    ENTRY_KEYS,
    FLOW_LISTS,
    STRING_LISTS,
)
from bot.knowledge.faq_files import FaqLink

# --- ruamel nodes ---------------------------------------------------------------------------

STR_TAG = "tag:yaml.org,2002:str"
RESOLVER = yaml.resolver.Resolver()  # YAML 1.1 implicit types, as the bot's loader reads them


def scalar_node(value: str) -> str:
    """A string node the bot's YAML 1.1 parser reads back as the same string."""
    if RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) != STR_TAG:
        return DoubleQuotedScalarString(value)  # "yes", "1:30", "2025-03-01", "null"...
    return value


def _literal(text: str, trailing_newline: bool = True) -> LiteralScalarString:
    return LiteralScalarString(text + ("\n" if trailing_newline else ""))


def seq_node(items: Iterable[Any], flow: bool) -> CommentedSeq:
    seq = CommentedSeq(items)
    if flow:
        seq.fa.set_flow_style()
    else:
        seq.fa.set_block_style()
    return seq


def _link_node(link: FaqLink) -> CommentedMap:
    node = CommentedMap()
    node["text"] = scalar_node(link.text)
    node["url"] = DoubleQuotedScalarString(link.url)
    node.fa.set_flow_style()
    return node


def item_node(key: str, value: Any) -> Any:
    return _link_node(value) if key == "links" else scalar_node(value)


def item_plain(key: str, value: Any) -> Any:
    return {"text": value.text, "url": value.url} if key == "links" else value


def field_node(key: str, value: Any) -> Any:
    """A new node for `value` (already canonical), styled like the curated files."""
    if key in STRING_LISTS or key == "links":
        return seq_node((item_node(key, item) for item in value), flow=key in FLOW_LISTS)
    if key == "answer":
        return _literal(value)
    return scalar_node(value)


def plain_value(node: Any) -> Any:
    """What PyYAML reads back for a node we built (all strings)."""
    if isinstance(node, Mapping):
        return {str(key): plain_value(value) for key, value in node.items()}
    if isinstance(node, (list, tuple)):
        return [plain_value(value) for value in node]
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


def pop_trailing(container: Any, key: Any = None) -> str:
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


def push_trailing(container: Any, lines: str, key: Any = None) -> None:
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


def insert_key(node: CommentedMap, key: str, value: Any) -> None:
    """Insert `key` where the canonical order puts it, below the lines that trail its predecessor."""
    keys = list(node)
    order = ENTRY_KEYS.index(key)
    position = 0
    for index, existing in enumerate(keys):
        if existing in ENTRY_KEYS and ENTRY_KEYS.index(existing) < order:
            position = index + 1
    previous = keys[position - 1] if position > 0 else None
    lines = pop_trailing(node, previous) if previous is not None else ""
    node.insert(position, key, value)
    push_trailing(node, lines, key)


def delete_key(node: CommentedMap, key: str) -> None:
    keys = list(node)
    position = keys.index(key)
    lines = pop_trailing(node, key)
    del node[key]
    if position > 0:
        push_trailing(node, lines, keys[position - 1])


def restyled(old: Any, key: str, text: str) -> Any:
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
    return scalar_node(text)
