"""One check for every broadcast, whether it comes from /broadcast or `dcbot broadcast create`.

`prepare_broadcast` decides what citizens will get (promotions carry the "[QC]" label) and why
it would be refused: nothing to send, an urgent or album promotion, or what Telegram would
reject (HTML, the 4,096-character text or 1,024-character caption limit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.broadcast.content import Content
from bot.broadcast.promotion_rules import labelled
from bot.models import Topic


class Refusal(StrEnum):
    EMPTY = "empty"
    URGENT_PROMOTION = "urgent promotion"
    ALBUM_PROMOTION = "album promotion"
    INVALID = "invalid"  # see `problems`


@dataclass(frozen=True)
class PreparedBroadcast:
    topic: Topic
    content: Content  # as the official wrote it (what a draft stores)
    final: Content  # what citizens get, label included
    refusal: Refusal | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.refusal is None


def prepare_broadcast(topic: Topic, content: Content, *, urgent: bool = False) -> PreparedBroadcast:
    """What citizens would get for `content` under `topic`, or why it is refused."""
    final = content.with_text(labelled(topic, content.text))

    def refused(reason: Refusal, problems: list[str] | None = None) -> PreparedBroadcast:
        return PreparedBroadcast(topic, content, final, reason, problems or [])

    if content.is_text and not content.text.strip():
        return refused(Refusal.EMPTY)
    if urgent and topic is Topic.PROMOTIONS:
        return refused(Refusal.URGENT_PROMOTION)
    if content.is_album and topic is Topic.PROMOTIONS:
        return refused(Refusal.ALBUM_PROMOTION)
    problems = final.problems()
    if problems:
        return refused(Refusal.INVALID, problems)
    return PreparedBroadcast(topic, content, final)
