"""Typed times are read in the bot's zone, whatever the machine's TZ."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.broadcast.when import WhenError, parse_when

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 10, 5, 5, 0)  # 12:00 on 5 October in Hà Nội


@pytest.mark.parametrize(
    ("typed", "expected_utc"),
    [
        ("8:00 10/10", datetime(2026, 10, 10, 1, 0)),
        ("8h 10/10/2026", datetime(2026, 10, 10, 1, 0)),
        ("10/10 lúc 8:30", datetime(2026, 10, 10, 1, 30)),
        ("mai 7h30", datetime(2026, 10, 6, 0, 30)),
        ("Ngày mai 7h30", datetime(2026, 10, 6, 0, 30)),
        ("7h30 mai", datetime(2026, 10, 6, 0, 30)),
        ("hôm nay 15h", datetime(2026, 10, 5, 8, 0)),
        ("15:45", datetime(2026, 10, 5, 8, 45)),
        ("9h", datetime(2026, 10, 6, 2, 0)),  # 9:00 has passed today: tomorrow
        ("2026-10-07T08:00", datetime(2026, 10, 7, 1, 0)),
        ("2026-10-07 08:00:05", datetime(2026, 10, 7, 1, 0, 5)),
        ("2026-10-07T08:00+00:00", datetime(2026, 10, 7, 8, 0)),
        ("8:00 1/1", datetime(2027, 1, 1, 1, 0)),
        ("8:00 4/10", datetime(2027, 10, 4, 1, 0)),  # passed this year: next year
    ],
)
def test_times_are_read_in_the_bot_zone(typed, expected_utc, monkeypatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")  # the machine's zone must not matter
    assert parse_when(typed, now=NOW, zone=HANOI) == expected_utc


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "Chưa đọc được"),
        ("khi nào rảnh", "Chưa đọc được"),
        ("25:00", "Giờ không hợp lệ"),
        ("8:00 31/2", "Ngày không hợp lệ"),
        ("hôm nay 8h", "đã qua"),
        ("2026-10-01T08:00", "đã qua"),
        ("2028-10-01T08:00", "một năm"),
        ("2026-13-01T08:00", "ISO"),
        ("x" * 500, "Chưa đọc được"),
    ],
)
def test_wrong_times_get_a_clear_reason(typed, reason) -> None:
    with pytest.raises(WhenError, match=reason):
        parse_when(typed, now=NOW, zone=HANOI)
