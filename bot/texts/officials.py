"""Every Vietnamese text officials and admins see from broadcasts, recall, areas and roles.

Citizens' texts about areas (/diaphuong) are here too, at the end: they belong to the same
feature. Code and comments stay English; only what people read is Vietnamese.
"""

from __future__ import annotations

from bot.telegram_html import escape

USAGE = (
    "Cách gửi thông báo:\n"
    "<code>/broadcast Nội dung</code> (mặc định chủ đề thông báo)\n"
    "<code>/broadcast #sukien Nội dung</code> hoặc <code>#khuyenmai</code>\n"
    "<code>/broadcast #khancap Nội dung</code>: tin khẩn cấp, gửi trước mọi tin khác, "
    "kể cả giờ nghỉ đêm\n"
    "<code>/broadcast #tenxa Nội dung</code>: chỉ gửi cho người dân xã/phường đó\n"
    "hoặc trả lời (reply) một tin nhắn, ảnh, video, tệp hay album bằng "
    "<code>/broadcast [#chủđề]</code>; chữ gõ kèm lệnh sẽ thay chú thích.\n"
    "Được dùng HTML của Telegram: &lt;b&gt;, &lt;i&gt;, &lt;a href=...&gt;..."
)
BAD_TAG = "Chủ đề không hợp lệ: {tag} không phải chủ đề hay xã/phường nào.\n"
PROBLEMS = "❌ Chưa gửi được, nội dung có lỗi:\n{reasons}"
CAPTION_PROBLEMS = "❌ Chưa gửi được, chú thích có lỗi (tối đa 1.024 ký tự):\n{reasons}"
TELEGRAM_REFUSED = "❌ Telegram từ chối nội dung: {error}"
URGENT_NO_PROMOTION = "❌ Tin khẩn cấp (#khancap) không dùng cho khuyến mãi."
ALBUM_NO_PROMOTION = "❌ Khuyến mãi không gửi được dạng album; hãy gửi từng ảnh."
ALBUM_UNKNOWN = (
    "❌ Mình chưa thấy đủ các ảnh/tệp của album này. Hãy gửi lại album rồi trả lời nó bằng "
    "<code>/broadcast</code>."
)
MEDIA_UNSUPPORTED = (
    "❌ Loại tin này chưa gửi được. Dùng chữ, ảnh, video, tệp (PDF…), ảnh động hoặc album."
)
AREA_OUT_OF_SCOPE = "❌ Bạn chỉ được gửi cho: {areas}."
PREVIEW_FOOTER = (
    "👆 Bản xem trước, đúng như người dân sẽ nhận.\n"
    "Chủ đề: <b>{topic}</b> · Người nhận: <b>{count}</b>{scope}{urgent}"
)
PREVIEW_SCOPE = " · Địa bàn: <b>{areas}</b>"
PREVIEW_URGENT = "\n🚨 <b>Tin khẩn cấp</b>: gửi trước mọi chiến dịch khác, cả trong giờ nghỉ đêm."
BUTTON_SEND = "✅ Gửi ngay"
BUTTON_LATER = "🕗 Hẹn giờ"
BUTTON_DROP = "❌ Hủy"
DRAFT_GONE = "Bản nháp này đã được xử lý hoặc đã hết hạn."
NOT_YOUR_DRAFT = "Chỉ người soạn hoặc quản trị viên mới gửi được bản nháp này."
DROPPED = "Đã hủy, không gửi."
DROPPED_SHORT = "Đã hủy."
QUEUEING = "Đang đưa vào hàng đợi…"
QUEUED = "⏳ Chiến dịch #{id}: đã xếp hàng {total} người nhận…\nHủy: /huy {id}"
TOPIC_URGENT = "khẩn cấp"


def progress_text(campaign_id: int, done: int, total: int, sent: int) -> str:
    return (
        f"📤 Chiến dịch #{campaign_id}: đã xử lý {done}/{total} "
        f"(đã gửi {sent})…\nHủy: /huy {campaign_id}"
    )


def final_lines(
    *,
    campaign_id: int,
    topic: str,
    cancelled: bool,
    sent: int,
    total: int,
    unreachable: int,
    failed: int,
    skipped: int,
    not_sent: int,
    seconds: int,
) -> list[str]:
    lines = [
        f"🛑 Chiến dịch #{campaign_id} đã dừng"
        if cancelled
        else f"✅ Chiến dịch #{campaign_id} ({escape(topic)}) đã xong",
        f"Gửi thành công: {sent}/{total}",
        f"Không liên lạc được (chặn bot, đã xóa tài khoản): {unreachable}",
        f"Lỗi: {failed}",
    ]
    if skipped:
        lines.append(f"Bỏ qua (đã hủy nhận, giới hạn khuyến mãi, hết hạn): {skipped}")
    if not_sent:
        lines.append(f"Đã hủy trước khi gửi: {not_sent}")
    lines.append(f"Thời gian: {seconds // 60} phút {seconds % 60} giây")
    return lines


CANCEL_USAGE = "Cách dùng: <code>/huy 12</code> (số chiến dịch)."
CANCELLED = "🛑 Đã hủy phần chưa gửi của chiến dịch #{id}."
CANCELLED_SCHEDULED = "🛑 Đã hủy lịch gửi chiến dịch #{id}."
NOT_RUNNING = "Không có chiến dịch #{id} đang gửi hay đang hẹn giờ."
NO_CAMPAIGNS = "Chưa có chiến dịch nào."
RECENT_TITLE = "<b>Các chiến dịch gần đây</b> (giờ {zone})"
STATUS_NAMES = {
    "queued": "chờ gửi",
    "sending": "đang gửi",
    "done": "xong",
    "cancelled": "đã hủy",
    "scheduled": "hẹn giờ",
}

# -- recall and edit -----------------------------------------------------------------------
BUTTON_RECALL = "🗑 Thu hồi"
BUTTON_EDIT = "✏️ Sửa"
BUTTON_CONFIRM_RECALL = "✅ Xác nhận thu hồi"
BUTTON_CONFIRM_EDIT = "✅ Xác nhận sửa"
BUTTON_KEEP = "Không"
RECALL_USAGE = "Cách dùng: <code>/thuhoi 12</code> (số chiến dịch)."
EDIT_USAGE = (
    "Cách dùng: <code>/sua 12 Nội dung mới</code>, hoặc bấm «Sửa» dưới báo cáo chiến dịch "
    "rồi trả lời tin nhắn của mình bằng nội dung mới."
)
NO_SUCH_CAMPAIGN = "Không có chiến dịch #{id}."
NOT_YOURS = "Chỉ người gửi chiến dịch hoặc quản trị viên mới thu hồi/sửa được."
STILL_SENDING = (
    "Chiến dịch #{id} chưa gửi xong. Dùng <code>/huy {id}</code> để dừng, đợi báo cáo, rồi thu hồi."
)
ALREADY_RECALLED = "Chiến dịch #{id} đã được thu hồi rồi."
RECALL_CONFIRM = (
    "🗑 Thu hồi chiến dịch #{id}: xóa <b>{count}</b> tin đã gửi khỏi máy người dân?\n"
    "Tin gửi quá 48 giờ Telegram không cho xóa."
)
RECALL_STARTED = "🗑 Đang thu hồi chiến dịch #{id} ({count} tin)…"
EDIT_PROMPT = "✏️ Nội dung mới cho chiến dịch #{id}: trả lời (reply) tin này bằng nội dung mới."
EDIT_CONFIRM = (
    "👆 Nội dung mới, đúng như người dân sẽ thấy. Sửa <b>{count}</b> tin đã gửi của "
    "chiến dịch #{id}?"
)
EDIT_STARTED = "✏️ Đang sửa {count} tin của chiến dịch #{id}…"
KEPT = "Đã giữ nguyên."
ACTION_GONE = "Yêu cầu này đã được xử lý."
CONFIRMING = "Đang thực hiện…"


def recall_done_text(campaign_id: int, done: int, too_old: int, gone: int, failed: int) -> str:
    lines = [
        f"🗑 Đã thu hồi chiến dịch #{campaign_id}: xóa {done} tin.",
        f"Không xóa được: {too_old + gone + failed}",
        f"• quá 48 giờ: {too_old}",
        f"• người dân đã xóa hoặc chặn bot: {gone}",
    ]
    if failed:
        lines.append(f"• lỗi khác: {failed}")
    return "\n".join(lines)


def edit_done_text(campaign_id: int, done: int, too_old: int, gone: int, failed: int) -> str:
    return (
        f"✏️ Đã sửa chiến dịch #{campaign_id}: {done} tin.\n"
        f"Không sửa được (đã bị xóa, bị chặn, lỗi): {too_old + gone + failed}"
    )


# -- Hẹn giờ -------------------------------------------------------------------------------
SCHEDULE_PROMPT = (
    "🕗 Giờ gửi cho bản nháp #{id}: trả lời (reply) tin này bằng thời gian, ví dụ "
    "«8:00 10/10», «mai 7h30» hoặc «2026-10-10T08:00» (giờ {zone})."
)
SCHEDULE_BAD = "❌ {reason} Ví dụ: «8:00 10/10», «mai 7h30», «2026-10-10T08:00»."
SCHEDULED = "🕗 Đã hẹn gửi chiến dịch #{id} lúc <b>{when}</b> ({zone}).\nHủy: /huy {id}"

# -- areas (citizens) and officials (admins) -------------------------------------------------
AREA_PICK = (
    "📍 Bạn ở xã/phường nào? Chọn bên dưới, hoặc gõ <code>/diaphuong tên xã</code> "
    "(không dấu cũng được), để nhận thông báo riêng của địa phương."
)
AREA_CURRENT = "\nHiện tại: <b>{name}</b>."
AREA_SET = "✅ Đã lưu địa phương của bạn: <b>{name}</b>."
AREA_UNKNOWN = "Mình chưa tìm thấy xã/phường «{typed}». Gõ /diaphuong để xem danh sách."
AREA_NONE = "Tỉnh chưa cấu hình danh sách xã/phường."
AREA_MORE = "… và {count} xã/phường khác: gõ <code>/diaphuong tên xã</code>."
STAFF_USAGE = (
    "Quản lý cán bộ:\n"
    "<code>/quanlycanbo</code> – danh sách\n"
    "<code>/quanlycanbo them &lt;user_id&gt; [mã xã …]</code> – thêm (không ghi xã: toàn tỉnh)\n"
    "<code>/quanlycanbo xoa &lt;user_id&gt;</code> – xóa\n"
    "(<code>/canbo them|xoa</code> cũng được, chỉ với quản trị viên)"
)
STAFF_LIST_TITLE = "<b>Cán bộ</b> (thêm qua Telegram; OFFICIAL_IDS/ADMIN_IDS luôn là toàn tỉnh)"
STAFF_NONE = "Chưa có cán bộ nào được thêm qua Telegram."
STAFF_ADDED = "✅ Đã thêm cán bộ <code>{user_id}</code>: {scope}."
STAFF_REMOVED = "🗑 Đã xóa cán bộ <code>{user_id}</code>."
STAFF_NOT_FOUND = (
    "Không có cán bộ <code>{user_id}</code> (cán bộ trong OFFICIAL_IDS chỉ xóa được ở cấu hình)."
)
STAFF_BAD_AREA = "Không có xã/phường «{typed}» trong areas.yaml."

BUTTON_CSV = "📄 Tải báo cáo CSV"
CSV_USAGE = "Cách dùng: <code>/baocao 12</code> (số chiến dịch)."
CSV_CAPTION = "📄 Chi tiết chiến dịch #{id}: từng người nhận, trạng thái, lỗi, thời gian."

# The button under every promotion a citizen receives.
OPT_OUT_LABEL = "Hủy nhận khuyến mãi"

# /broadcasts: one line per recent campaign; a scheduled one says how to cancel it.
SCHEDULED_STATUS = "{status} {at} (hủy: /huy {id})"
RECENT_LINE = (
    "#{id} {when} · {topic} · {status} · gửi {sent}/{total}, không tới {unreachable}, lỗi {failed}"
)

# Why a time typed after "Hẹn giờ" cannot be used (bot/broadcast/when.py).
WHEN_UNREADABLE = "Chưa đọc được thời gian."
WHEN_PAST = "Thời điểm này đã qua."
WHEN_TOO_FAR = "Chỉ hẹn được trong vòng một năm."
WHEN_BAD_ISO = "Ngày giờ ISO không hợp lệ."
WHEN_BAD_CLOCK = "Giờ không hợp lệ."
WHEN_BAD_DATE = "Ngày không hợp lệ."

# areas.yaml (bot/areas.py): the name of "everywhere", and why the file cannot be used.
WHOLE_PROVINCE = "toàn tỉnh"
AREAS_SHAPE = "{path}: cần 'province' và danh sách 'areas'"
AREAS_ITEM_SHAPE = "{path}: mục {number} phải có code và name"
AREAS_BAD_CODE = "{path}: mục {number}: code {code!r} phải là chữ thường không dấu"
AREAS_BAD_NAME = "{path}: mục {number}: thiếu name (tối đa 128 ký tự)"
AREAS_DUPLICATE = "{path}: code {code!r} bị trùng"
AREAS_TOO_MANY = "{path}: quá {limit} xã/phường"
