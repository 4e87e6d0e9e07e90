"""Subscription topics as citizens and officials type them."""

from __future__ import annotations

from bot.knowledge.normalize import tokenize
from bot.models import Topic

DEFAULT_TOPICS = (Topic.ANNOUNCEMENTS, Topic.EVENTS)  # promotions only on request
TOPIC_WORDS = {
    "thongbao": Topic.ANNOUNCEMENTS,
    "sukien": Topic.EVENTS,
    "khuyenmai": Topic.PROMOTIONS,
}
_TOPIC_LOOKUP = TOPIC_WORDS | {topic.value: topic for topic in Topic}


def parse_topic(word: str) -> Topic | None:
    """'#sukien', 'Sự kiện', 'khuyến mãi', 'events' -> the topic; anything else -> None."""
    return _TOPIC_LOOKUP.get("".join(tokenize(word)))
