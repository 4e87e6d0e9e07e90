"""Procedure-style distractor FAQ entries, to measure the matcher at thousands of entries."""

from __future__ import annotations

import itertools
import random

from bot.knowledge.faq_files import FaqBook, FaqEntry

ACTIONS = [
    "Cấp mới", "Cấp lại", "Gia hạn", "Điều chỉnh", "Thu hồi", "Xác nhận", "Đăng ký thay đổi",
    "Chấm dứt", "Công nhận", "Cấp bản sao", "Đính chính", "Chuyển đổi", "Tạm ngừng", "Bổ sung",
    "Phê duyệt", "Thẩm định", "Cấp phép", "Hủy bỏ", "Sửa đổi", "Cấp đổi",
]  # fmt: skip
OBJECTS = [
    "giấy phép kinh doanh karaoke", "chứng chỉ hành nghề dược", "giấy phép xây dựng nhà ở riêng lẻ",
    "giấy chứng nhận quyền sử dụng đất", "giấy phép khai thác nước ngầm", "chứng chỉ hành nghề kiến trúc",
    "giấy phép hoạt động trường mầm non", "giấy chứng nhận đủ điều kiện an toàn thực phẩm",
    "giấy phép vận tải hàng hóa", "giấy phép biểu diễn nghệ thuật", "quyết định thành lập hợp tác xã",
    "giấy phép nhập khẩu thuốc bảo vệ thực vật", "chứng nhận cơ sở chăn nuôi", "giấy phép khai thác khoáng sản",
    "giấy phép quảng cáo ngoài trời", "giấy chứng nhận kiểm dịch động vật", "chứng chỉ quy hoạch",
    "giấy phép lao động cho người nước ngoài", "giấy phép thành lập quỹ từ thiện", "giấy phép tổ chức lễ hội",
    "giấy chứng nhận đăng ký tàu cá", "giấy phép hoạt động phòng khám", "chứng chỉ kiểm định viên",
    "giấy phép xả thải vào nguồn nước", "giấy phép kinh doanh rượu", "giấy phép sử dụng vật liệu nổ",
    "giấy phép hoạt động điện lực", "giấy chứng nhận trang trại", "giấy phép bán lẻ thuốc lá",
    "giấy phép thăm dò nước dưới đất", "giấy phép hoạt động in", "giấy chứng nhận đạt chuẩn nông thôn mới",
    "giấy phép lập cơ sở dịch vụ thể thao", "giấy phép khai thác thủy sản", "giấy phép hoạt động thư viện",
    "giấy phép đào tạo lái xe", "giấy phép cơ sở bảo trợ xã hội", "chứng nhận giống cây trồng",
    "giấy phép hoạt động bến thủy nội địa", "giấy phép kinh doanh dịch vụ lữ hành",
    "giấy phép sản xuất phân bón", "giấy phép phát hành xuất bản phẩm", "giấy phép thiết lập trang tin",
    "giấy chứng nhận đăng ký hộ kinh doanh vận tải", "giấy phép hoạt động giám định", "giấy phép di dời công trình",
    "giấy phép trồng cây xanh đô thị", "giấy chứng nhận làng nghề", "giấy phép tổ chức thi đấu thể thao",
    "giấy phép hoạt động đo đạc bản đồ",
]  # fmt: skip
CONTEXTS = ["cấp xã", "cấp huyện", "cấp tỉnh", "trực tuyến", "liên thông"]
TEMPLATES = [
    "Thủ tục {action} {obj} {ctx} gồm những bước nào?",
    "Hồ sơ {action_l} {obj} {ctx} cần giấy tờ gì?",
    "Thời hạn giải quyết {action_l} {obj} {ctx} là bao lâu?",
    "{action} {obj} {ctx} nộp ở đâu?",
]


def distractor_entries(count: int, seed: int = 7) -> list[FaqEntry]:
    rng = random.Random(seed)
    combos = list(itertools.product(ACTIONS, OBJECTS, CONTEXTS))
    rng.shuffle(combos)
    entries = []
    for number, (action, obj, ctx) in enumerate(itertools.islice(itertools.cycle(combos), count)):
        texts = [
            t.format(action=action, action_l=action.lower(), obj=obj, ctx=ctx) for t in TEMPLATES
        ]
        rng.shuffle(texts)
        entries.append(
            FaqEntry(
                id=f"distractor-{number}",
                category="Thủ tục hành chính (giả lập)",
                question=texts[0],
                variants=tuple(texts[1:3]),
                answer=f"Thủ tục {action.lower()} {obj} {ctx}: nộp hồ sơ theo quy định hiện hành.",
                source_file="distractors.yaml",
            )
        )
    return entries


def with_distractors(book: FaqBook, count: int) -> FaqBook:
    entries = dict(book.entries)
    for entry in distractor_entries(count):
        entries[entry.id] = entry
    return FaqBook(entries=entries, synonyms=dict(book.synonyms))
