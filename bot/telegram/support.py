"""Handoff to officials: a citizen's question becomes a ticket in the support group, and an
official's reply to it there goes back to the citizen.

Callback data: `hand:q:<question id>` (from an unanswered question), `hand:fb:<entry id>`
(after a 👎), `hand:new` (/canbo), `hand:end:<ticket>` (the citizen ends it), and
`tk:close:<ticket>` (an official closes it).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import callbacks
from bot.clock import to_local
from bot.db import run_in_session
from bot.replies import Button, Reply
from bot.storage import tickets
from bot.telegram.messaging import send_reply
from bot.telegram.services import Services, services_of
from bot.telegram_html import escape
from bot.texts import admins as admin_texts
from bot.texts import handoff as texts

log = logging.getLogger(__name__)
HISTORY_SHOWN = 5
QUESTION_SHOWN = 1000


def handoff_enabled(services: Services) -> bool:
    return services.settings.support_chat_id is not None


def handoff_button(data: str) -> Button:
    return Button(texts.HANDOFF_BUTTON, callback_data=data)


def _outside_hours_note(services: Services) -> str:
    start, end, days = services.settings.office_window
    now = to_local(services.clock(), services.settings.zone)
    if now.isoweekday() in days and start <= now.time().replace(tzinfo=None) < end:
        return ""
    return texts.HANDOFF_OUTSIDE_HOURS.format(
        start=start.strftime("%H:%M"), end=end.strftime("%H:%M"), days=texts.weekdays_text(days)
    )


def _display_name(update: Update) -> str:
    user = update.effective_user
    if user is None:
        return texts.CITIZEN
    return " ".join(part for part in (user.first_name, user.last_name) if part) or texts.CITIZEN


async def canbo_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/canbo: offer to hand the conversation to an official."""
    services = services_of(context)
    chat_id = update.effective_chat.id
    if not handoff_enabled(services):
        await send_reply(context.bot, chat_id, Reply(texts.HANDOFF_UNAVAILABLE))
        return
    await send_reply(
        context.bot,
        chat_id,
        Reply(texts.HANDOFF_CANBO, ((handoff_button(callbacks.HANDOFF_NEW),),)),
    )


async def on_handoff_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ "Gặp cán bộ" or "Kết thúc trao đổi" under a reply."""
    query = update.callback_query
    services = services_of(context)
    parts = (query.data or "").split(":", 2)
    if not handoff_enabled(services) or update.effective_chat.type != "private":
        await query.answer(texts.HANDOFF_UNAVAILABLE[:190], show_alert=True)
        return
    if parts[1:2] == ["end"]:
        await _citizen_ends(update, context, parts[2] if len(parts) > 2 else "")
        return
    await query.answer()
    await open_handoff(update, context, parts[1] if len(parts) > 1 else "new", parts[2:])


async def open_handoff(
    update: Update, context: ContextTypes.DEFAULT_TYPE, source: str, args: list[str]
) -> None:
    """Open (or reuse) the chat's ticket and post it to the support group."""
    services = services_of(context)
    chat_id = update.effective_chat.id
    name = _display_name(update)
    question_id = int(args[0]) if source == "q" and args and args[0].isdigit() else None
    now = services.clock()

    def work(session):
        existing = tickets.open_ticket_of(session, chat_id)
        if existing is not None:
            return existing, None, []
        history = tickets.recent_questions(session, chat_id, HISTORY_SHOWN)
        question = None
        if question_id is not None:
            question = tickets.question_text(session, question_id, chat_id)
        question = question or (history[-1] if history else texts.HANDOFF_NO_QUESTION)
        ticket = tickets.open_ticket(
            session, chat_id=chat_id, display_name=name, question=question, now=now
        )
        first = tickets.add_message(
            session, ticket.id, direction=tickets.CITIZEN, text=question, now=now
        )
        return ticket, first.id, history

    ticket, first_message_id, history = await run_in_session(services.engine, work)
    end = ((Button(texts.HANDOFF_END_BUTTON, callback_data=callbacks.handoff_end(ticket.id)),),)
    if first_message_id is None:
        text = texts.HANDOFF_ALREADY_OPEN.format(ticket=ticket.id)
        await send_reply(context.bot, chat_id, Reply(text, end))
        return
    post = texts.SUPPORT_NEW_TICKET.format(
        ticket=ticket.id, name=escape(name), question=escape(ticket.question[:QUESTION_SHOWN])
    )
    earlier = [line for line in history if line != ticket.question]
    if earlier:
        lines = "\n".join(f"• {escape(line[:200])}" for line in earlier[-HISTORY_SHOWN:])
        post += texts.SUPPORT_HISTORY.format(lines=lines)
    post += texts.SUPPORT_HOW_TO_ANSWER
    await _post_to_group(context, services, ticket.id, first_message_id, post)
    opened = texts.HANDOFF_OPENED.format(ticket=ticket.id) + _outside_hours_note(services)
    await send_reply(context.bot, chat_id, Reply(opened, end))


async def _post_to_group(
    context: ContextTypes.DEFAULT_TYPE,
    services: Services,
    ticket_id: int,
    message_row_id: int,
    html: str,
) -> None:
    close = (
        (
            Button(
                texts.TICKET_CLOSE_BUTTON.format(ticket=ticket_id),
                callbacks.ticket_close(ticket_id),
            ),
        ),
    )
    sent = await send_reply(context.bot, services.settings.support_chat_id, Reply(html, close))
    await run_in_session(
        services.engine,
        lambda session: tickets.set_support_message(session, message_row_id, sent.message_id),
    )


async def forward_to_open_ticket(
    update: Update, context: ContextTypes.DEFAULT_TYPE, text: str
) -> bool:
    """A citizen's message while a ticket is open goes to that ticket; False if none is open."""
    services = services_of(context)
    if not handoff_enabled(services):
        return False
    chat_id = update.effective_chat.id
    now = services.clock()
    limit = services.settings.ticket_messages_per_hour

    def work(session):
        ticket = tickets.open_ticket_of(session, chat_id)
        if ticket is None:
            return None, None
        if tickets.citizen_messages_since(session, chat_id, now - timedelta(hours=1)) >= limit:
            return ticket, None
        row = tickets.add_message(session, ticket.id, direction=tickets.CITIZEN, text=text, now=now)
        return ticket, row.id

    ticket, row_id = await run_in_session(services.engine, work)
    if ticket is None:
        return False
    if row_id is None:
        await send_reply(context.bot, chat_id, Reply(texts.HANDOFF_LIMIT))
        return True
    post = texts.SUPPORT_FOLLOW_UP.format(
        ticket=ticket.id, name=escape(ticket.display_name), text=escape(text[:QUESTION_SHOWN])
    )
    await _post_to_group(context, services, ticket.id, row_id, post + texts.SUPPORT_HOW_TO_ANSWER)
    end = ((Button(texts.HANDOFF_END_BUTTON, callback_data=callbacks.handoff_end(ticket.id)),),)
    await send_reply(
        context.bot, chat_id, Reply(texts.HANDOFF_FORWARDED.format(ticket=ticket.id), end)
    )
    return True


async def on_support_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An official's reply in the support group goes to the citizen; anyone else is ignored."""
    services = services_of(context)
    message = update.effective_message
    user = update.effective_user
    replied = message.reply_to_message
    if replied is None or not services.settings.is_official(user.id if user else None):
        return
    answer = (message.text or message.caption or "").strip()
    if not answer:
        return
    now = services.clock()

    def work(session):
        ticket = tickets.ticket_for_support_message(session, replied.message_id)
        if ticket is None or ticket.status != "open":
            return ticket, False
        tickets.add_message(
            session,
            ticket.id,
            direction=tickets.OFFICIAL,
            text=answer,
            now=now,
            author_id=user.id,
        )
        return ticket, True

    ticket, relay = await run_in_session(services.engine, work)
    if ticket is None:
        return
    if not relay:
        await send_reply(
            context.bot,
            message.chat_id,
            Reply(texts.SUPPORT_TICKET_CLOSED.format(ticket=ticket.id)),
        )
        return
    end = ((Button(texts.HANDOFF_END_BUTTON, callback_data=callbacks.handoff_end(ticket.id)),),)
    text = texts.OFFICIAL_ANSWER.format(ticket=ticket.id, text=escape(answer))
    await send_reply(context.bot, ticket.chat_id, Reply(text, end))
    await send_reply(
        context.bot, message.chat_id, Reply(texts.SUPPORT_RELAYED.format(ticket=ticket.id))
    )


async def tickets_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/tickets: the open tickets, each with a close button."""
    services = services_of(context)
    user = update.effective_user
    chat_id = update.effective_chat.id
    if not services.settings.is_official(user.id if user else None):
        await send_reply(context.bot, chat_id, Reply(admin_texts.NO_PERMISSION))
        return
    open_now = await run_in_session(services.engine, tickets.open_tickets)
    if not open_now:
        await send_reply(context.bot, chat_id, Reply(texts.TICKETS_NONE))
        return
    lines = [texts.TICKETS_TITLE]
    lines += [
        f"#{t.id} · {escape(t.display_name)} · {to_local(t.created_at, services.settings.zone):%d/%m %H:%M}"
        f"\n   {escape(t.question[:120])}"
        for t in open_now
    ]
    buttons = tuple(
        (Button(texts.TICKET_CLOSE_BUTTON.format(ticket=t.id), callbacks.ticket_close(t.id)),)
        for t in open_now
    )
    await send_reply(context.bot, chat_id, Reply("\n".join(lines), buttons))


async def on_ticket_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ "Đóng #N" from an official, in the group or under /tickets."""
    query = update.callback_query
    services = services_of(context)
    user = update.effective_user
    if not services.settings.is_official(user.id if user else None):
        await query.answer(admin_texts.NO_PERMISSION, show_alert=True)
        return
    raw = (query.data or "").rsplit(":", 1)[-1]
    if not raw.isdigit():
        await query.answer(texts.TICKET_ALREADY_CLOSED)
        return
    now = services.clock()
    ticket = await run_in_session(
        services.engine,
        lambda session: tickets.close_ticket(session, int(raw), by=user.id, now=now),
    )
    if ticket is None:
        await query.answer(texts.TICKET_ALREADY_CLOSED)
        return
    await query.answer(texts.SUPPORT_CLOSED_BY.format(ticket=ticket.id))
    await send_reply(
        context.bot, ticket.chat_id, Reply(texts.TICKET_CLOSED_FOR_CITIZEN.format(ticket=ticket.id))
    )
    if query.message is not None and query.message.chat.id == services.settings.support_chat_id:
        await send_reply(
            context.bot,
            services.settings.support_chat_id,
            Reply(texts.SUPPORT_CLOSED_BY.format(ticket=ticket.id)),
        )


async def _citizen_ends(update: Update, context: ContextTypes.DEFAULT_TYPE, raw: str) -> None:
    query = update.callback_query
    services = services_of(context)
    chat_id = update.effective_chat.id
    now = services.clock()

    def work(session):
        ticket = tickets.open_ticket_of(session, chat_id)
        if ticket is None or str(ticket.id) != raw:
            return None
        return tickets.close_ticket(session, ticket.id, by=None, now=now)

    ticket = await run_in_session(services.engine, work)
    if ticket is None:
        await query.answer(texts.TICKET_ALREADY_CLOSED)
        return
    await query.answer()
    await send_reply(context.bot, chat_id, Reply(texts.HANDOFF_ENDED.format(ticket=ticket.id)))
    await send_reply(
        context.bot,
        services.settings.support_chat_id,
        Reply(texts.SUPPORT_CITIZEN_ENDED.format(ticket=ticket.id)),
    )


def register(application: Application, support_chat_id: int | None) -> None:
    """Handlers of the handoff; the group's replies come before ordinary text handling."""
    add = application.add_handler
    # /canbo itself is registered by bot/telegram/areas.py (admins manage officials with it).
    add(CommandHandler("gapcanbo", canbo_command, filters=filters.ChatType.PRIVATE))
    add(CommandHandler(["tickets", "yeucau"], tickets_command))
    add(CallbackQueryHandler(on_handoff_button, pattern=callbacks.HANDOFF))
    add(CallbackQueryHandler(on_ticket_button, pattern=callbacks.TICKET))
    if support_chat_id is not None:
        add(
            MessageHandler(
                filters.Chat(support_chat_id) & filters.REPLY & ~filters.COMMAND,
                on_support_reply,
            )
        )
