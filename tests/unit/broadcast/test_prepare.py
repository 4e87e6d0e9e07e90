"""prepare_broadcast: the one check behind /broadcast, /sua and `dcbot broadcast create`."""

from __future__ import annotations

from bot.broadcast.content import Content, MediaItem
from bot.broadcast.prepare import Refusal, prepare_broadcast
from bot.models import Topic


def test_an_announcement_goes_out_as_written() -> None:
    prepared = prepare_broadcast(Topic.ANNOUNCEMENTS, Content(text="Lịch tiếp dân <b>thứ Hai</b>"))
    assert prepared.ok and prepared.refusal is None and prepared.problems == []
    assert prepared.final.text == "Lịch tiếp dân <b>thứ Hai</b>"
    assert prepared.content.text == prepared.final.text


def test_a_promotion_is_labelled_once_whatever_the_case_of_the_label() -> None:
    first = prepare_broadcast(Topic.PROMOTIONS, Content(text="Giảm 10% khi quét QR"))
    assert first.final.text == "[QC] Giảm 10% khi quét QR"
    assert first.content.text == "Giảm 10% khi quét QR"  # the draft keeps what was typed
    again = prepare_broadcast(Topic.PROMOTIONS, Content(text="[qc] Giảm 10%"))
    assert again.final.text == "[qc] Giảm 10%"


def test_empty_text_is_refused() -> None:
    prepared = prepare_broadcast(Topic.EVENTS, Content(text="  \n "))
    assert prepared.refusal is Refusal.EMPTY and not prepared.ok


def test_urgent_promotion_and_album_promotion_are_refused() -> None:
    urgent = prepare_broadcast(Topic.PROMOTIONS, Content(text="Mua ngay"), urgent=True)
    assert urgent.refusal is Refusal.URGENT_PROMOTION
    album = Content(
        text="Ảnh", kind="album", items=(MediaItem("photo", "a"), MediaItem("photo", "b"))
    )
    assert prepare_broadcast(Topic.PROMOTIONS, album).refusal is Refusal.ALBUM_PROMOTION
    assert prepare_broadcast(Topic.ANNOUNCEMENTS, album).ok


def test_what_telegram_would_reject_is_named() -> None:
    broken = prepare_broadcast(Topic.ANNOUNCEMENTS, Content(text="<b>chưa đóng"))
    assert broken.refusal is Refusal.INVALID and broken.problems
    too_long = prepare_broadcast(Topic.ANNOUNCEMENTS, Content(text="a" * 4097))
    assert too_long.refusal is Refusal.INVALID and too_long.problems
    # the label counts against the limit: 4,096 characters fit, labelled they do not
    assert prepare_broadcast(Topic.ANNOUNCEMENTS, Content(text="a" * 4096)).ok
    assert prepare_broadcast(Topic.PROMOTIONS, Content(text="a" * 4096)).refusal is Refusal.INVALID


def test_a_caption_is_held_to_1024_characters() -> None:
    photo = Content(text="a" * 1025, kind="photo", items=(MediaItem("photo", "f"),))
    assert prepare_broadcast(Topic.ANNOUNCEMENTS, photo).refusal is Refusal.INVALID
    bare = Content(text="", kind="photo", items=(MediaItem("photo", "f"),))
    assert prepare_broadcast(Topic.ANNOUNCEMENTS, bare).ok  # a photo needs no caption
