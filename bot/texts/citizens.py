"""The bot's replies to citizens: welcome, help, menus, answers, suggestions, smalltalk,
settings, data deletion, flood control and errors."""

from __future__ import annotations

from bot.knowledge.smalltalk import SmalltalkKind
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


DEFAULT_NAME = "bạn"  # how the bot calls someone whose first name it does not know
UNKNOWN_COMMAND = "Mình chưa hiểu lệnh này. Gõ /help để xem các lệnh, hoặc gõ câu hỏi của bạn."
# The command menu Telegram shows next to the text box: (command, description).
COMMAND_MENU = (
    ("start", "Bắt đầu"),
    ("faq", "Danh mục câu hỏi thường gặp"),
    ("help", "Hướng dẫn sử dụng"),
    ("caidat", "Bật/tắt nhận thông báo, sự kiện, khuyến mãi"),
    ("diaphuong", "Chọn xã/phường của bạn"),
    ("xoadulieu", "Xóa dữ liệu của bạn"),
    ("canbo", "Gửi câu hỏi tới cán bộ"),
    ("subscribe", "Đăng ký nhận tin: thongbao, sukien, khuyenmai"),
    ("unsubscribe", "Hủy nhận tin: thongbao, sukien, khuyenmai"),
)

# --- FAQ menus and answers (bot/replies.py) ------------------------------------------------

MENU_BUTTON = "📚 Danh mục câu hỏi"
CATEGORIES_INTRO = "📚 <b>Chọn một chủ đề</b> để xem các câu hỏi thường gặp:"
CATEGORY_TITLE = "📂 <b>{category}</b>\nChọn câu hỏi bạn quan tâm:"
BACK_TO_MENU_BUTTON = "⬅️ Quay lại danh mục"
RELATED_BUTTON = "➡️ {question}"
HELPFUL_BUTTON = "👍 Hữu ích"
NOT_HELPFUL_BUTTON = "👎 Chưa đúng"
SUGGEST_INTRO = "🤔 Có phải bạn muốn hỏi:"
SUGGEST_NONE_BUTTON = "Không phải, xem danh mục"
NOT_FOUND = (
    "Xin lỗi, mình <b>chưa có câu trả lời</b> cho câu hỏi này nên không dám đoán bừa. "
    "Câu hỏi đã được ghi lại để cán bộ bổ sung.\n\n"
    "Bạn thử hỏi ngắn gọn hơn (ví dụ: <i>đăng ký VNeID mức 2</i>), hoặc chọn chủ đề bên dưới. "
    "Việc cần giải quyết ngay, bạn liên hệ bộ phận một cửa UBND xã/phường nơi cư trú."
)
EMPTY_TEXT = "Bạn chưa nhập nội dung. Hãy gõ câu hỏi, ví dụ: <i>cách đăng ký VNeID mức 2</i> 🙂"
TOO_LONG = (
    "Tin nhắn dài quá, mình chỉ đọc được câu hỏi ngắn (dưới 1000 ký tự). "
    "Bạn tóm tắt câu hỏi chính giúp mình nhé."
)
UNSUPPORTED_MEDIA = (
    "Mình chỉ đọc được tin nhắn chữ thôi 🙏 Bạn gõ câu hỏi giúp mình, "
    "hoặc bấm nút bên dưới để xem các chủ đề."
)
STALE_BUTTON = "Nút này đã cũ hoặc không còn dùng được. Bạn chọn lại trong danh mục nhé."
FEEDBACK_THANKS_UP = "Cảm ơn bạn đã đánh giá! 👍"
FEEDBACK_THANKS_DOWN = "Cảm ơn bạn, mình sẽ báo cán bộ cải thiện câu trả lời này. 🙏"


def feedback_thanks(up: bool) -> str:
    return FEEDBACK_THANKS_UP if up else FEEDBACK_THANKS_DOWN


# --- smalltalk ({name} is the citizen's first name) -----------------------------------------

SMALLTALK = {
    SmalltalkKind.GREETING: "Chào {name}! 👋 Mình là trợ lý Công Dân Số. Bạn cứ hỏi về dịch vụ công "
    "trực tuyến, VNeID, thanh toán số hay bán hàng online nhé.",
    SmalltalkKind.THANKS: "Không có gì ạ! 😊 Bạn cần hỏi thêm gì cứ nhắn cho mình nhé.",
    SmalltalkKind.BYE: "Tạm biệt {name}, chúc bạn một ngày tốt lành! Khi cần, cứ nhắn cho mình nhé.",
    SmalltalkKind.IDENTITY: "Mình là <b>Công Dân Số Bot</b>, trợ lý tự động giải đáp câu hỏi thường gặp "
    "về dịch vụ công trực tuyến, thanh toán số và kỹ năng số. Mình không phải tài khoản chính thức "
    "của cơ quan nhà nước và không tiếp nhận hồ sơ.",
    SmalltalkKind.PRAISE: "Cảm ơn bạn! 😊 Bạn cần hỏi thêm gì cứ nhắn nhé.",
    SmalltalkKind.COMPLAINT: "Xin lỗi vì mình chưa giúp được bạn. 🙏 Bạn thử hỏi ngắn gọn hơn, "
    "hoặc chọn chủ đề trong /faq nhé.",
}

# --- `dcbot chat`: the same replies in a terminal ------------------------------------------

CONSOLE_WELCOME = (
    "Công Dân Số Bot (chế độ dòng lệnh). Gõ câu hỏi, gõ số để bấm nút, "
    "gõ /faq để xem danh mục, /thoat để thoát."
)
CONSOLE_PROMPT = "\nBạn: "
