"""/diaphuong for citizens (pick a xã/phường) and /quanlycanbo for admins (manage officials).

Design note: /canbo is also the citizens' "talk to an official" (bot/telegram/support.py). The
admin command is therefore /quanlycanbo; `/canbo`, `/canbo them|xoa …` from admins manage
officials, and every other /canbo is the citizen's handoff.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.areas import AreaBook, AreasError, load_areas
from bot.broadcast import roles
from bot.db import in_session
from bot.knowledge.normalize import fold_text
from bot.replies import Button, Reply
from bot.storage import citizens
from bot.telegram import support
from bot.telegram.messaging import send_reply
from bot.telegram.services import services_of
from bot.telegram_html import escape
from bot.texts import admins as admin_texts
from bot.texts import officials as t

log = logging.getLogger(__name__)
STAFF_VERBS = ("them", "xoa")  # folded: typed with or without diacritics
BOOK_KEY = "area_book"
MAX_BUTTONS = 40


def area_book(context: ContextTypes.DEFAULT_TYPE) -> AreaBook:
    """areas.yaml, re-read when the file changes; a broken edit keeps the previous book."""
    settings = services_of(context).settings
    path = settings.areas_file
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = None
    cached = context.application.bot_data.get(BOOK_KEY)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        book = load_areas(path)
    except AreasError as error:
        log.error("areas file rejected: %s", error)
        return cached[1] if cached else AreaBook()
    context.application.bot_data[BOOK_KEY] = (stamp, book)
    return book


# -- citizens ------------------------------------------------------------------------------
async def area_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/diaphuong [name]"""
    services = services_of(context)
    chat_id = update.effective_chat.id
    book = area_book(context)
    if not book.areas:
        await send_reply(context.bot, chat_id, Reply(t.AREA_NONE))
        return
    typed = " ".join(context.args or []).strip()[:100]
    if typed:
        code = book.find(typed)
        if code is None:
            await send_reply(
                context.bot, chat_id, Reply(t.AREA_UNKNOWN.format(typed=escape(typed)))
            )
            return
        await _save(update, context, code)
        return
    current = await asyncio.to_thread(roles.citizen_area, services.engine, chat_id)
    text = t.AREA_PICK
    if current and (area := book.by_code(current)):
        text += t.AREA_CURRENT.format(name=escape(area.name))
    shown = book.areas[:MAX_BUTTONS]
    if len(book.areas) > MAX_BUTTONS:
        text += "\n" + t.AREA_MORE.format(count=len(book.areas) - MAX_BUTTONS)
    buttons = [Button(area.name, f"area:set:{area.code}") for area in shown]
    rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    await send_reply(context.bot, chat_id, Reply(text, rows))


async def on_area_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    code = (query.data or "").split(":", 2)[-1]
    if area_book(context).by_code(code) is None:
        await query.answer(t.AREA_UNKNOWN.format(typed=code[:40]), show_alert=True)
        return
    await query.answer()
    await _save(update, context, code)


async def _save(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str) -> None:
    services = services_of(context)
    chat_id = update.effective_chat.id
    user = update.effective_user

    def save() -> None:
        in_session(services.engine, citizens.touch_user, chat_id, user.first_name if user else "")
        roles.set_citizen_area(services.engine, chat_id, code, now=services.clock())

    await asyncio.to_thread(save)
    name = area_book(context).by_code(code).name
    await send_reply(context.bot, chat_id, Reply(t.AREA_SET.format(name=escape(name))))


# -- admins --------------------------------------------------------------------------------
async def canbo_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/canbo: `them|xoa` from an admin manages officials; anything else is the citizens'."""
    services = services_of(context)
    user = update.effective_user
    args = context.args or []
    is_admin = services.settings.is_admin(user.id if user else None)
    if is_admin and (not args or fold_text(args[0]) in STAFF_VERBS):
        await staff_command(update, context)
    else:
        await support.canbo_command(update, context)  # a citizen asking for an official


async def staff_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/quanlycanbo [them <user_id> [area…] | xoa <user_id>]"""
    services = services_of(context)
    chat_id = update.effective_chat.id
    user = update.effective_user
    if not services.settings.is_admin(user.id if user else None):
        await send_reply(context.bot, chat_id, Reply(admin_texts.NO_PERMISSION))
        return
    args = [a for a in (context.args or [])][:50]
    verb = fold_text(args[0]) if args else ""  # "thêm" or "them", "xóa" or "xoa"
    if not args:
        await send_reply(context.bot, chat_id, Reply(await _staff_list(context)))
        return
    target = args[1] if len(args) > 1 else ""
    if verb not in STAFF_VERBS or not target.isdigit() or len(target) > 15:
        await send_reply(context.bot, chat_id, Reply(t.STAFF_USAGE))
        return
    user_id = int(target)
    if verb == "xoa":
        removed = await asyncio.to_thread(roles.remove_official, services.engine, user_id)
        template = t.STAFF_REMOVED if removed else t.STAFF_NOT_FOUND
        await send_reply(context.bot, chat_id, Reply(template.format(user_id=user_id)))
        return
    book = area_book(context)
    codes = []
    for typed in args[2:]:
        code = book.find(typed)
        if code is None:
            await send_reply(
                context.bot, chat_id, Reply(t.STAFF_BAD_AREA.format(typed=escape(typed[:40])))
            )
            return
        codes.append(code)
    await asyncio.to_thread(
        lambda: roles.add_official(
            services.engine, user_id, codes, added_by=user.id, now=services.clock()
        )
    )
    scope = escape(book.names(codes or None))
    await send_reply(
        context.bot, chat_id, Reply(t.STAFF_ADDED.format(user_id=user_id, scope=scope))
    )


async def _staff_list(context: ContextTypes.DEFAULT_TYPE) -> str:
    services = services_of(context)
    rows = await asyncio.to_thread(roles.list_officials, services.engine)
    if not rows:
        return t.STAFF_NONE + "\n\n" + t.STAFF_USAGE
    book = area_book(context)
    lines = [t.STAFF_LIST_TITLE]
    lines += [f"• <code>{uid}</code>: {escape(book.names(codes or None))}" for uid, codes in rows]
    return "\n".join(lines)


def register(application: Application) -> None:
    application.add_handler(CommandHandler(["diaphuong", "khuvuc"], area_command))
    application.add_handler(CommandHandler("quanlycanbo", staff_command))
    application.add_handler(CommandHandler("canbo", canbo_command))
    application.add_handler(CallbackQueryHandler(on_area_button, pattern=r"^area:set:"))
