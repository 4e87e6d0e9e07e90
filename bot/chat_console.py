"""`dcbot chat`: the bot's replies in a terminal, buttons as numbered choices."""

from __future__ import annotations

from bot import callbacks
from bot.knowledge.matcher import Matcher
from bot.replies import (
    Button,
    Reply,
    navigation_reply,
    reply_for_match,
)
from bot.telegram_html import html_to_plain
from bot.texts import citizens as texts

WELCOME = texts.CONSOLE_WELCOME


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
            return Reply(texts.feedback_thanks(vote[1]))
        return navigation_reply(matcher.book, data) or Reply(texts.STALE_BUTTON)
    return reply_for_match(matcher.book, matcher.match(text))


def run_console(matcher: Matcher) -> None:
    print(WELCOME)
    last: Reply | None = None
    while True:
        try:
            text = input(texts.CONSOLE_PROMPT)
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if text.strip() in ("/thoat", "/quit", "/exit"):
            return
        if not text.strip():
            continue
        last = respond(matcher, text, last)
        print("\nBot: " + render_plain(last))
