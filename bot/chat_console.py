"""`dcbot chat`: the bot's replies in a terminal, buttons as numbered choices."""

from __future__ import annotations

from bot import callbacks
from bot.knowledge.matcher import Matcher
from bot.replies import (
    FEEDBACK_THANKS,
    STALE_BUTTON_TEXT,
    Button,
    Reply,
    navigation_reply,
    reply_for_match,
)
from bot.telegram_html import html_to_plain

WELCOME = (
    "Công Dân Số Bot (chế độ dòng lệnh). Gõ câu hỏi, gõ số để bấm nút, "
    "gõ /faq để xem danh mục, /thoat để thoát."
)


def render_plain(reply: Reply) -> str:
    lines = [html_to_plain(reply.html)]
    for number, button in enumerate(_flat(reply), start=1):
        lines.append(f"  [{number}] {button.text}" + (f" ({button.url})" if button.url else ""))
    return "\n".join(lines)


def _flat(reply: Reply) -> list[Button]:
    return [button for row in reply.buttons for button in row]


def respond(matcher: Matcher, text: str, last: Reply | None) -> Reply:
    """The reply to one typed line; a number presses a button of the previous reply."""
    text = text.strip()
    if text in ("/faq", "/menu"):
        return navigation_reply(matcher.book, callbacks.MENU)  # type: ignore[return-value]
    buttons = _flat(last) if last else []
    if text.isdigit() and 1 <= int(text) <= len(buttons):
        data = buttons[int(text) - 1].callback_data or ""
        vote = callbacks.parse_feedback(data)
        if vote is not None:
            return Reply(FEEDBACK_THANKS["up" if vote[1] else "down"])
        return navigation_reply(matcher.book, data) or Reply(STALE_BUTTON_TEXT)
    return reply_for_match(matcher.book, matcher.match(text))


def run_console(matcher: Matcher) -> None:
    print(WELCOME)
    last: Reply | None = None
    while True:
        try:
            text = input("\nBạn: ")
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if text.strip() in ("/thoat", "/quit", "/exit"):
            return
        if not text.strip():
            continue
        last = respond(matcher, text, last)
        print("\nBot: " + render_plain(last))
