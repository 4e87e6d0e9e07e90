"""What admins see: permissions, rejected edits, /thongke, problem reports and the CLI."""

from __future__ import annotations

FAQ_EDIT_REJECTED = "Bản sửa FAQ có lỗi, bot vẫn dùng bản cũ"
SCHEDULE_EDIT_REJECTED = "Lịch thông báo có lỗi, bot vẫn dùng bản cũ"
NO_PERMISSION = "⛔ Bạn không có quyền dùng lệnh này."

# --- /thongke ------------------------------------------------------------------------------

STATS_TITLE = "📊 <b>Thống kê câu hỏi</b>"
STATS_VOLUME = "Hôm nay: <b>{today}</b> câu hỏi · 7 ngày: <b>{week}</b>"
STATS_OUTCOMES = (
    "Trả lời ngay: {answered:.0f}% · Gợi ý: {suggest:.0f}% · Chưa có câu trả lời: {none:.0f}%"
)
STATS_TOP_UNANSWERED = "<b>Câu hỏi chưa trả lời được nhiều nhất (7 ngày)</b>"
STATS_UNANSWERED_ROW = "{rank}. {question} — {count} lần"
STATS_FEEDBACK = "<b>Đánh giá theo mục</b> (👍/👎)"

# --- problem reports sent to admins --------------------------------------------------------

MORE_PROBLEMS = "… và {count} lỗi khác"

# --- dcbot (bot/cli.py): command and option help -----------------------------------------

HELP_APP = "Công Dân Số Bot"
HELP_FAQ = "Kiểm tra và đánh giá bộ câu hỏi (FAQ)."
HELP_DB = "Cơ sở dữ liệu."
HELP_SCHEDULES = "Lịch thông báo (schedules/)."
HELP_BROADCAST = "Gửi thông báo tới người đăng ký."
HELP_REPORT = "Báo cáo cho quản trị viên."
HELP_FAQ_DIR = "Thư mục FAQ (mặc định FAQ_DIR hoặc faq/)"
HELP_TODAY = "Ngày tham chiếu YYYY-MM-DD (mặc định hôm nay)"
HELP_ASK_QUESTION = "Câu hỏi; bỏ trống để đọc từng dòng từ stdin"
HELP_ASK_JSON = "In kết quả dạng JSON"
HELP_EVAL_CASES = "Tệp TSV: mã_mục<TAB>câu hỏi ('-' = ngoài phạm vi)"
HELP_EVAL_SELF = "Tự kiểm tra bằng câu hỏi sinh từ chính FAQ (không cần tệp nhãn)"
HELP_EVAL_SHOW_MISSES = "In các câu trả lời sai"
HELP_EVAL_JSON = "In số liệu dạng JSON"
HELP_SINCE = "Từ ngày (YYYY-MM-DD), giờ địa phương"
HELP_GROUP_LIMIT = "Số nhóm tối đa"
HELP_TEXT_FILE = "Tệp nội dung (HTML của Telegram)"
HELP_CAMPAIGN_ID = "Số chiến dịch"
HELP_SCHEDULES_DIR = "Thư mục lịch (mặc định SCHEDULES_DIR)"
HELP_FIRE_COUNT = "Số lần gửi tới cho mỗi thông báo"
HELP_NOW = "Thời điểm ISO 8601 thay cho đồng hồ"
HELP_ACTOR = "Tên người sửa ghi vào lịch sử (mặc định tên đăng nhập)"
HELP_EXPORT_FILE = "Tệp .xlsx (Excel) hoặc .csv"
HELP_IMPORT_FILE = "Tệp .xlsx hoặc .csv (như `dcbot faq export` ghi ra)"
HELP_DRY_RUN = "Chỉ kiểm tra và in thay đổi"
HELP_ROW_LIMIT = "Số dòng tối đa"
HELP_ENTRY = "Chỉ các thay đổi của một mục"

# --- dcbot (bot/cli.py): messages ---------------------------------------------------------

CONFIG_INVALID = "Cấu hình không hợp lệ: {error}"
WARNING = "cảnh báo: {problem}"
FAQ_NOT_LOADED = "Không nạp được FAQ từ {directory}."
ERROR = "LỖI {problem}"
PROBLEM_COUNT = "{count} lỗi trong {directory}."
ENTRY_UNSOURCED = "cảnh báo {file} [{entry}]: chưa có 'sources'"
ENTRY_STALE_WARNING = "cảnh báo {file} [{entry}]: {staleness}"
FAQ_OK = (
    "OK: {entries} mục, {categories} chủ đề, {synonyms} từ viết tắt riêng"
    " (cùng {bundled} từ viết tắt có sẵn của bot)."
)
DATE_INVALID = "Ngày không hợp lệ: {value!r} (cần dạng YYYY-MM-DD)"
NEVER_CHECKED = "chưa ghi 'checked' (tháng kiểm tra gần nhất)"
CHECKED_LONG_AGO = "kiểm tra lần cuối {checked:%Y-%m}, đã quá 12 tháng"
STALE_COUNT = "{stale}/{total} mục cần kiểm tra lại."
EVAL_NEEDS_CASES = "Cần tệp nhãn (CASES.tsv) hoặc --self."
CASES_UNREADABLE = "Không đọc được tệp nhãn: {error}"
CASE_UNKNOWN_ENTRY = "cảnh báo: dòng {line}: mã '{entry}' không có trong FAQ"
SELF_EVAL_INTRO_1 = (
    "Tự kiểm tra: mỗi cách hỏi được giấu đi rồi hỏi lại (gõ không dấu, viết tắt, sai chính tả...),"
)
SELF_EVAL_INTRO_2 = "kèm câu ngoài phạm vi và mục bị giấu hẳn."
CONFUSIONS_TITLE = "Các mục hay bị nhầm"
CONFUSION_COLUMNS = ("mục bị giấu", "mục xếp đầu", "số lần")
EVAL_TITLE = "Độ chính xác của bộ FAQ"
EVAL_COLUMNS = ("chỉ số", "giá trị", "ý nghĩa")
DB_UNAVAILABLE = "Không kết nối/nâng cấp được cơ sở dữ liệu: {error}"
DB_OK = "OK: cơ sở dữ liệu ở phiên bản {revision}."
NO_UNANSWERED = "Không có câu hỏi nào chưa được trả lời."
UNANSWERED_TITLE = "Câu hỏi chưa trả lời được"
UNANSWERED_COLUMNS = ("#", "Số lần", "Gần nhất (UTC)", "Câu hỏi (và cách hỏi khác)")
TOPIC_INVALID = "Chủ đề không hợp lệ: {topic!r} (thongbao | sukien | khuyenmai)"
FILE_UNREADABLE = "Không đọc được {file}: {error}"
FILE_ERROR = "LỖI {file}: {problem}"
BROADCAST_EMPTY = "tệp không có nội dung để gửi"
CAMPAIGN_QUEUED = "Đã xếp hàng chiến dịch #{id}: {total} người nhận."
CAMPAIGN_NOT_FOUND = "Không có chiến dịch #{id}."
NO_CAMPAIGNS = "Chưa có chiến dịch nào."
SCHEDULES_OK = "OK: {count} thông báo hợp lệ."
NEXT_FIRES_TITLE = "Lần gửi tới (giờ {tz})"
NEXT_FIRES_COLUMNS = ("Thông báo", "Chủ đề", "Loại", "Lần gửi tới")
NO_NOTICES = "(không có thông báo nào)"
TOKEN_INVALID = "TELEGRAM_BOT_TOKEN {what}: đặt mã bot từ @BotFather vào .env (TELEGRAM_BOT_TOKEN=123456:ABC...)."
ALREADY_RUNNING = "Bot đang chạy ở một tiến trình khác (chế độ long polling chỉ chạy được một bản; nhiều bản thì dùng webhook): {error}"
MOMENT_INVALID = "Thời điểm không hợp lệ: {value!r} (cần ISO 8601)"
EXPORTED = "Đã xuất {count} mục ra {file}."
IMPORT_REJECTED = "{count} lỗi trong {file}; chưa ghi gì."
SHEET_SKIPPED = "bỏ qua trang tính '{sheet}' (không có cột 'id')"
IMPORT_NO_CHANGE = "Không có thay đổi ({unchanged} mục giống hệt): {directory} giữ nguyên."
IMPORT_WOULD_CHANGE = "Sẽ sửa {entries} mục trong {files} tệp."
IMPORT_MISSING = "{count} mục không có trong bảng tính: giữ nguyên."
IMPORT_DONE = "Đã cập nhật {entries} mục trong {count} tệp: {files}."
NO_CHANGES = "Chưa có thay đổi nào."
CHANGES_TITLE = "Lịch sử sửa FAQ (giờ {tz})"
CHANGES_COLUMNS = ("Thời gian", "Người", "Nguồn", "Thao tác", "Mục", "Tệp", "Nội dung")
TEACH_CATEGORIES = "Chủ đề:"
TEACH_PICK_CATEGORY = "Chọn số, hoặc gõ tên chủ đề mới (bỏ trống để quay lại): "
TEACH_TYPE_ANSWER = "Câu trả lời (HTML của Telegram), kết thúc bằng một dòng chỉ có dấu chấm '.':"
TEACH_EMPTY_ANSWER = "Câu trả lời trống: quay lại."
TEACH_ENTRY_ID = "Mã mục [{suggested}]: "
TEACH_DONE = "Không còn câu hỏi nào cần dạy. Đã xử lý {taught} câu."
TEACH_QUIT_CHOICE = "  [q] Thoát"
TEACH_CHOOSE = "Chọn: "
TEACH_QUIT_WORDS = ("q", "thoat", "thoát")
TEACH_PAUSED = "Tạm dừng. Đã xử lý {taught} câu."
TEACH_VARIANT_ADDED = "✅ Đã thêm vào mục {entry} ({file})."
TEACH_VARIANT_KNOWN = "✅ Mục {entry} đã có cách hỏi này; đánh dấu đã xử lý."
TEACH_ENTRY_CREATED = "✅ Đã tạo mục {entry} trong {file}."
TEACH_SKIPPED = "Đã bỏ qua câu này."
TEACH_UNKNOWN_CHOICE = "Không hiểu lựa chọn; gõ số của mục, m, b hoặc q."
TEACH_TAKEN = "Câu này vừa được người khác xử lý."
TEACH_EDIT_INVALID = "LỖI bản sửa không hợp lệ, chưa ghi gì:"
TEACH_STILL_UNSURE = "⚠️ Bot vẫn chưa trả lời chắc câu này bằng mục đó; có thể cần thêm từ khóa."
CHANGED_FIELDS = "trường: {fields}"
CAMPAIGNS_TITLE = "Chiến dịch"
CAMPAIGN_COLUMNS = (
    "#",
    "Loại/chủ đề",
    "Trạng thái",
    "Đã gửi",
    "Không tới",
    "Lỗi",
    "Bỏ qua",
    "Hủy",
    "Chờ",
    "Giây",
)
TOKEN_MISSING = "thiếu"
TOKEN_MALFORMED = "không đúng định dạng"
IMPORT_ADDED = "thêm"
IMPORT_UPDATED = "sửa"
ACTION_NAMES = {
    "add_variant": "thêm cách hỏi",
    "add_entry": "thêm mục",
    "update_entry": "sửa mục",
    "skip": "bỏ qua",
}

# dcbot broadcast report
HELP_REPORT_CSV = "Ghi tệp CSV: chat, trạng thái, lỗi, giờ"
HELP_REPORT_OUT = "Đường dẫn tệp (mặc định chien-dich-ID.csv)"
CAMPAIGN_SUMMARY = (
    "#{id} {topic} {status}: gửi {sent}/{total}, "
    "không liên lạc được {unreachable}, lỗi {failed}, bỏ qua {skipped}"
)
FILE_NOT_WRITTEN = "Không ghi được {path}: {error}"
FILE_WRITTEN = "Đã ghi {path}."
