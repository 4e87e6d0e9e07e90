"""Admin handlers: statistics, and telling admins when an FAQ edit is rejected."""

from __future__ import annotations

import logging

from telegram import Bot, Update
from telegram.ext import ContextTypes

from bot.db import run_in_session
from bot.insight import Stats, question_stats
from bot.replies import Reply
from bot.telegram.messaging import send_reply
from bot.telegram.services import services_of
from bot.telegram_html import escape
from bot.texts import admins as texts
from bot.yaml_files import FileProblem

log = logging.getLogger(__name__)
MAX_PROBLEMS_SHOWN = 15


def stats_text(stats: Stats) -> str:
    lines = [
        texts.STATS_TITLE,
        texts.STATS_VOLUME.format(today=stats.today, week=stats.week),
        texts.STATS_OUTCOMES.format(
            answered=stats.answered_pct, suggest=stats.suggest_pct, none=stats.none_pct
        ),
    ]
    if stats.top_unanswered:
        lines += ["", texts.STATS_TOP_UNANSWERED]
        lines += [
            texts.STATS_UNANSWERED_ROW.format(
                rank=n, question=escape(g.representative[:120]), count=g.count
            )
            for n, g in enumerate(stats.top_unanswered, start=1)
        ]
    if stats.feedback:
        lines += ["", texts.STATS_FEEDBACK]
        lines += [
            f"<code>{escape(f.entry_id)}</code>: {f.ups}/{f.downs}" for f in stats.feedback[:10]
        ]
    return "\n".join(lines)


async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/thongke for admins."""
    services = services_of(context)
    user = update.effective_user
    chat_id = update.effective_chat.id
    if not services.settings.is_admin(user.id if user else None):
        await send_reply(context.bot, chat_id, Reply(texts.NO_PERMISSION))
        return
    stats = await run_in_session(
        services.engine, question_stats, services.clock(), services.settings.tz
    )
    await send_reply(context.bot, chat_id, Reply(stats_text(stats)))


def problems_text(title: str, problems: list[FileProblem]) -> str:
    shown = [f"• {escape(str(p))}" for p in problems[:MAX_PROBLEMS_SHOWN]]
    more = len(problems) - len(shown)
    if more > 0:
        shown.append(texts.MORE_PROBLEMS.format(count=more))
    return f"⚠️ <b>{escape(title)}</b>\n" + "\n".join(shown)


async def notify_admins(bot: Bot, admin_ids: list[int], text: str) -> None:
    """Best effort: an admin who blocked the bot must not stop the others from hearing."""
    for admin_id in admin_ids:
        try:
            await send_reply(bot, admin_id, Reply(text))
        except Exception:
            log.warning("could not notify admin %s", admin_id, exc_info=True)
