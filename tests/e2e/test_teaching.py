"""/hoc end to end: an unanswered question, taught from Telegram, is answered at once."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot_harness import make_settings, running_bot, write_test_faq
from telegram_standin import BotApiStandin

ADMIN = 900
CITIZEN = 4321
QUESTION = "muốn làm giấy tờ online trên trang nhà nước thì vào đâu"
COMMENT = "# Tệp do cán bộ biên tập, giữ nguyên chú thích này\n"


def buttons(message: dict) -> list[dict]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def git(faq: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(faq), *args], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
async def bot(standin: BotApiStandin, tmp_path: Path):
    faq = write_test_faq(tmp_path / "faq")
    path = faq / "dich-vu-cong.yaml"
    block_style = path.read_text("utf-8").replace(
        "    variants: [Tạo tài khoản dịch vụ công, Đăng ký tài khoản dichvucong]\n",
        "    variants:  # cách hỏi khác\n"
        "      - Tạo tài khoản dịch vụ công\n"
        "      - Đăng ký tài khoản dichvucong\n",
    )
    path.write_text(COMMENT + block_style, encoding="utf-8")
    git(faq, "init", "-q")
    git(faq, "add", ".")
    async with running_bot(make_settings(standin, tmp_path)) as application:
        yield application


async def test_teach_a_variant_from_telegram_and_it_is_answered_without_a_restart(
    standin, bot, tmp_path: Path
) -> None:
    standin.push_text(CITIZEN, QUESTION)
    [first] = await standin.wait_for_messages(CITIZEN, 1)
    assert not first["text"].startswith("Làm thế nào để đăng ký")  # not answered yet

    standin.push_command(ADMIN, "/hoc", user_id=ADMIN)
    [shown] = await standin.wait_for_messages(ADMIN, 1)
    assert QUESTION in shown["text"]
    add = next(
        b for b in buttons(shown) if b["text"].startswith("➕") and "Cổng Dịch vụ công" in b["text"]
    )
    standin.push_callback(
        ADMIN, add["callback_data"], message_id=shown["message_id"], user_id=ADMIN
    )
    await standin.wait_for(lambda s: any("Đã thêm" in m["text"] for m in s.messages_to(ADMIN)))

    standin.push_text(CITIZEN, QUESTION)
    answer = (await standin.wait_for_messages(CITIZEN, 2))[-1]
    assert answer["text"].startswith("Làm thế nào để đăng ký tài khoản Cổng Dịch vụ công quốc gia?")

    faq = tmp_path / "faq"
    diff = git(faq, "diff", "--unified=0", "--no-color")
    changed = [
        line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert changed == [f"+      - {QUESTION}"]  # the added line only
    assert (faq / "dich-vu-cong.yaml").read_text("utf-8").startswith(COMMENT)


async def test_hoc_is_for_admins_only(standin, bot) -> None:
    standin.push_command(CITIZEN, "/hoc")
    [reply] = await standin.wait_for_messages(CITIZEN, 1)
    assert "Chỉ quản trị viên" in reply["text"]
