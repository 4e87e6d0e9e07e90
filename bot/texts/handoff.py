"""Handing a citizen over to officials: the citizen's side, the support group, tickets."""

from __future__ import annotations

CITIZEN = "Người dân"  # shown in the support group for a citizen without a name
HANDOFF_BUTTON = "🙋 Gặp cán bộ"
HANDOFF_OFFER = (
    "Nếu câu trả lời chưa giúp được bạn, bạn có thể gửi câu hỏi tới <b>cán bộ</b> để được "
    "trả lời trực tiếp tại đây."
)
HANDOFF_CANBO = (
    "Bạn muốn hỏi trực tiếp <b>cán bộ</b>? Bấm nút bên dưới, mình sẽ chuyển câu hỏi gần nhất "
    "của bạn; sau đó bạn cứ nhắn thêm, mọi tin nhắn sẽ được chuyển tới cán bộ."
)
HANDOFF_UNAVAILABLE = (
    "Hiện chưa có kênh hỏi đáp trực tiếp với cán bộ. Việc cần giải quyết ngay, bạn liên hệ "
    "bộ phận một cửa UBND xã/phường nơi cư trú."
)
HANDOFF_OPENED = (
    "✅ Đã chuyển câu hỏi của bạn tới cán bộ (yêu cầu <b>#{ticket}</b>). Cán bộ sẽ trả lời bạn "
    "ngay trong cuộc trò chuyện này. Bạn cứ nhắn thêm nếu cần, mình sẽ chuyển tiếp."
)
HANDOFF_ALREADY_OPEN = (
    "Yêu cầu <b>#{ticket}</b> của bạn đang chờ cán bộ trả lời. Bạn cứ nhắn thêm, mình sẽ "
    "chuyển tiếp."
)
HANDOFF_OUTSIDE_HOURS = (
    "\n\n🕐 Bây giờ là ngoài giờ làm việc. Cán bộ trả lời trong giờ hành chính "
    "({start}–{end}, {days}), bạn vui lòng chờ nhé."
)
HANDOFF_FORWARDED = "📨 Đã chuyển tin nhắn tới cán bộ (yêu cầu #{ticket})."
HANDOFF_LIMIT = (
    "Bạn đã gửi nhiều tin nhắn cho cán bộ trong một giờ qua. Bạn vui lòng chờ cán bộ trả lời "
    "rồi nhắn tiếp nhé 🙏"
)
HANDOFF_NO_QUESTION = "(người dân chưa gõ câu hỏi; nội dung sẽ được chuyển tiếp ở tin sau)"
HANDOFF_END_BUTTON = "Kết thúc trao đổi"
HANDOFF_ENDED = "Đã kết thúc trao đổi với cán bộ (yêu cầu #{ticket}). Bạn có thể tiếp tục hỏi mình."
OFFICIAL_ANSWER = "💬 <b>Cán bộ trả lời</b> (yêu cầu #{ticket}):\n{text}"
TICKET_CLOSED_FOR_CITIZEN = "Yêu cầu #{ticket} đã được cán bộ đóng. Cảm ơn bạn! Bạn có thể tiếp tục hỏi mình bất cứ lúc nào."
SUPPORT_NEW_TICKET = "🎫 <b>Yêu cầu #{ticket}</b> từ <b>{name}</b>\n<b>Câu hỏi:</b> {question}"
SUPPORT_HISTORY = "\n\n<i>Trao đổi gần đây với bot:</i>\n{lines}"
SUPPORT_FOLLOW_UP = "🎫 <b>#{ticket}</b> · <b>{name}</b> nhắn thêm:\n{text}"
SUPPORT_HOW_TO_ANSWER = "\n\n↩️ Trả lời (reply) tin này để gửi câu trả lời tới người dân."
SUPPORT_RELAYED = "✅ Đã gửi câu trả lời tới người dân (yêu cầu #{ticket})."
SUPPORT_TICKET_CLOSED = "Yêu cầu #{ticket} đã đóng, câu trả lời không được gửi."
SUPPORT_CITIZEN_ENDED = "ℹ️ Người dân đã kết thúc trao đổi ở yêu cầu #{ticket}."
SUPPORT_CLOSED_BY = "🔒 Yêu cầu #{ticket} đã được đóng."
TICKETS_NONE = "Không có yêu cầu nào đang mở."
TICKETS_TITLE = "<b>Yêu cầu đang mở</b>"
TICKET_CLOSE_BUTTON = "Đóng #{ticket}"
TICKET_ALREADY_CLOSED = "Yêu cầu này đã đóng."
WEEKDAY_NAMES = {
    1: "thứ Hai",
    2: "thứ Ba",
    3: "thứ Tư",
    4: "thứ Năm",
    5: "thứ Sáu",
    6: "thứ Bảy",
    7: "Chủ nhật",
}


def weekdays_text(days: frozenset[int]) -> str:
    ordered = sorted(days)
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        return f"{WEEKDAY_NAMES[ordered[0]]}–{WEEKDAY_NAMES[ordered[-1]]}"
    return ", ".join(WEEKDAY_NAMES[d] for d in ordered)
