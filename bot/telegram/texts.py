"""Fixed Vietnamese texts of the Telegram bot."""

from __future__ import annotations

from bot.models import Topic

TOPIC_NAMES = {
    Topic.ANNOUNCEMENTS: "Thông báo",
    Topic.EVENTS: "Sự kiện",
    Topic.PROMOTIONS: "Khuyến mãi",
}
TOPIC_WORD = {
    Topic.ANNOUNCEMENTS: "thongbao",
    Topic.EVENTS: "sukien",
    Topic.PROMOTIONS: "khuyenmai",
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
    "/xoadulieu – xóa toàn bộ dữ liệu của bạn (Nghị định 13/2023/NĐ-CP)\n\n"
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
DELETE_KEPT = "Đã hủy, dữ liệu của bạn vẫn được giữ nguyên."
FLOOD_NOTICE = (
    "Bạn gửi nhanh quá 🙏 Mình tạm dừng trả lời trong ít phút để hệ thống không quá tải. "
    "Bạn thử lại sau nhé."
)
NO_PERMISSION = "⛔ Bạn không có quyền dùng lệnh này."
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
