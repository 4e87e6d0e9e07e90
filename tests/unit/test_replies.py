"""What the bot says: every reply builder, its buttons, and callback data that parses back."""

from __future__ import annotations

import re

import pytest

from bot import callbacks
from bot.knowledge.faq_files import FaqBook, FaqEntry, FaqLink
from bot.knowledge.match_types import Candidate, MatchResult, MatchStatus
from bot.knowledge.smalltalk import SmalltalkKind
from bot.replies import (
    BUTTON_TEXT_LIMIT,
    MENU_BUTTON,
    Button,
    Reply,
    answer_reply,
    categories,
    categories_reply,
    category_key,
    category_reply,
    empty_text_reply,
    navigation_reply,
    not_found_reply,
    reply_for_match,
    smalltalk_reply,
    suggest_reply,
    too_long_reply,
    unsupported_media_reply,
)
from bot.telegram_html import html_problems
from bot.texts import citizens as texts

LONG_ID = "a" * 48  # the longest id faq_files accepts
# Dense with 2- and 3-byte letters: its first 40 characters are 67 bytes of UTF-8.
ACCENTED_FILE = "ườn-ướt-ở-đồi-ấy-ổn-định-ước-mơ-người-ở-đó.yaml"
LONG_QUESTION = "Làm thế nào để đăng ký tài khoản định danh điện tử VNeID mức 2 cho người già?"


def entry(entry_id: str, source_file: str, category: str, question: str, **fields) -> FaqEntry:
    return FaqEntry(
        id=entry_id,
        category=category,
        question=question,
        answer=fields.pop("answer", f"Trả lời cho {entry_id}."),
        source_file=source_file,
        **fields,
    )


@pytest.fixture
def book() -> FaqBook:
    entries = [
        entry(
            "vneid-muc-2",
            "02-vneid.yaml",
            "VNeID",
            LONG_QUESTION,
            answer="Mang <b>căn cước</b> đến công an xã.",
            links=(FaqLink("Trang <VNeID> & hướng dẫn", "https://vneid.gov.vn/?a=1&b=2"),),
            related=("vneid-quen", "khong-con-nua", LONG_ID),
        ),
        entry("vneid-quen", "02-vneid.yaml", "VNeID", "Quên mật khẩu VNeID?"),
        entry("dvc", "01-dich-vu-cong.yaml", "Dịch vụ công <trực tuyến> & 1 cửa", "Tạo tài khoản?"),
        entry(LONG_ID, ACCENTED_FILE, "Dân tộc", "Hỗ trợ <đồng bào> thế nào?"),
    ]
    return FaqBook(entries={e.id: e for e in entries})


def every_button(reply: Reply) -> list[Button]:
    return [button for row in reply.buttons for button in row]


def every_reply(book: FaqBook) -> list[Reply]:
    replies = [categories_reply(book), not_found_reply(book, Button("x", "hand:q:1"))]
    replies += [category_reply(book, key) for key, _ in categories(book)]
    replies += [answer_reply(book, e) for e in book.entries.values()]
    candidates = tuple(Candidate(i, 0.5) for i in book.entries)
    replies.append(
        suggest_reply(book, MatchResult("q", MatchStatus.SUGGEST, candidates=candidates))
    )
    replies += [smalltalk_reply(kind, "<Lan>") for kind in SmalltalkKind]
    return replies + [empty_text_reply(), too_long_reply(), unsupported_media_reply()]


# ------------------------------------------------------------------- every reply at once


def test_every_callback_fits_64_bytes_and_parses_back(book: FaqBook) -> None:
    datas = [b.callback_data for r in every_reply(book) for b in every_button(r)]
    assert len(datas) > 20
    for data in datas:
        assert data is not None and 0 < len(data.encode()) <= 64, data
        if re.match(callbacks.NAVIGATION, data):
            assert navigation_reply(book, data) is not None, data  # the button leads somewhere
        elif re.match(callbacks.FEEDBACK, data):
            entry_id, _ = callbacks.parse_feedback(data)
            assert entry_id in book.entries
        else:
            assert data == "hand:q:1"  # the handoff button passed in


def test_every_reply_is_valid_telegram_html(book: FaqBook) -> None:
    for reply in every_reply(book):
        assert html_problems(reply.html) == [], reply.html
        for button in every_button(reply):
            assert 0 < len(button.text) <= BUTTON_TEXT_LIMIT + len("➡️ ")


def test_an_accented_file_name_gives_a_key_within_the_callback_budget(book: FaqBook) -> None:
    key = category_key(book.entries[LONG_ID])
    assert len(callbacks.category(key).encode()) <= 64
    assert ACCENTED_FILE.startswith(key)  # a prefix, cut on a character boundary
    assert len(key.encode()) > 55  # and not shorter than it has to be
    assert category_key(entry("x", "01-dich-vu-cong.yaml", "c", "q")) == "01-dich-vu-cong"
    ascii_name = "x" * 50 + ".yaml"
    assert category_key(entry("x", ascii_name, "c", "q")) == "x" * 40


# ----------------------------------------------------------------------------- menus


def test_categories_in_file_order_one_button_each(book: FaqBook) -> None:
    assert categories(book) == [
        ("02-vneid", "VNeID"),
        ("01-dich-vu-cong", "Dịch vụ công <trực tuyến> & 1 cửa"),
        (category_key(book.entries[LONG_ID]), "Dân tộc"),
    ]
    reply = categories_reply(book)
    assert reply.html == texts.CATEGORIES_INTRO
    assert [[(b.text, b.callback_data) for b in row] for row in reply.buttons] == [
        [(name, callbacks.category(key))] for key, name in categories(book)
    ]
    assert categories_reply(book, intro="Chọn đi").html == "Chọn đi"


def test_a_category_lists_its_questions_then_the_way_back(book: FaqBook) -> None:
    reply = category_reply(book, "02-vneid")
    assert reply is not None
    assert reply.html == texts.CATEGORY_TITLE.format(category="VNeID")
    buttons = every_button(reply)
    assert [b.callback_data for b in buttons] == ["faq:vneid-muc-2", "faq:vneid-quen", "menu:cats"]
    assert buttons[0].text == LONG_QUESTION[: BUTTON_TEXT_LIMIT - 1].rstrip() + "…"
    assert len(buttons[0].text) <= BUTTON_TEXT_LIMIT
    assert buttons[1].text == "Quên mật khẩu VNeID?"  # short enough: unchanged
    assert buttons[2].text == texts.BACK_TO_MENU_BUTTON


def test_a_category_name_is_escaped_in_the_title(book: FaqBook) -> None:
    reply = category_reply(book, "01-dich-vu-cong")
    assert reply is not None
    expected = "Dịch vụ công &lt;trực tuyến&gt; &amp; 1 cửa"
    assert reply.html == texts.CATEGORY_TITLE.format(category=expected)


def test_an_unknown_category_has_no_reply(book: FaqBook) -> None:
    assert category_reply(book, "99-khong-co") is None


# ---------------------------------------------------------------------------- answers


def test_an_answer_shows_question_answer_links_related_feedback_and_menu(book: FaqBook) -> None:
    reply = answer_reply(book, book.entries["vneid-muc-2"])
    assert reply.html == (
        f"<b>{LONG_QUESTION}</b>\n\nMang <b>căn cước</b> đến công an xã.\n\n"
        '🔗 <a href="https://vneid.gov.vn/?a=1&amp;b=2">Trang &lt;VNeID&gt; &amp; hướng dẫn</a>'
    )
    rows = [[(b.text, b.callback_data) for b in row] for row in reply.buttons]
    assert rows == [
        [(texts.RELATED_BUTTON.format(question="Quên mật khẩu VNeID?"), "faq:vneid-quen")],
        # "khong-con-nua" is not in the book: no button for it
        [(texts.RELATED_BUTTON.format(question="Hỗ trợ <đồng bào> thế nào?"), f"faq:{LONG_ID}")],
        [
            (texts.HELPFUL_BUTTON, "fb:vneid-muc-2:up"),
            (texts.NOT_HELPFUL_BUTTON, "fb:vneid-muc-2:down"),
        ],
        [(MENU_BUTTON.text, callbacks.MENU)],
    ]
    assert callbacks.parse_feedback("fb:vneid-muc-2:up") == ("vneid-muc-2", True)
    assert callbacks.parse_feedback("fb:vneid-muc-2:down") == ("vneid-muc-2", False)


def test_an_answer_without_links_or_related_has_feedback_and_menu_only(book: FaqBook) -> None:
    reply = answer_reply(book, book.entries["dvc"])
    assert reply.html == "<b>Tạo tài khoản?</b>\n\nTrả lời cho dvc."
    assert [[b.callback_data for b in row] for row in reply.buttons] == [
        ["fb:dvc:up", "fb:dvc:down"],
        ["menu:cats"],
    ]


def test_the_longest_id_still_fits_in_feedback_data(book: FaqBook) -> None:
    reply = answer_reply(book, book.entries[LONG_ID])
    down = reply.buttons[0][1].callback_data
    assert down == f"fb:{LONG_ID}:down" and len(down.encode()) == 56
    assert callbacks.parse_feedback(down) == (LONG_ID, False)


# ------------------------------------------------------------------ suggest, none, talk


def test_suggestions_list_known_candidates_in_order_then_none_of_these(book: FaqBook) -> None:
    result = MatchResult(
        "vneid",
        MatchStatus.SUGGEST,
        candidates=(Candidate("vneid-quen", 0.6), Candidate("gone", 0.5), Candidate("dvc", 0.4)),
    )
    reply = suggest_reply(book, result)
    assert reply.html == texts.SUGGEST_INTRO
    assert [[(b.text, b.callback_data) for b in row] for row in reply.buttons] == [
        [("Quên mật khẩu VNeID?", "faq:vneid-quen")],
        [("Tạo tài khoản?", "faq:dvc")],
        [(texts.SUGGEST_NONE_BUTTON, callbacks.MENU)],
    ]


def test_not_found_shows_the_categories_and_the_handoff_first(book: FaqBook) -> None:
    menu = categories_reply(book, intro=texts.NOT_FOUND)
    assert not_found_reply(book) == menu
    handoff = Button("Gặp cán bộ", callback_data=callbacks.handoff_question(7))
    reply = not_found_reply(book, handoff)
    assert reply.html == texts.NOT_FOUND
    assert reply.buttons == ((handoff,), *menu.buttons)


def test_a_greeting_calls_the_citizen_by_name_escaped_and_offers_the_menu() -> None:
    reply = smalltalk_reply(SmalltalkKind.GREETING, "<Lan> & Mai")
    assert reply.html == texts.SMALLTALK[SmalltalkKind.GREETING].format(
        name="&lt;Lan&gt; &amp; Mai"
    )
    assert reply.buttons == ((MENU_BUTTON,),)
    assert smalltalk_reply(SmalltalkKind.BYE, None).html == texts.SMALLTALK[
        SmalltalkKind.BYE
    ].format(name=texts.DEFAULT_NAME)
    assert (
        smalltalk_reply(SmalltalkKind.BYE, "").html == smalltalk_reply(SmalltalkKind.BYE, None).html
    )


@pytest.mark.parametrize("kind", [k for k in SmalltalkKind if k is not SmalltalkKind.GREETING])
def test_other_smalltalk_has_no_buttons(kind: SmalltalkKind) -> None:
    reply = smalltalk_reply(kind, "Lan")
    assert reply.html == texts.SMALLTALK[kind].format(name="Lan")
    assert reply.buttons == ()


def test_fixed_replies() -> None:
    assert empty_text_reply() == Reply(texts.EMPTY_TEXT)
    assert too_long_reply() == Reply(texts.TOO_LONG)
    assert unsupported_media_reply() == Reply(texts.UNSUPPORTED_MEDIA, ((MENU_BUTTON,),))
    assert Button(texts.MENU_BUTTON, callback_data="menu:cats") == MENU_BUTTON


# --------------------------------------------------------------------- reply_for_match


def test_each_decision_gets_its_reply(book: FaqBook) -> None:
    handoff = Button("Gặp cán bộ", callback_data="hand:q:3")
    candidates = (Candidate("dvc", 0.5), Candidate("vneid-quen", 0.4))
    cases = [
        (
            MatchResult("q", MatchStatus.ANSWER, entry_id="dvc"),
            answer_reply(book, book.entries["dvc"]),
        ),
        (
            MatchResult("q", MatchStatus.SUGGEST, candidates=candidates),
            suggest_reply(book, MatchResult("q", MatchStatus.SUGGEST, candidates=candidates)),
        ),
        (MatchResult("q", MatchStatus.NONE), not_found_reply(book, handoff)),
        (
            MatchResult("chào", MatchStatus.SMALLTALK, smalltalk=SmalltalkKind.GREETING),
            smalltalk_reply(SmalltalkKind.GREETING, "Lan"),
        ),
    ]
    for result, expected in cases:
        assert reply_for_match(book, result, "Lan", handoff) == expected, result.status


def test_inconsistent_results_fall_back_to_not_found(book: FaqBook) -> None:
    handoff = Button("Gặp cán bộ", callback_data="hand:q:3")
    expected = not_found_reply(book, handoff)
    for result in (
        MatchResult("q", MatchStatus.ANSWER, entry_id="da-xoa"),  # removed by a reload
        MatchResult("q", MatchStatus.SUGGEST, candidates=()),
        MatchResult("q", MatchStatus.SMALLTALK, smalltalk=None),
    ):
        assert reply_for_match(book, result, "Lan", handoff) == expected


# ------------------------------------------------------------------------- navigation


def test_navigation_buttons_lead_to_their_replies(book: FaqBook) -> None:
    assert navigation_reply(book, callbacks.MENU) == categories_reply(book)
    assert navigation_reply(book, "cat:02-vneid") == category_reply(book, "02-vneid")
    assert navigation_reply(book, "faq:dvc") == answer_reply(book, book.entries["dvc"])


@pytest.mark.parametrize("data", ["faq:da-xoa", "cat:99-khong-co", "menu:other", "fb:dvc:up", ""])
def test_stale_or_foreign_buttons_have_no_navigation_reply(book: FaqBook, data: str) -> None:
    assert navigation_reply(book, data) is None
