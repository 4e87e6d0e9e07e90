"""Telegram's HTML parse mode, as the Bot API server applies it.

A port of the behaviour of TDLib's ``parse_html`` (which the Bot API server uses for
``parse_mode=HTML``): same accepted tags, same handling of character references, the same
error texts with the same *byte* offsets (offsets into the UTF-8 encoded input). Entity
offsets and lengths are counted in UTF-16 code units, as in the Bot API.

Notable Telegram behaviours that this keeps:

* ``&`` that does not start ``&lt;``/``&gt;``/``&amp;``/``&quot;`` or a numeric reference is
  literal text (the ``;`` is optional: ``&lt`` decodes too);
* every ``<`` starts a tag, so a literal ``<`` must be written ``&lt;``
  (``"a < b"`` fails with ``Unsupported start tag "" at byte offset 2``);
* tag and attribute names are case-insensitive, unknown attributes are ignored;
* ``<a>`` with an unusable href silently produces no entity, ``<a>`` without href links to
  its own text;
* ``<pre><code class="language-x">`` gives one ``pre`` entity with ``language``.
"""

from __future__ import annotations

import re

__all__ = [
    "EntityParseError",
    "parse_html",
    "utf16_len",
    "check_link",
]

SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)

_SPACES = frozenset(b" \t\r\n\0\v")  # TDLib's is_space(): NUL counts as a space
_NAMED_REFERENCES = {b"lt": ord("<"), b"gt": ord(">"), b"amp": ord("&"), b"quot": ord('"')}


class EntityParseError(ValueError):
    """Raised with Telegram's wording; the Bot API prefixes it with "can't parse entities: "."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (what Telegram's offsets and limits count)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _is_alpha(c: int) -> bool:
    return 65 <= c <= 90 or 97 <= c <= 122


def _is_digit(c: int) -> bool:
    return 48 <= c <= 57


def _is_hex(c: int) -> bool:
    return _is_digit(c) or 65 <= c <= 70 or 97 <= c <= 102


class _Cursor:
    """The input as a NUL-terminated byte string, the way TDLib reads it."""

    __slots__ = ("data", "size")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.size = len(data)

    def __getitem__(self, i: int) -> int:
        return self.data[i] if i < self.size else 0


def _decode_reference(text: _Cursor, pos: int) -> tuple[int, int]:
    """Decode a character reference at ``pos`` (an ``&``).

    Returns ``(code_point, position after it)``, or ``(0, pos)`` if it is not one (then the
    ``&`` is literal text).
    """
    end = pos + 1
    code = 0
    if text[pos + 1] == ord("#"):
        end += 1
        if text[pos + 2] == ord("x"):
            end += 1
            while _is_hex(text[end]):
                code = code * 16 + int(chr(text[end]), 16)
                end += 1
        else:
            while _is_digit(text[end]):
                code = code * 10 + text[end] - 48
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while _is_alpha(text[end]):
            end += 1
        code = _NAMED_REFERENCES.get(text.data[pos + 1 : end], 0)
        if code == 0:
            return 0, pos
    if text[end] == ord(";"):
        end += 1
    return code, end


def _utf8(code: int) -> bytes:
    return chr(code).encode("utf-8", "surrogatepass")


_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_HOST = re.compile(
    r"^[A-Za-z0-9\u00a1-\uffff]([A-Za-z0-9\u00a1-\uffff-]*[A-Za-z0-9\u00a1-\uffff])?$"
)
_TG_USER = re.compile(r"^tg://user\?id=(\d{1,19})$", re.IGNORECASE)


def check_link(url: str) -> str | None:
    """Roughly TDLib's ``check_link``: the normalised URL, or ``None`` if Telegram rejects it.

    ``http``/``https`` need a plausible host; ``tg://`` and ``ton://`` links are accepted;
    a scheme-less link to a host is taken as ``http://``.
    """
    url = url.strip()
    if not url or any(c.isspace() for c in url):
        return None
    m = _URL_SCHEME.match(url)
    if m is None:
        url = "http://" + url
        scheme = "http"
    else:
        scheme = m.group(1).lower()
        url = scheme + url[len(scheme) :]
    if scheme in ("tg", "ton"):
        rest = url[len(scheme) + 1 :].lstrip("/")
        return url if rest else None
    if scheme not in ("http", "https"):
        return None
    rest = url[len(scheme) + 1 :]
    if not rest.startswith("//"):
        return None
    authority = re.split(r"[/?#]", rest[2:], maxsplit=1)[0]
    host = authority.rsplit("@", 1)[-1]
    if host.startswith("["):  # IPv6 literal
        return url if host.find("]") > 1 else None
    host, _, port = host.partition(":")
    if port and (not port.isdigit() or not 0 < int(port) < 65536):
        return None
    labels = host.rstrip(".").split(".")
    if not host or not all(_HOST.match(label) for label in labels):
        return None
    if len(labels) < 2 and host.lower() != "localhost":
        return None
    return url


def _entity(kind: str, offset: int, length: int, **extra: object) -> dict:
    entity: dict = {"type": kind, "offset": offset, "length": length}
    entity.update(extra)
    return entity


def parse_html(text: str) -> tuple[str, list[dict]]:
    """Parse Telegram HTML into ``(plain_text, entities)``.

    Raises :class:`EntityParseError` with Telegram's message (without the
    ``"can't parse entities: "`` prefix).
    """
    src = _Cursor(text.encode("utf-8", "surrogatepass"))
    out = bytearray()
    entities: list[dict] = []
    # open tags: (tag, argument, utf16 offset, position in `out`)
    stack: list[tuple[str, str, int, int]] = []
    utf16 = 0
    i = 0
    while i < src.size:
        c = src[i]
        if c == ord("&"):
            code, end = _decode_reference(src, i)
            if code:
                utf16 += 2 if code > 0xFFFF else 1
                out += _utf8(code)
                i = end
                continue
        if c != ord("<"):
            if c & 0xC0 != 0x80:  # first byte of a UTF-8 sequence
                utf16 += 2 if c >= 0xF0 else 1
            out.append(c)
            i += 1
            continue

        begin = i
        i += 1
        if src[i] != ord("/"):
            tag, argument, i = _start_tag(src, begin, i)
            stack.append((tag, argument, utf16, len(out)))
        else:
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
            while src[i] not in _SPACES and src[i] != ord(">"):
                i += 1
            end_tag = src.data[begin + 2 : i].decode("utf-8", "replace").lower()
            while src[i] in _SPACES and src[i] != 0:
                i += 1
            if src[i] != ord(">"):
                raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
            tag, argument, offset, out_pos = stack.pop()
            if end_tag and end_tag != tag:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {begin}, expected "</{tag}>", '
                    f'found "</{end_tag}>"'
                )
            if utf16 > offset:
                _close_entity(entities, tag, argument, offset, utf16 - offset, out, out_pos)
        i += 1  # past '>'

    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')

    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    try:
        result = out.decode("utf-8")
    except UnicodeDecodeError:
        raise EntityParseError(
            "Text contains invalid Unicode characters after decoding HTML entities, check for "
            "unmatched surrogate code units"
        ) from None
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return result, entities


def _start_tag(src: _Cursor, begin: int, i: int) -> tuple[str, str, int]:
    """Read a start tag whose name starts at ``i``; returns (tag, argument, index of '>')."""
    while src[i] not in _SPACES and src[i] != ord(">"):
        i += 1
    if src[i] == 0:
        raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
    tag = src.data[begin + 1 : i].decode("utf-8", "replace").lower()
    if tag not in SUPPORTED_TAGS:
        raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')

    argument = ""
    while src[i] != ord(">"):
        while src[i] != 0 and src[i] in _SPACES:
            i += 1
        if src[i] == ord(">"):
            break
        attr_begin = i
        while src[i] not in _SPACES and src[i] not in b"=>/\"'":
            i += 1
        attribute = src.data[attr_begin:i].decode("utf-8", "replace").lower()
        if not attribute:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
            )
        while src[i] != 0 and src[i] in _SPACES:
            i += 1
        if src[i] != ord("="):
            if src[i] == 0:
                raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
            if tag == "blockquote" and attribute == "expandable":
                argument = "1"
            continue  # a valueless attribute
        i += 1
        while src[i] != 0 and src[i] in _SPACES:
            i += 1
        if src[i] == 0:
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')

        if src[i] not in b"'\"":
            # a name token: letters, digits, periods and hyphens; case-insensitive
            token_begin = i
            while _is_alpha(src[i]) or _is_digit(src[i]) or src[i] in b".-":
                i += 1
            value = src.data[token_begin:i].decode("ascii").lower()
            if src[i] not in _SPACES and src[i] != ord(">"):
                raise EntityParseError(f"Unexpected end of name token at byte offset {token_begin}")
        else:
            quote = src[i]
            i += 1
            raw = bytearray()
            while src[i] != quote and src[i] != 0:
                if src[i] == ord("&"):
                    code, end = _decode_reference(src, i)
                    if code:
                        raw += _utf8(code)
                        i = end
                        continue
                raw.append(src[i])
                i += 1
            if src[i] == quote:
                i += 1
            value = raw.decode("utf-8", "replace")
        if src[i] == 0:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin}")

        if (tag, attribute) in (("a", "href"), ("tg-emoji", "emoji-id")):
            argument = value
        elif tag == "code" and attribute == "class" and value.startswith("language-"):
            argument = value[len("language-") :]
        elif tag == "span" and attribute == "class" and value.startswith("tg-"):
            argument = value[len("tg-") :]
        elif tag == "blockquote" and attribute == "expandable":
            argument = "1"

    if tag == "span" and argument != "spoiler":
        raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
    return tag, argument, i


_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}


def _close_entity(
    entities: list[dict],
    tag: str,
    argument: str,
    offset: int,
    length: int,
    out: bytearray,
    out_pos: int,
) -> None:
    last = entities[-1] if entities else None
    same_span = last is not None and last["offset"] == offset and last["length"] == length
    if tag in _SIMPLE:
        entities.append(_entity(_SIMPLE[tag], offset, length))
    elif tag == "tg-emoji":
        if not argument.isdigit() or not 0 < int(argument) < 2**63:
            raise EntityParseError("Invalid custom emoji identifier specified")
        entities.append(_entity("custom_emoji", offset, length, custom_emoji_id=argument))
    elif tag == "a":
        url = argument or out[out_pos:].decode("utf-8", "replace")
        m = _TG_USER.match(url)
        if m:
            user = {"id": int(m.group(1)), "is_bot": False, "first_name": "User"}
            entities.append(_entity("text_mention", offset, length, user=user))
        else:
            checked = check_link(url)
            if checked is not None:
                entities.append(_entity("text_link", offset, length, url=checked))
    elif tag == "pre":
        if last is not None and last["type"] == "code" and same_span and last.get("language"):
            last["type"] = "pre"
        else:
            entities.append(_entity("pre", offset, length))
    elif tag == "code":
        if last is not None and last["type"] == "pre" and same_span and argument:
            last["language"] = argument
        elif argument:
            entities.append(_entity("code", offset, length, language=argument))
        else:
            entities.append(_entity("code", offset, length))
    elif tag == "blockquote":
        kind = "expandable_blockquote" if argument else "blockquote"
        entities.append(_entity(kind, offset, length))
    else:  # pragma: no cover - SUPPORTED_TAGS and this function go together
        raise AssertionError(tag)
