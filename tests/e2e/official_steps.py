"""Steps shared by the officials' end-to-end tests: seed citizens, preview, press buttons."""

from __future__ import annotations

from bot.db import in_session
from bot.models import Topic
from bot.storage import citizens

from telegram_standin import BotApiStandin

OFFICIAL = 800
ADMIN = 900


def engine_of(application):
    return application.bot_data["services"].engine


def subscribe(application, chat_ids, topic: Topic = Topic.ANNOUNCEMENTS) -> None:
    engine = engine_of(application)
    for chat_id in chat_ids:
        in_session(engine, citizens.touch_user, chat_id, f"Người {chat_id}")
        in_session(engine, citizens.subscribe, chat_id, topic)


def keyboard(message: dict) -> list[dict]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def button(message: dict, label: str) -> dict:
    return next(b for b in keyboard(message) if label in b["text"])


async def preview(
    standin: BotApiStandin, command: str, chat: int = OFFICIAL, *, shown: int = 1, **kwargs
) -> list[dict]:
    """Send `command`; returns the preview message(s) and the confirm message last."""
    before = len(standin.messages_to(chat))
    standin.push_command(chat, command, user_id=chat, **kwargs)
    return (await standin.wait_for_messages(chat, before + shown + 1, timeout=10))[before:]


def press(standin: BotApiStandin, message: dict, label: str, chat: int = OFFICIAL) -> str:
    data = button(message, label)["callback_data"]
    return standin.push_callback(chat, data, message_id=message["message_id"], user_id=chat)


def last_text(standin: BotApiStandin, chat: int = OFFICIAL) -> str:
    messages = standin.messages_to(chat)
    return (messages[-1].get("text") or "") if messages else ""
