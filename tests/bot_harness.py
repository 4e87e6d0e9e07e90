"""Run the real bot Application against the Bot API stand-in, over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.clock import Clock
from bot.config import Settings
from bot.db import create_db_engine, upgrade_database
from bot.knowledge.store import FaqStore
from bot.telegram.app import build_application

from clocks import NOON_LOCAL, RunningClock
from telegram_standin import BotApiStandin

TEST_FAQ = """\
category: Dịch vụ công trực tuyến
entries:
  - id: dvc-dang-ky
    question: Làm thế nào để đăng ký tài khoản Cổng Dịch vụ công quốc gia?
    variants: [Tạo tài khoản dịch vụ công, Đăng ký tài khoản dichvucong]
    answer: "Vào <b>dichvucong.gov.vn</b>, chọn <i>Đăng ký</i> &amp; làm theo hướng dẫn."
    links: [{text: Cổng Dịch vụ công quốc gia, url: "https://dichvucong.gov.vn"}]
    related: [vneid-muc-2]
  - id: vneid-muc-2
    question: Đăng ký định danh điện tử VNeID mức 2 ở đâu?
    variants: [Kích hoạt VNeID mức 2]
    answer: Mang căn cước gắn chip đến công an xã, phường nơi cư trú.
    related: [dvc-dang-ky]
  - id: vneid-quen-mat-khau
    question: Quên mật khẩu VNeID thì làm sao?
    answer: Chọn Quên mật khẩu trên màn hình đăng nhập VNeID.
"""
TEST_FAQ_2 = """\
category: Thanh toán số
entries:
  - id: qr-thanh-toan
    question: Thanh toán bằng mã QR như thế nào?
    variants: [Quét mã QR để trả tiền]
    answer: Mở ứng dụng ngân hàng, chọn quét QR, kiểm tra tên người nhận rồi xác nhận.
"""


def write_test_faq(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "dich-vu-cong.yaml").write_text(TEST_FAQ, encoding="utf-8")
    (directory / "thanh-toan.yaml").write_text(TEST_FAQ_2, encoding="utf-8")
    (directory / "_synonyms.yaml").write_text(
        "synonyms:\n  tk: tài khoản\n  dvc: dịch vụ công\n  mk: mật khẩu\n", encoding="utf-8"
    )
    return directory


def make_settings(standin: BotApiStandin, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": standin.token,
        "telegram_base_url": standin.base_url,
        "telegram_base_file_url": standin.base_file_url,
        "faq_dir": tmp_path / "faq",
        "schedules_dir": tmp_path / "schedules",
        "database_url": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        "bot_tz": "Asia/Ho_Chi_Minh",
        "quiet_hours": "22:00-07:00",
        "admin_ids": [900],
        "official_ids": [800],
        "reload_poll_seconds": 0.2,
    }
    values.update(overrides)
    Path(values["schedules_dir"]).mkdir(parents=True, exist_ok=True)
    return Settings(_env_file=None, **values)


@asynccontextmanager
async def running_bot(settings: Settings, clock: Clock | None = None) -> AsyncIterator[Application]:
    """Start the Application with long polling, as `dcbot run` does, and stop it afterwards.

    The bot's clock starts at noon in Hà Nội unless the test gives another one, so quiet hours
    and "today" never depend on when the suite runs.
    """
    engine = create_db_engine(settings.database_url)
    upgrade_database(engine)
    faq = FaqStore(settings.faq_dir)
    faq.load()
    application = build_application(settings, engine, faq, clock or RunningClock(NOON_LOCAL))
    async with application:
        await application.post_init(application)
        await application.start()
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()
            await application.post_shutdown(application)
    engine.dispose()
