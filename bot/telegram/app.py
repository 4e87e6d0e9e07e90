"""Build the python-telegram-bot Application: the one place handlers are registered."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.engine import Engine
from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.clock import Clock, utc_now
from bot.config import Settings
from bot.knowledge.store import FaqStore
from bot.replies import Reply
from bot.telegram import (
    admin,
    areas,
    background,
    citizen,
    official,
    official_actions,
    texts,
)
from bot.telegram.flood import FloodGuard
from bot.telegram.messaging import send_reply
from bot.telegram.services import SERVICES_KEY, Services

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("start", "Bắt đầu"),
    BotCommand("faq", "Danh mục câu hỏi thường gặp"),
    BotCommand("help", "Hướng dẫn sử dụng"),
    BotCommand("caidat", "Bật/tắt nhận thông báo, sự kiện, khuyến mãi"),
    BotCommand("diaphuong", "Chọn xã/phường của bạn"),
    BotCommand("xoadulieu", "Xóa dữ liệu của bạn"),
    BotCommand("subscribe", "Đăng ký nhận tin: thongbao, sukien, khuyenmai"),
    BotCommand("unsubscribe", "Hủy nhận tin: thongbao, sukien, khuyenmai"),
]


def register_handlers(application: Application) -> None:
    """Every handler, in priority order."""
    add = application.add_handler
    add(CommandHandler("start", citizen.start))
    add(CommandHandler(["help", "trogiup"], citizen.help_command))
    add(CommandHandler(["faq", "menu", "danhmuc"], citizen.faq_menu))
    add(CommandHandler(["subscribe", "dangky"], citizen.subscribe_command))
    add(CommandHandler(["unsubscribe", "huydangky"], citizen.unsubscribe_command))
    add(CommandHandler(["caidat", "settings"], citizen.settings_command))
    add(CommandHandler(["xoadulieu", "deletedata"], citizen.delete_command))
    add(CommandHandler("thongke", admin.stats_command))
    official.register(application)
    official_actions.register(application)
    areas.register(application)  # /diaphuong (citizens), /quanlycanbo (admins)
    add(CallbackQueryHandler(citizen.on_callback))
    add(MessageHandler(filters.TEXT & ~filters.COMMAND, citizen.on_text))
    add(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, unknown_command))
    add(MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL, citizen.on_other_message))
    application.add_error_handler(on_error)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the bot does not know."""
    await send_reply(
        context.bot,
        update.effective_chat.id,
        Reply("Mình chưa hiểu lệnh này. Gõ /help để xem các lệnh, hoặc gõ câu hỏi của bạn."),
    )


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log with the update id, apologise once, keep serving."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s", update_id, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        if update.callback_query is not None:
            with contextlib.suppress(Exception):  # it may have been answered already
                await update.callback_query.answer()
        try:
            await send_reply(context.bot, update.effective_chat.id, Reply(texts.INTERNAL_ERROR))
        except Exception:
            log.warning("could not apologise for update %s", update_id)


async def _post_init(application: Application) -> None:
    services: Services = application.bot_data[SERVICES_KEY]
    try:
        await application.bot.set_my_commands(COMMANDS)
    except Exception:
        log.warning("could not set the command list", exc_info=True)

    async def faq_problems(problems) -> None:
        await admin.notify_admins(
            application.bot,
            services.settings.admin_ids,
            admin.problems_text("Bản sửa FAQ có lỗi, bot vẫn dùng bản cũ", problems),
        )

    if services.faq.last_problems:
        await faq_problems(services.faq.last_problems)
    watcher = services.faq.watch(faq_problems, services.settings.reload_poll_seconds)
    services.background.append(asyncio.create_task(watcher))
    await background.start(application, services)


async def _post_shutdown(application: Application) -> None:
    services: Services = application.bot_data[SERVICES_KEY]
    await background.stop(services, application)
    for task in services.background:
        task.cancel()
    await asyncio.gather(*services.background, return_exceptions=True)
    services.background.clear()


def build_application(
    settings: Settings, engine: Engine, faq: FaqStore | None = None, clock: Clock = utc_now
) -> Application:
    """The bot's Application, wired to the database, the FAQ and the clock."""
    if faq is None:
        faq = FaqStore(settings.faq_dir)
        faq.load()
    builder: ApplicationBuilder = (
        Application.builder()
        .token(settings.telegram_bot_token.strip())
        .base_url(settings.telegram_base_url)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .concurrent_updates(16)
    )
    if settings.telegram_base_file_url:
        builder = builder.base_file_url(settings.telegram_base_file_url)
    application = builder.build()
    application.bot_data[SERVICES_KEY] = Services(
        settings=settings,
        engine=engine,
        faq=faq,
        clock=clock,
        flood=FloodGuard(
            settings.flood_max_messages, settings.flood_window_seconds, settings.flood_mute_seconds
        ),
    )
    register_handlers(application)
    return application
