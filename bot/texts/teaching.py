"""/hoc: admins teach the FAQ from real questions (bot and `dcbot faq hoc`)."""

from __future__ import annotations

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

# --- the queue of questions to teach (bot/faq_admin/teaching.py) ---------------------------

NEW_ENTRY_LABEL = "🆕 Câu hỏi mới"
SKIP_LABEL = "Bỏ qua"
ITEM_QUESTION = "❓ «{text}»"
ITEM_UNANSWERED = "Bot chưa trả lời được · {count} lần"
ITEM_DISLIKED = "Câu trả lời bị 👎 · {count} lần"
ITEM_LAST_ASKED = "{status} · gần nhất {last:%d/%m/%Y %H:%M}"
ITEM_ANSWERED_WITH = "Bot đã trả lời bằng: {question} ({entry})"
ITEM_OFFICIAL_ANSWER = "Câu trả lời của cán bộ: {answer}"
ALREADY_HANDLED = "Câu hỏi này đã được xử lý ({key})."
