"""Fixed Vietnamese texts of the Telegram bot."""

from __future__ import annotations

from bot.models import Topic

TOPIC_NAMES = {
    Topic.ANNOUNCEMENTS: "Thông báo",
    Topic.EVENTS: "Sự kiện",
    Topic.PROMOTIONS: "Khuyến mãi",
}

WELCOME = (
    "Xin chào <b>{name}</b>! 👋\n"
    "Mình là <b>Công Dân Số Bot</b>, trợ lý giúp bạn dùng dịch vụ công trực tuyến, VNeID, "
    "thanh toán không dùng tiền mặt và kỹ năng bán hàng online.\n\n"
    "Bạn cứ gõ câu hỏi như khi nhắn tin, ví dụ: <i>lam sao dang ky vneid muc 2</i>, "
    "hoặc chọn chủ đề bên dưới.\n\n"
    "🔔 Bạn đã được đăng ký nhận <b>thông báo</b> và <b>sự kiện</b>. Khuyến mãi chỉ gửi khi bạn "
    "đồng ý (/caidat). Gõ /help để xem hướng dẫn."
)

WELCOME_BACK = (
    "Chào mừng <b>{name}</b> quay lại! 👋\n"
    "Bạn cứ gõ câu hỏi, hoặc chọn chủ đề bên dưới. Cài đặt nhận tin của bạn vẫn được giữ "
    "nguyên (xem hoặc đổi trong /caidat)."
)

HELP = (
    "<b>Mình có thể giúp gì?</b>\n"
    "• Trả lời câu hỏi về Cổng Dịch vụ công, VNeID, căn cước, cư trú, giấy phép lái xe, "
    "nộp phạt, thanh toán số, phòng chống lừa đảo, bán hàng online, địa chỉ số.\n"
    "• Gõ câu hỏi bằng tiếng Việt, có dấu hay không dấu đều được.\n\n"
    "<b>Lệnh</b>\n"
    "/faq – danh mục câu hỏi thường gặp\n"
    "/caidat – bật/tắt nhận thông báo, sự kiện, khuyến mãi\n"
    "/subscribe <code>thongbao|sukien|khuyenmai</code> – đăng ký nhận tin\n"
    "/unsubscribe <code>thongbao|sukien|khuyenmai</code> – hủy nhận tin\n"
    "/xoadulieu – xóa toàn bộ dữ liệu của bạn (Luật Bảo vệ dữ liệu cá nhân 2025)\n\n"
    "Mình là trợ lý tự động, không phải tài khoản chính thức của cơ quan nhà nước và "
    "không tiếp nhận hồ sơ."
)

SUBSCRIBE_USAGE = (
    "Bạn gõ kèm chủ đề nhé: <code>/subscribe thongbao</code>, <code>/subscribe sukien</code> "
    "hoặc <code>/subscribe khuyenmai</code>. Hoặc dùng /caidat để bật/tắt bằng nút."
)
UNSUBSCRIBE_USAGE = SUBSCRIBE_USAGE.replace("/subscribe", "/unsubscribe")
SETTINGS_TITLE = "🔔 <b>Cài đặt nhận tin</b>\nBấm vào từng mục để bật/tắt:"
DELETE_CONFIRM = (
    "⚠️ Bạn có chắc muốn <b>xóa toàn bộ dữ liệu</b> mình lưu về bạn (thông tin tài khoản, "
    "đăng ký nhận tin, câu hỏi đã gửi, đánh giá)? Sau khi xóa, bạn sẽ không nhận thông báo nữa."
)
DELETE_DONE = (
    "✅ Đã xóa toàn bộ dữ liệu của bạn. Nếu nhắn lại cho mình, bạn sẽ được coi là người dùng mới."
)
DELETE_BUTTON = "🗑️ Xóa dữ liệu"
KEEP_BUTTON = "Giữ lại"
DELETE_TOAST = "Đã xóa."
TOPIC_ON = "Đã bật nhận {name}."
TOPIC_OFF = "Đã tắt nhận {name}."
DELETE_KEPT = "Đã hủy, dữ liệu của bạn vẫn được giữ nguyên."
FLOOD_NOTICE = (
    "Bạn gửi nhanh quá 🙏 Mình tạm dừng trả lời trong ít phút để hệ thống không quá tải. "
    "Bạn thử lại sau nhé."
)
FAQ_EDIT_REJECTED = "Bản sửa FAQ có lỗi, bot vẫn dùng bản cũ"
SCHEDULE_EDIT_REJECTED = "Lịch thông báo có lỗi, bot vẫn dùng bản cũ"
NO_PERMISSION = "⛔ Bạn không có quyền dùng lệnh này."
SERVICE_BUSY = (
    "Xin lỗi, hệ thống đang bận nên mình chưa làm được việc này. Bạn thử lại sau ít phút nhé. "
    "Bạn vẫn có thể gõ câu hỏi, mình vẫn trả lời được."
)
INTERNAL_ERROR = "Xin lỗi, mình gặp trục trặc khi xử lý tin nhắn này. Bạn thử lại sau ít phút nhé."


def subscribed_text(topic: Topic, changed: bool) -> str:
    name = TOPIC_NAMES[topic].lower()
    if changed:
        return f"✅ Bạn đã đăng ký nhận <b>{name}</b>."
    return f"Bạn đã đăng ký nhận <b>{name}</b> từ trước rồi."


def unsubscribed_text(topic: Topic, changed: bool) -> str:
    name = TOPIC_NAMES[topic].lower()
    if changed:
        return f"🔕 Bạn đã hủy nhận <b>{name}</b>."
    return f"Bạn chưa đăng ký nhận <b>{name}</b>."


# --- handoff to officials (the support group) ----------------------------------------------

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


# --- /hoc: admins teach the FAQ from real questions ----------------------------------------

TEACH_EMPTY = "🎉 Không còn câu hỏi nào cần dạy. Cảm ơn bạn!"
TEACH_INTRO = "📚 <b>Dạy bot</b> (còn {left} câu)\n"
TEACH_HOW = (
    "\n\nChọn <b>➕</b> để thêm câu này làm một cách hỏi của mục có sẵn, "
    "<b>🆕</b> để tạo mục mới, hoặc <b>Bỏ qua</b>."
)
TEACH_VARIANT_DONE = (
    "✅ Đã thêm «{text}» vào mục <b>{question}</b> ({file}). Bot dùng ngay bản mới."
)
TEACH_NEW_DONE = "✅ Đã tạo mục mới <code>{entry}</code> trong {file}. Bot dùng ngay bản mới."
TEACH_SKIPPED = "Đã bỏ qua câu hỏi này."
TEACH_GONE = "Câu hỏi này đã được xử lý (có thể bởi quản trị viên khác)."
TEACH_PICK_CATEGORY = "Mục mới thuộc chủ đề nào?"
TEACH_TYPE_ANSWER = (
    "Gõ <b>câu trả lời</b> cho «{text}» (HTML của Telegram: &lt;b&gt;, &lt;i&gt;, &lt;a href=...&gt;). "
    "Gõ /huyhoc để thôi."
)
TEACH_CANCELLED = "Đã thôi tạo mục mới."
TEACH_FAILED = "❌ Chưa sửa được FAQ: {reason}"
TEACH_ADMINS_ONLY = "⛔ Chỉ quản trị viên mới dạy bot được."
