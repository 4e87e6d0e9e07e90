"""Who a campaign reaches: reachable subscribers of its topic, narrowed to areas."""

from __future__ import annotations

from datetime import datetime

from bot.db import in_session
from bot.models import Topic
from bot.storage.audience import recipients
from bot.storage.citizens import mark_unreachable, subscribe, touch_user
from bot.storage.officials import set_citizen_area

NOW = datetime(2027, 10, 10, 1, 0)


def test_recipients_by_topic_reachability_and_area(engine):
    for chat_id in (4, 1, 2, 3):
        in_session(engine, touch_user, chat_id, "An")
        in_session(engine, subscribe, chat_id, Topic.ANNOUNCEMENTS)
    in_session(engine, subscribe, 9, Topic.EVENTS)
    in_session(engine, mark_unreachable, 3, "Forbidden: bot was blocked by the user")
    in_session(engine, set_citizen_area, 1, "tan-an", now=NOW)
    in_session(engine, set_citizen_area, 2, "ea-kar", now=NOW)
    in_session(engine, set_citizen_area, 3, "tan-an", now=NOW)

    assert in_session(engine, recipients, Topic.ANNOUNCEMENTS) == [1, 2, 4]
    assert in_session(engine, recipients, Topic.ANNOUNCEMENTS, ["tan-an"]) == [1]
    assert in_session(engine, recipients, Topic.ANNOUNCEMENTS, ["tan-an", "ea-kar"]) == [1, 2]
    assert in_session(engine, recipients, Topic.ANNOUNCEMENTS, []) == []  # unreadable scope
    assert in_session(engine, recipients, Topic.EVENTS) == [9]
