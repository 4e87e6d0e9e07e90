"""Problems found in admins' files: FAQ, schedules, facts, spreadsheets, Telegram HTML, edits."""

from __future__ import annotations

# --- reading YAML (bot/yaml_files.py) ------------------------------------------------------

FILE_NOT_UTF8 = "tệp không phải UTF-8"
FILE_UNREADABLE = "không đọc được tệp: {error}"
FILE_EMPTY = "tệp trống"
FILE_TOO_LARGE = (
    "tệp quá lớn ({size:,} byte, giới hạn {limit:,} byte): tách thành nhiều tệp "
    "hoặc tăng giới hạn bằng biến môi trường {env}"
)
YAML_SYNTAX = "lỗi cú pháp YAML: {reason}"
YAML_SYNTAX_AT = "lỗi cú pháp YAML (dòng {line}, cột {column}): {reason}"
YAML_CONTEXT = "{reason}, {context} từ dòng {line}"
DUPLICATE_KEY = "khóa '{key}' bị viết hai lần (dòng {line})"

# --- faq/*.yaml ----------------------------------------------------------------------------

URL_INVALID = "URL không hợp lệ: {value!r}"
ENTRY_ID_INVALID = "id chỉ gồm chữ thường không dấu, số và '-' (tối đa 48 ký tự)"
CHECKED_INVALID = "checked phải có dạng YYYY-MM (năm-tháng), có {value!r}"
LIST_ITEM_EMPTY = "có mục rỗng hoặc không phải chuỗi"
ANSWER_INVALID = "câu trả lời không hợp lệ: {problems}"
SYNONYMS_NOT_TABLE = "cần khóa 'synonyms' là một bảng từ -> nghĩa"
SYNONYM_NOT_STRING = "từ viết tắt và nghĩa phải là chuỗi"
PHRASES_NOT_TABLE = "'phrases' phải là một bảng cụm từ -> nghĩa"
PHRASE_NOT_STRING = "cụm từ và nghĩa phải là chuỗi"
FAQ_FILE_NOT_TABLE = "tệp phải là một bảng có 'category' và 'entries'"
FAQ_UNKNOWN_KEYS = "khóa không hỗ trợ: {keys}"
FAQ_CATEGORY_MISSING = "thiếu 'category' (tên danh mục)"
FAQ_ENTRIES_EMPTY = "'entries' phải là danh sách không rỗng"
FAQ_ENTRY_POSITION = "mục thứ {position}"
FAQ_ENTRY_NOT_TABLE = "mỗi mục phải là một bảng"
FAQ_DIR_MISSING = "thư mục FAQ không tồn tại"
FAQ_DUPLICATE_ID = "id trùng với mục trong {first}"
FAQ_RELATED_MISSING = "related '{related}' không tồn tại"
FAQ_EMPTY = "không có mục FAQ nào"
CASES_LINE_INVALID = "{path}:{number}: cần dạng 'mã_mục<TAB>câu hỏi'"

# --- faq/_facts.yaml -----------------------------------------------------------------------

FACTS_UNREADABLE = "{file}: không đọc được: {error}"
FACTS_NOT_TABLE = "{file}: cần khóa 'facts' là một bảng tên -> nội dung"
FACT_INVALID = "{file}: '{name}': tên chỉ gồm a-z, 0-9, _ và nội dung là chuỗi"
FACTS_UNDEFINED = "chưa định nghĩa trong {file}: {names}"

# --- schedules/*.yaml ----------------------------------------------------------------------

SCHEDULE_DIR_MISSING = "thư mục lịch không tồn tại"
SCHEDULE_FILE_NOT_TABLE = "tệp phải bắt đầu bằng 'notices:' và một danh sách"
SCHEDULE_UNKNOWN_KEY = "khóa '{key}' không được hỗ trợ; chỉ có 'notices'"
SCHEDULE_NOTICES_NOT_LIST = "'notices' phải là một danh sách"
SCHEDULE_NOTICE_NOT_TABLE = "mỗi thông báo phải là một bảng khóa: giá trị"
SCHEDULE_KEY_TWICE = "khóa bị viết hai lần"
SCHEDULE_DUPLICATE_ID = "id bị trùng, đã dùng ở {where}; thông báo này bị bỏ qua"
# pydantic's own messages, by error type, said in Vietnamese
SCHEDULE_FIELD_MESSAGES = {
    "missing": "thiếu (bắt buộc)",
    "extra_forbidden": "trường không được hỗ trợ (gõ nhầm tên?)",
    "string_type": "phải là chuỗi",
    "list_type": "phải là danh sách",
    "tuple_type": "phải là danh sách",
}
NOTICE_ID_NOT_STRING = "id phải là chuỗi"
NOTICE_ID_INVALID = "{id!r} chỉ được gồm chữ thường không dấu, số và '-'"
NOTICE_ID_TOO_LONG = "id dài quá {limit} ký tự"
NOTICE_TOPIC_UNKNOWN = "chủ đề {value!r} không có; chọn một trong: {known}"
NOTICE_CRON_INVALID = "biểu thức cron {expr!r} không hợp lệ: {error}"
NOTICE_CRON_NEVER = "biểu thức cron {expr!r} không bao giờ chạy"
NOTICE_NEEDS_DATE_AND_TIME = "{what} cần cả ngày và giờ, ví dụ 2026-10-10T08:00:00+07:00"
NOTICE_NOT_ISO_TIME = "{text!r} không phải thời điểm ISO, ví dụ 2026-10-10T08:00:00+07:00"
NOTICE_NOT_DATE = "{text!r} không phải ngày, ví dụ 2027-12-31"
NOTICE_NOT_STRING = "phải là chuỗi"
NOTICE_REPEATED_DURATION = "có khoảng thời gian bị lặp"
NOTICE_CRON_OR_AT = "cần đúng một trong hai: 'cron' (lặp lại) hoặc 'at' (một lần)"
NOTICE_UNTIL_NEEDS_CRON = "'until' chỉ dùng với 'cron'"
NOTICE_REMIND_TEXT_NEEDS_BEFORE = "'remind_text' cần 'remind_before'"
NOTICE_REMINDER_LABEL = "nhắc trước {before}"
DURATION_INVALID = "{value!r} không phải khoảng thời gian (dùng m, h, d, ví dụ 30m, 6h, 7d)"
DURATION_NOT_POSITIVE = "{value!r} phải lớn hơn 0"
CRON_WEEKDAY_INVALID = "thứ trong tuần '{token}' không hợp lệ (0-7 hoặc sun..sat)"
CRON_STEP_INVALID = "bước '{step}' không hợp lệ"
CRON_WEEKDAY_RANGE_REVERSED = "khoảng thứ '{range}' bị ngược"
CRON_FIELD_COUNT = "cần đúng 5 trường (phút giờ ngày tháng thứ), có {count}: {expr!r}"
CRON_DAY_AND_WEEKDAY = (
    "không dùng cùng lúc 'ngày trong tháng' và 'thứ trong tuần'; để một trường là *"
)

# --- Telegram HTML (bot/telegram_html.py) --------------------------------------------------

HTML_TAG_UNSUPPORTED = "thẻ <{tag}> không được Telegram hỗ trợ"
HTML_LINK_WITHOUT_HREF = "thẻ <a> thiếu href"
HTML_SPAN_NOT_SPOILER = 'thẻ <span> chỉ dùng được với class="tg-spoiler"'
HTML_SELF_CLOSING_UNSUPPORTED = "thẻ <{tag}/> không được Telegram hỗ trợ"
HTML_END_TAG_UNSUPPORTED = "thẻ đóng </{tag}> không được Telegram hỗ trợ"
HTML_NOTHING_OPEN = "không có thẻ nào đang mở"
HTML_END_TAG_MISPLACED = "thẻ đóng </{tag}> sai chỗ (đang chờ {expected})"
HTML_BARE_LESS_THAN = "ký tự '<' ở vị trí {position} phải viết là &lt;"
HTML_TAG_UNTERMINATED = "thẻ ở vị trí {position} thiếu dấu '>' để đóng thẻ"
HTML_VALUE_UNQUOTED = "giá trị {value} trong thẻ <{tag}> phải đặt trong dấu ngoặc kép"
HTML_EMOJI_ID_INVALID = "thẻ <tg-emoji> cần emoji-id là một số"
HTML_ENTITY_INVALID = "thực thể HTML không hợp lệ: {entity}"
HTML_UNCLOSED = "thẻ chưa đóng: {tags}"
HTML_EMPTY = "nội dung trống"
HTML_TOO_LONG = "dài {length} ký tự, vượt giới hạn {limit} của Telegram"

# --- FAQ spreadsheets (bot/faq_admin/spreadsheet.py) ---------------------------------------

SHEET = "Trang '{sheet}'"
SHEET_ROW = ", dòng {row}"
SHEET_LINK_FORMAT = "links: '{line}' cần dạng 'Tên{separator}https://...'"
SHEET_FIELD_MISSING = "thiếu {field}"
SHEET_COLUMN_UNKNOWN = "cột không hỗ trợ: '{name}'"
SHEET_COLUMN_TWICE = "cột '{name}' xuất hiện hai lần"
SHEET_COLUMNS_MISSING = "thiếu cột: {columns}"
SHEET_UNREADABLE = "Không đọc được {file}: {error}"
SHEET_NOT_EXCEL = "Không đọc được {file} như tệp Excel: {error}"
SHEET_NO_ID_COLUMN = "không có trang tính nào có cột 'id'"
SHEET_UNWRITABLE = "Không ghi được {file}: {error}"
SHEET_ID_MISSING = "thiếu id"
SHEET_ID_TAKEN = "id trùng với trang '{sheet}', dòng {row}"
SHEET_CATEGORY_MISSING = "thiếu category"
SHEET_CATEGORY_CHANGE = (
    "mục đang thuộc chủ đề '{current}' ({file}); đổi chủ đề "
    "qua bảng tính chưa được hỗ trợ, hãy sửa tệp YAML"
)

# --- editing faq/*.yaml (bot/faq_admin/yaml_editor.py) -------------------------------------

FAQ_DIR_NOT_FOUND = "Thư mục FAQ không tồn tại: {directory}"
EDIT_INVALID = "Bản sửa làm FAQ không hợp lệ:\n{problems}"
EDIT_FIELDS_UNKNOWN = "Trường không hỗ trợ: {fields}"
EDIT_VARIANT_NO_WORDS = "Câu hỏi không có chữ nào, không thêm làm cách hỏi được."
EDIT_VARIANT_TOO_LONG = "Câu hỏi dài quá {limit} ký tự, không thêm được."
EDIT_FIELD_EMPTY = "[{entry}] '{field}' không được để trống."
EDIT_CATEGORY_MISSING = "Cần tên chủ đề cho mục mới."
EDIT_ID_INVALID = "Mã mục '{entry}' không hợp lệ: chỉ gồm chữ thường không dấu, số và '-'."
EDIT_ENTRY_EXISTS = "Đã có mục '{entry}' trong {file}."
EDIT_NEW_ENTRY_INCOMPLETE = "Mục mới cần cả câu hỏi và câu trả lời."
EDIT_ALREADY_COMMITTED = "Workspace đã ghi rồi; hãy mở workspace mới."
EDIT_CONCURRENT = "Tệp {file} vừa được sửa ở nơi khác; chưa ghi gì, hãy thử lại."
EDIT_ENTRY_NOT_FOUND = "Không có mục '{entry}' trong FAQ."
EDIT_FILE_BROKEN = "{file}: tệp YAML đang lỗi; hãy sửa tay trước."
EDIT_LAYOUT_UNSUPPORTED = (
    "{file}: trình sửa tự động không giữ nguyên được cách trình bày của tệp này; hãy sửa tay."
)
EDIT_ENTRIES_NOT_LIST = "{file}: 'entries' phải là danh sách."
EDIT_ENTRY_NOT_TABLE = "{file}: mục thứ {position} không phải một bảng."
EDIT_REREAD_FAILED = "{file}: bản sửa không đọc lại được ({error}); chưa ghi gì."
EDIT_REREAD_DIFFERS = "{file}: bản sửa không đọc lại đúng dữ liệu; chưa ghi gì."
EDIT_OUTSIDE_ENTRIES = "{file}: bản sửa chạm vào dòng {line} ngoài các mục được sửa; chưa ghi gì."
