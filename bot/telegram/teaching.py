"""/hoc: admins teach the FAQ from the questions citizens really asked, one at a time.

Callback data: `hoc:v:<key>:<n>` (add as a variant of candidate n), `hoc:n:<key>` (new
entry: pick a category), `hoc:c:<key>:<n>` (category n), `hoc:s:<key>` (skip). The answer of a
new entry is an official's reply to the citizen's ticket when there is one, else typed here.
"""

from __future__ import annotations

import contextlib
import logging
import warnings

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot import callbacks
from bot.db import run_in_session
from bot.faq_admin.edit_outcomes import FaqEditError
from bot.faq_admin.teaching import (
    NEW_ENTRY_LABEL,
    SKIP_LABEL,
    teach_new_entry,
    teach_skip,
    teach_variant,
)
from bot.faq_admin.teaching_queue import TeachItem, describe_item, find_question, pending_questions
from bot.replies import Button, Reply, categories
from bot.storage import tickets
from bot.storage.faq_changes import Actor, QuestionAlreadyHandled
from bot.telegram.messaging import send_reply
from bot.telegram.services import BotContext, Services
from bot.telegram_html import escape
from bot.texts import teaching as texts

log = logging.getLogger(__name__)
TYPING_ANSWER = 1
PENDING_KEY = "hoc_new_entry"  # user_data: (question key, category) while the admin types


def _actor(update: Update) -> Actor:
    user = update.effective_user
    name = " ".join(p for p in (user.first_name, user.last_name) if p) if user else ""
    return Actor(name=name or "admin", id=user.id if user else None)


def _answer_for(session):
    """An official's reply to a ticket with this very question, as the new entry's answer."""
    return lambda item: tickets.official_answer_to(session, [item.text, *item.examples])


def _queue(session, services: Services) -> list[TeachItem]:
    return pending_questions(
        session, services.matcher, now=services.clock(), answer_for=_answer_for(session)
    )


def _find(session, services: Services, key: str) -> TeachItem | None:
    return find_question(
        session, services.matcher, key, now=services.clock(), answer_for=_answer_for(session)
    )


def _item_reply(services: Services, item: TeachItem, left: int) -> Reply:
    lines = describe_item(item, services.matcher, services.settings.zone)
    body = texts.TEACH_INTRO.format(left=left) + "\n".join(escape(line) for line in lines)
    rows = [
        (Button(choice.label(), callbacks.teach_variant(item.key, n)),)
        for n, choice in enumerate(item.candidates)
    ]
    rows.append(
        (
            Button(NEW_ENTRY_LABEL, callbacks.teach_new(item.key)),
            Button(SKIP_LABEL, callbacks.teach_skip(item.key)),
        )
    )
    return Reply(body + texts.TEACH_HOW, tuple(rows))


async def _show_next(context: BotContext, chat_id: int) -> None:
    services = context.services
    queue = await run_in_session(services.engine, _queue, services)
    if not queue:
        await send_reply(context.bot, chat_id, Reply(texts.TEACH_EMPTY))
        return
    await send_reply(context.bot, chat_id, _item_reply(services, queue[0], len(queue)))


def _is_admin(update: Update, context: BotContext) -> bool:
    user = update.effective_user
    return context.services.settings.is_admin(user.id if user else None)


async def teach_command(update: Update, context: BotContext) -> None:
    """/hoc: the most frequent question the bot could not answer, with what to do about it."""
    if not _is_admin(update, context):
        await send_reply(context.bot, update.effective_chat.id, Reply(texts.TEACH_ADMINS_ONLY))
        return
    await _show_next(context, update.effective_chat.id)


async def on_teach_button(update: Update, context: BotContext) -> int | None:
    """➕ / 🆕 / Bỏ qua / a category under a /hoc question."""
    query = update.callback_query
    if not _is_admin(update, context):
        await query.answer(texts.TEACH_ADMINS_ONLY, show_alert=True)
        return ConversationHandler.END
    services = context.services
    chat_id = update.effective_chat.id
    _, action, key, *rest = (query.data or "hoc:?:").split(":") + [""]
    item = await run_in_session(services.engine, _find, services, key)
    if item is None:
        await query.answer(texts.TEACH_GONE, show_alert=True)
        return ConversationHandler.END
    await query.answer()
    if action == "n":
        names = [name for _, name in categories(services.matcher.book)]
        rows = tuple(
            (Button(name, callbacks.teach_category(key, n)),) for n, name in enumerate(names)
        )
        await send_reply(context.bot, chat_id, Reply(texts.TEACH_PICK_CATEGORY, rows))
        return ConversationHandler.END
    if action == "c":
        names = [name for _, name in categories(services.matcher.book)]
        index = int(rest[0]) if rest and rest[0].isdigit() else -1
        if not 0 <= index < len(names):
            await send_reply(context.bot, chat_id, Reply(texts.TEACH_GONE))
            return ConversationHandler.END
        if item.suggested_answer:  # an official already answered this citizen
            await _new_entry(update, context, item, names[index], item.suggested_answer, False)
            return ConversationHandler.END
        context.user_data[PENDING_KEY] = (key, names[index])
        text = texts.TEACH_TYPE_ANSWER.format(text=escape(item.text))
        await send_reply(context.bot, chat_id, Reply(text))
        return TYPING_ANSWER
    actor, now = _actor(update), services.clock()
    if action == "v" and rest and rest[0].isdigit() and int(rest[0]) < len(item.candidates):
        choice = item.candidates[int(rest[0])]
        outcome = await _edit(
            update, context, teach_variant, item, choice.entry_id, actor=actor, now=now
        )
        if outcome is not None:
            done = texts.TEACH_VARIANT_DONE.format(
                text=escape(item.text), question=escape(choice.question), file=outcome.file
            )
            await send_reply(context.bot, chat_id, Reply(done))
    elif action == "s":
        await run_in_session(services.engine, _skip, item, actor, now)
        await send_reply(context.bot, chat_id, Reply(texts.TEACH_SKIPPED))
    await _show_next(context, chat_id)
    return ConversationHandler.END


def _skip(session, item: TeachItem, actor: Actor, now) -> None:
    with contextlib.suppress(QuestionAlreadyHandled):  # another admin skipped it first
        teach_skip(session, item, actor=actor, now=now)


async def on_typed_answer(update: Update, context: BotContext) -> int:
    """The admin's answer for the new entry."""
    key, category = context.user_data.pop(PENDING_KEY, (None, None))
    services = context.services
    item = await run_in_session(services.engine, _find, services, key) if key else None
    if item is None:
        await send_reply(context.bot, update.effective_chat.id, Reply(texts.TEACH_GONE))
        return ConversationHandler.END
    await _new_entry(update, context, item, category, update.effective_message.text_html, True)
    return ConversationHandler.END


async def _new_entry(
    update: Update, context: BotContext, item: TeachItem, category: str, answer: str, html: bool
) -> None:
    services = context.services
    outcome = await _edit(
        update,
        context,
        teach_new_entry,
        item,
        category=category,
        answer=answer,
        answer_is_html=html,
        actor=_actor(update),
        now=services.clock(),
    )
    if outcome is not None:
        done = texts.TEACH_NEW_DONE.format(entry=escape(outcome.entry_id), file=outcome.file)
        await send_reply(context.bot, update.effective_chat.id, Reply(done))
    await _show_next(context, update.effective_chat.id)


async def _edit(update: Update, context: BotContext, teach, item: TeachItem, *args, **kwargs):
    """Write the FAQ edit with its audit row, then make the running bot use it at once."""
    services = context.services
    faq_dir = services.faq.directory
    try:
        outcome = await run_in_session(
            services.engine, teach, faq_dir, item, *args, verify=False, **kwargs
        )
    except QuestionAlreadyHandled:
        await send_reply(context.bot, update.effective_chat.id, Reply(texts.TEACH_GONE))
        return None
    except FaqEditError as error:
        reason = escape(str(error))
        await send_reply(
            context.bot, update.effective_chat.id, Reply(texts.TEACH_FAILED.format(reason=reason))
        )
        return None
    await services.faq.reload()
    return outcome


async def cancel_typing(update: Update, context: BotContext) -> int:
    context.user_data.pop(PENDING_KEY, None)
    await send_reply(context.bot, update.effective_chat.id, Reply(texts.TEACH_CANCELLED))
    return ConversationHandler.END


def register(application: Application) -> None:
    application.add_handler(CommandHandler(["hoc", "teach"], teach_command))
    # The buttons that enter the conversation are per user and chat, not per message: intended.
    warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
    application.add_handler(
        ConversationHandler(
            entry_points=[CallbackQueryHandler(on_teach_button, pattern=callbacks.TEACH)],
            states={
                TYPING_ANSWER: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND, on_typed_answer),
                ]
            },
            fallbacks=[CommandHandler("huyhoc", cancel_typing)],
            per_message=False,
            allow_reentry=True,
        )
    )
