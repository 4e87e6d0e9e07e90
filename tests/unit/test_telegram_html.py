"""Telegram's HTML subset: escaping hostile input, what the validator refuses, UTF-16 lengths.

The validator may be stricter than Telegram, never looser: whatever it accepts, the stand-in's
port of Telegram's own parser (TDLib's parse_html) must accept too.
"""

from __future__ import annotations

import pytest

from bot.telegram_html import (
    MAX_MESSAGE_LENGTH,
    escape,
    html_problems,
    html_to_plain,
    utf16_length,
)
from bot.texts import validation as texts

from telegram_standin.html_entities import EntityParseError, parse_html

HOSTILE = [
    "<b>giả mạo</b>",
    '<a href="https://lua-dao.example">bấm vào đây</a>',
    "</b></i>",
    "a < b && c > d",
    "&lt;b&gt; đã thoát sẵn",
    "&amp;amp; &#60; &#x3C; &nbsp; &bogus;",
    "Tôi tên \"Lan\" 'Mai' `x`",
    "<script>alert(1)</script>",
    "<!-- comment --> <![CDATA[x]]> <?php ?>",
    "x <",
    "<",
    "&",
    "😀 Việt Nam 🇻🇳 👨‍👩‍👧",
    "\u0000 \t\n",
]


# ----------------------------------------------------------------------------- escape


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_is_valid_html_that_telegram_shows_verbatim(text: str) -> None:
    escaped = escape(text)
    assert "<" not in escaped and ">" not in escaped
    assert html_to_plain(escaped) == text
    plain, entities = parse_html(escaped)
    assert plain == text and entities == []
    if text.strip():
        assert html_problems(escaped) == []


def test_escape_leaves_quotes_and_plain_text_alone() -> None:
    assert escape('Hỏi "CCCD" ở đâu?') == 'Hỏi "CCCD" ở đâu?'
    assert escape("<b>&</b>") == "&lt;b&gt;&amp;&lt;/b&gt;"
    assert escape("&amp;") == "&amp;amp;"  # already escaped text is escaped again, not trusted


@pytest.mark.parametrize("missing", [None, ""])
def test_escape_of_nothing_is_the_empty_string(missing: str | None) -> None:
    assert escape(missing) == ""  # type: ignore[arg-type]


# --------------------------------------------------------------------------- problems


@pytest.mark.parametrize(
    "text",
    [
        "<b>đậm</b> <i>nghiêng</i> <u>gạch</u> <s>xóa</s> <code>mã</code>",
        '<a href="https://dichvucong.gov.vn/p?a=1&amp;b=2">Cổng DVC</a>',
        '<pre><code class="language-python">print(1)</code></pre>',
        '<span class="tg-spoiler">bí mật</span> <tg-spoiler>nữa</tg-spoiler>',
        "<blockquote expandable>trích dẫn</blockquote>",
        "<B>chữ hoa</B> <a href=x.vn>tên gọn</a>",
        "a > b &lt; c &amp; &quot;d&quot; &#128512; &#x1F600;",
    ],
)
def test_well_formed_telegram_html_has_no_problems(text: str) -> None:
    assert html_problems(text) == []
    parse_html(text)  # and Telegram agrees


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a < b", texts.HTML_BARE_LESS_THAN.format(position=2)),
        ("<!-- x -->y", texts.HTML_BARE_LESS_THAN.format(position=0)),
        ("xem <b", texts.HTML_TAG_UNTERMINATED.format(position=4)),
        ('bấm <a href="https://x.vn"', texts.HTML_TAG_UNTERMINATED.format(position=4)),
        ("<b>x</b><i", texts.HTML_TAG_UNTERMINATED.format(position=8)),
        ("a &nbsp; b", texts.HTML_ENTITY_INVALID.format(entity="&nbsp;")),
        ("&#xD83D;&#xDE00;", texts.HTML_ENTITY_INVALID.format(entity="&#xD83D;")),
        ("&#56832;", texts.HTML_ENTITY_INVALID.format(entity="&#56832;")),
        ("<br>x", texts.HTML_TAG_UNSUPPORTED.format(tag="br")),
        ("<script>x</script>", texts.HTML_TAG_UNSUPPORTED.format(tag="script")),
        ("x</p>", texts.HTML_END_TAG_UNSUPPORTED.format(tag="p")),
        ("<b/>x", texts.HTML_SELF_CLOSING_UNSUPPORTED.format(tag="b")),
        ("<a>x</a>", texts.HTML_LINK_WITHOUT_HREF),
        ('<a href=" ">x</a>', texts.HTML_LINK_WITHOUT_HREF),
        ("<span>x</span>", texts.HTML_SPAN_NOT_SPOILER),
        ("<tg-emoji>👍</tg-emoji>", texts.HTML_EMOJI_ID_INVALID),
        (
            "<a href=https://x.vn>x</a>",
            texts.HTML_VALUE_UNQUOTED.format(tag="a", value="https://x.vn"),
        ),
        (
            "x</b>",
            texts.HTML_END_TAG_MISPLACED.format(tag="b", expected=texts.HTML_NOTHING_OPEN),
        ),
        ("<b><i>x</b></i>", texts.HTML_END_TAG_MISPLACED.format(tag="b", expected="</i>")),
        ("<b>x", texts.HTML_UNCLOSED.format(tags="<b>")),
        ("<b><i>x", texts.HTML_UNCLOSED.format(tags="<b>, <i>")),
        ("", texts.HTML_EMPTY),
        (" \n\t", texts.HTML_EMPTY),
        ("<b> </b>", texts.HTML_EMPTY),
    ],
)
def test_each_problem_is_named(text: str, problem: str) -> None:
    assert problem in html_problems(text)


def test_a_clean_text_gets_an_empty_list_and_a_broken_one_every_problem() -> None:
    problems = html_problems("<b>x</i> <br> a < b &nbsp;")
    assert problems == [
        texts.HTML_BARE_LESS_THAN.format(position=16),
        texts.HTML_ENTITY_INVALID.format(entity="&nbsp;"),
        texts.HTML_END_TAG_MISPLACED.format(tag="i", expected="</b>"),
        texts.HTML_TAG_UNSUPPORTED.format(tag="br"),
        texts.HTML_UNCLOSED.format(tags="<b>"),
    ]


# Hostile or sloppy markup an admin or an official might write.
ORACLE_CORPUS = [
    *HOSTILE,
    "xem <b", "<b>x</b", "<b>x< /b>", "<b>x</b/>", "<a href=https://x.vn>x</a>",
    "<a href='https://x.vn'>x</a>", '<a href="x" title="<">y</a>', "<b =1>x</b>",
    "<b x=\"1\"y=2>z</b>", "<tg-emoji emoji-id=\"abc\">x</tg-emoji>", "<code>a<b</code>",
    "<b><i>x</b></i>", "&#xD83D;", "&#0;", "&lt", "<pre>\n</pre>", "<a<b", "<b\tx=1>y</b>",
    "<blockquote expandable>x</blockquote>", '<span class="tg-spoiler">x</span>',
]  # fmt: skip


KNOWN_GAPS = {
    "<b>x</b/>": "an end tag with junk after its name",
    "<b =1>x</b>": "an attribute without a name",
}


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(t, marks=pytest.mark.xfail(reason=KNOWN_GAPS[t], strict=True))
        if t in KNOWN_GAPS
        else t
        for t in ORACLE_CORPUS
    ],
)
def test_what_the_validator_accepts_telegram_accepts(text: str) -> None:
    if html_problems(text):
        return  # refusing more than Telegram does is allowed
    try:
        parse_html(text)
    except EntityParseError as error:
        pytest.fail(f"validator accepted {text!r}, Telegram refuses it: {error}")


def test_the_oracle_corpus_is_refused_except_for_well_formed_markup() -> None:
    accepted = [t for t in ORACLE_CORPUS if not html_problems(t)]
    assert accepted == [
        "<b>giả mạo</b>",
        '<a href="https://lua-dao.example">bấm vào đây</a>',
        "&lt;b&gt; đã thoát sẵn",
        "Tôi tên \"Lan\" 'Mai' `x`",
        "&",
        "😀 Việt Nam 🇻🇳 👨‍👩‍👧",
        "\u0000 \t\n",
        "<b>x</b/>",  # a known gap
        "<a href='https://x.vn'>x</a>",
        "<b =1>x</b>",  # a known gap
        '<b x="1"y=2>z</b>',
        "&#0;",  # not a character reference for Telegram: shown as the text "&#0;"
        "&lt",
        "<b\tx=1>y</b>",
        "<blockquote expandable>x</blockquote>",
        '<span class="tg-spoiler">x</span>',
    ]


# ----------------------------------------------------------------------------- length


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("", 0),
        ("abc", 3),
        ("Việt Nam", 8),  # precomposed letters: one unit each
        ("Vie\u0302\u0323t", 6),  # decomposed: base letter and two combining marks
        ("😀", 2),  # outside the BMP: a surrogate pair
        ("🇻🇳", 4),  # a flag is two regional indicators
        ("👨‍👩‍👧", 8),  # three emoji joined by two zero-width joiners
    ],
)
def test_length_is_counted_in_utf16_code_units(text: str, units: int) -> None:
    assert utf16_length(text) == units


def test_the_4096_limit_is_counted_like_telegram_after_tags_and_entities() -> None:
    assert html_problems("a" * MAX_MESSAGE_LENGTH) == []
    assert html_problems("a" * (MAX_MESSAGE_LENGTH + 1)) == [
        texts.HTML_TOO_LONG.format(length=4097, limit=4096)
    ]
    # 2,048 emoji are 4,096 units; one more is over, though len() says 2,049.
    assert html_problems("😀" * 2048) == []
    assert html_problems("😀" * 2049) == [texts.HTML_TOO_LONG.format(length=4098, limit=4096)]
    # Tags do not count and an entity is one character.
    assert html_problems("<b>" + "&amp;" * MAX_MESSAGE_LENGTH + "</b>") == []


def test_a_lower_limit_can_be_asked_for() -> None:
    assert html_problems("x" * 1024, max_length=1024) == []
    assert html_problems("<i>" + "x" * 1025 + "</i>", max_length=1024) == [
        texts.HTML_TOO_LONG.format(length=1025, limit=1024)
    ]


# ------------------------------------------------------------------------------ plain


def test_plain_text_drops_tags_and_unescapes_entities() -> None:
    html = (
        '<b>Đăng ký</b> tại <a href="https://x.vn?a=1&amp;b=2">Cổng</a> &lt;miễn phí&gt; &#128512;'
    )
    assert html_to_plain(html) == "Đăng ký tại Cổng <miễn phí> 😀"
    assert html_to_plain("a < b > c") == "a < b > c"  # not tags: left as they are
    assert html_to_plain("") == ""


def test_plain_text_matches_what_telegram_displays() -> None:
    html = "<b>Lịch</b> <i>họp</i> &amp; <code>/huy 12</code>\n<blockquote>ghi chú</blockquote>"
    assert html_to_plain(html) == parse_html(html)[0]
