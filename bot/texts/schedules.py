"""What scheduled notices add to their texts, and how `dcbot schedules` shows fire times."""

from __future__ import annotations

COUNTDOWN = "⏳ Còn {left} nữa: {text}"  # a reminder without its own remind_text
DAYS = "ngày"
HOURS = "giờ"
MINUTES = "phút"
NO_MORE_FIRES = "(không còn lần nào)"
DISABLED = "(đang tắt: enabled: false)"
