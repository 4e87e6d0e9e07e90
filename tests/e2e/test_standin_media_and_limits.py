"""The stand-in's albums, copies, caption edits, 48-hour delete rule and paid broadcasts."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot, InputMediaDocument, InputMediaPhoto, InputMediaVideo
from telegram.error import BadRequest, RetryAfter
from telegram.request import HTTPXRequest

from telegram_standin import BotApiStandin


@pytest.fixture
async def bot(standin: BotApiStandin):
    async with Bot(standin.token, base_url=standin.base_url) as client:
        yield client


def photo_id(standin: BotApiStandin, chat: int = 1) -> str:
    return standin.push_photo(chat)["message"]["photo"][-1]["file_id"]


async def test_send_media_group_makes_one_album(standin, bot) -> None:
    file_id = photo_id(standin)
    video = standin.push_video(1)["message"]["video"]["file_id"]
    messages = await bot.send_media_group(
        5,
        [
            InputMediaPhoto(file_id, caption="<b>Hội nghị</b>", parse_mode="HTML"),
            InputMediaVideo(video),
        ],
    )
    assert len(messages) == 2 and messages[0].media_group_id == messages[1].media_group_id
    first, second = standin.messages_to(5)
    assert first["caption"] == "Hội nghị" and first["entities"][0]["type"] == "bold"
    assert (first["media"], second["media"]) == ("photo", "video")
    with pytest.raises(BadRequest, match="(?i)2-10"):
        await bot.send_media_group(5, [InputMediaPhoto(file_id)])
    with pytest.raises(BadRequest, match="(?i)mixed"):
        await bot.send_media_group(
            5, [InputMediaPhoto(file_id), InputMediaDocument(standin_doc(standin))]
        )


def standin_doc(standin: BotApiStandin) -> str:
    return standin.push_document(1)["message"]["document"]["file_id"]


async def test_copy_message_and_copy_messages(standin, bot) -> None:
    source = standin.push_photo(1, caption="gốc")["message"]
    copied = await bot.copy_message(7, 1, source["message_id"], caption="mới")
    [record] = standin.messages_to(7)
    assert record["message_id"] == copied.message_id
    assert record["media"] == "photo" and record["caption"] == "mới"
    album = standin.push_album(1, ["photo", "photo"], caption="album")
    ids = [u["message"]["message_id"] for u in album]
    result = await bot.copy_messages(8, 1, ids)
    assert len(result) == 2
    first, second = standin.messages_to(8)
    assert first["message"]["media_group_id"] == second["message"]["media_group_id"]
    assert first["caption"] == "album"
    with pytest.raises(BadRequest, match="(?i)message to copy not found"):
        await bot.copy_message(7, 1, 9999)


async def test_edit_message_caption(standin, bot) -> None:
    sent = await bot.send_photo(3, photo_id(standin), caption="cũ")
    await bot.edit_message_caption(3, sent.message_id, caption="<i>mới</i>", parse_mode="HTML")
    [record] = standin.messages_to(3)
    assert record["caption"] == "mới" and record["edits"][0]["caption"] == "cũ"
    with pytest.raises(BadRequest, match="(?i)not modified"):
        await bot.edit_message_caption(3, sent.message_id, caption="<i>mới</i>", parse_mode="HTML")
    text = await bot.send_message(3, "chữ")
    with pytest.raises(BadRequest, match="(?i)no caption"):
        await bot.edit_message_caption(3, text.message_id, caption="x")
    with pytest.raises(BadRequest, match="(?i)caption is too long"):
        await bot.edit_message_caption(3, sent.message_id, caption="x" * 1025)


async def test_delete_message_only_within_48_hours(standin, bot) -> None:
    now = [1_800_000_000.0]
    standin.clock = lambda: now[0]
    fresh = await bot.send_message(4, "mới")
    old = await bot.send_message(4, "cũ")
    now[0] += 47 * 3600
    assert await bot.delete_message(4, fresh.message_id)
    now[0] += 2 * 3600
    with pytest.raises(BadRequest, match="(?i)can't be deleted"):
        await bot.delete_message(4, old.message_id)
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await bot.delete_message(4, fresh.message_id)
    assert [m["text"] for m in standin.messages_to(4)] == ["cũ"]


async def test_paid_broadcast_goes_past_the_global_limit_up_to_its_own(standin) -> None:
    request = HTTPXRequest(connection_pool_size=128)
    async with Bot(standin.token, base_url=standin.base_url, request=request) as bot:
        await _paid_bursts(standin, bot)


async def _paid_bursts(standin: BotApiStandin, bot: Bot) -> None:
    # small numbers, so each burst lands within one second even on a loaded machine
    standin.global_rate_limit = 5
    standin.paid_rate_limit = 20

    async def burst(count: int, start: int, paid: bool) -> list:
        return await asyncio.gather(
            *(
                bot.send_message(start + n, "khẩn", allow_paid_broadcast=paid or None)
                for n in range(count)
            ),
            return_exceptions=True,
        )

    paid = await burst(15, 10_000, True)
    assert not [r for r in paid if isinstance(r, Exception)]  # 15 > 5: past the free limit
    assert standin.paid_messages == 15
    free = await burst(12, 20_000, False)
    assert any(isinstance(r, RetryAfter) for r in free)  # the free limit still holds
    await asyncio.sleep(1.1)
    over = await burst(45, 30_000, True)
    assert any(isinstance(r, RetryAfter) for r in over)  # and so does the paid one
