"""Media broadcasts: a photo, a document, a video or an album goes out as it is, once per chat."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from official_steps import OFFICIAL, last_text, press, preview, subscribe

from bot.models import Topic

from bot_harness import make_settings, running_bot, write_test_faq
from telegram_standin import BotApiStandin

pytestmark = pytest.mark.clock_sensitive
CITIZENS = list(range(3000, 3040))


@pytest.fixture
async def bot(standin: BotApiStandin, tmp_path: Path):
    write_test_faq(tmp_path / "faq")
    async with running_bot(make_settings(standin, tmp_path)) as application:
        yield application


async def official_posts(standin: BotApiStandin, push) -> dict:
    """The official sends something to the bot, which keeps it quietly for /broadcast."""
    update = push()
    await standin.wait_for_delivery()
    return update["message"]


def copies(standin: BotApiStandin, chats) -> Counter:
    return Counter(m["chat_id"] for m in standin.sent_messages if m["chat_id"] in chats)


async def test_a_reply_to_a_photo_reaches_every_subscriber_once_as_that_photo(standin, bot):
    standin.global_rate_limit = 30
    standin.per_chat_rate_limit = 1
    subscribe(bot, CITIZENS)
    photo = await official_posts(
        standin,
        lambda: standin.push_photo(OFFICIAL, caption="Áp phích ngày 10/10", user_id=OFFICIAL),
    )
    shown, confirm = await preview(standin, "/broadcast", reply_to=photo["message_id"])
    assert shown["media"] == "photo" and shown["caption"] == "Áp phích ngày 10/10"
    assert "Người nhận: 40" in confirm["text"]
    press(standin, confirm, "Gửi ngay")
    await standin.wait_for(lambda s: "đã xong" in last_text(s), timeout=30)
    counts = copies(standin, set(CITIZENS))
    assert set(counts) == set(CITIZENS) and max(counts.values()) == 1
    original = photo["photo"][-1]["file_id"]
    for chat_id in CITIZENS:
        [copy] = standin.messages_to(chat_id)
        assert copy["method"] in ("sendPhoto", "copyMessage")
        assert copy["media"] == "photo" and copy["caption"] == "Áp phích ngày 10/10"
    sends = standin.calls_to("sendPhoto")
    assert {c.params["photo"] for c in sends} == {original}  # by file_id, never re-uploaded
    assert standin.rejected_calls() == []
    assert "Gửi thành công: 40/40" in last_text(standin)


async def test_text_in_the_command_replaces_the_caption_of_a_document(standin, bot):
    subscribe(bot, [3100, 3101], Topic.EVENTS)
    document = await official_posts(
        standin,
        lambda: standin.push_document(
            OFFICIAL, file_name="quyet-dinh.pdf", caption="cũ", user_id=OFFICIAL
        ),
    )
    shown, confirm = await preview(
        standin,
        "/broadcast #sukien <b>Quyết định</b> số 12/QĐ-UBND",
        reply_to=document["message_id"],
    )
    assert shown["media"] == "document" and shown["caption"] == "Quyết định số 12/QĐ-UBND"
    assert shown["entities"][0]["type"] == "bold"
    press(standin, confirm, "Gửi ngay")
    await standin.wait_for(lambda s: "đã xong" in last_text(s), timeout=20)
    for chat_id in (3100, 3101):
        [copy] = standin.messages_to(chat_id)
        assert copy["media"] == "document" and copy["caption"] == "Quyết định số 12/QĐ-UBND"
    assert standin.rejected_calls() == []


async def test_a_video_reply_goes_out_as_a_video(standin, bot):
    subscribe(bot, [3200])
    video = await official_posts(
        standin, lambda: standin.push_video(OFFICIAL, caption="Hướng dẫn", user_id=OFFICIAL)
    )
    shown, confirm = await preview(standin, "/broadcast", reply_to=video["message_id"])
    assert shown["media"] == "video"
    press(standin, confirm, "Gửi ngay")
    await standin.wait_for(lambda s: len(s.messages_to(3200)) == 1, timeout=20)
    assert standin.messages_to(3200)[0]["media"] == "video"


async def test_an_album_goes_out_as_an_album_with_its_caption(standin, bot):
    subscribe(bot, [3300, 3301])
    album = standin.push_album(
        OFFICIAL, ["photo", "photo", "video"], caption="Ảnh hội nghị", user_id=OFFICIAL
    )
    await standin.wait_for_delivery()
    second = album[1]["message"]
    messages = await preview(standin, "/broadcast", shown=3, reply_to=second["message_id"])
    *shown, confirm = messages
    assert [m["media"] for m in shown] == ["photo", "photo", "video"]
    assert shown[0]["caption"] == "Ảnh hội nghị"
    assert len({m["message"]["media_group_id"] for m in shown}) == 1
    press(standin, confirm, "Gửi ngay")
    await standin.wait_for(lambda s: "đã xong" in last_text(s), timeout=20)
    for chat_id in (3300, 3301):
        got = standin.messages_to(chat_id)
        assert [m["media"] for m in got] == ["photo", "photo", "video"]
        assert got[0]["caption"] == "Ảnh hội nghị"
    assert len(standin.calls_to("sendMediaGroup")) == 3  # the preview and two citizens
    assert standin.rejected_calls() == []


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ("/broadcast " + "x" * 1100, "1.024"),
        ("/broadcast <b>chưa đóng", "thẻ chưa đóng"),
    ],
)
async def test_bad_captions_are_refused_before_anything_is_queued(standin, bot, command, reason):
    from official_steps import engine_of

    from bot.db import in_session
    from bot.storage.campaigns import recent_campaigns

    photo = await official_posts(
        standin, lambda: standin.push_photo(OFFICIAL, caption="Ảnh", user_id=OFFICIAL)
    )
    before = len(standin.messages_to(OFFICIAL))
    standin.push_command(OFFICIAL, command, user_id=OFFICIAL, reply_to=photo["message_id"])
    [refusal] = (await standin.wait_for_messages(OFFICIAL, before + 1))[before:]
    assert reason in refusal["text"]
    assert in_session(engine_of(bot), recent_campaigns) == []
    assert standin.rejected_calls() == []


async def test_a_reply_to_a_sticker_is_refused_with_a_clear_message(standin, bot):
    sticker = standin.push_sticker(OFFICIAL, user_id=OFFICIAL)["message"]
    await standin.wait_for_messages(OFFICIAL, 1)  # stickers get the usual answer
    before = len(standin.messages_to(OFFICIAL))
    standin.push_command(OFFICIAL, "/broadcast", user_id=OFFICIAL, reply_to=sticker["message_id"])
    [refusal] = (await standin.wait_for_messages(OFFICIAL, before + 1))[before:]
    assert "chưa gửi được" in refusal["text"]


async def test_a_citizens_photo_still_gets_the_usual_answer(standin, bot):
    standin.push_photo(4444, caption="ảnh")
    [answer] = await standin.wait_for_messages(4444, 1)
    assert "chữ" in answer["text"]
