"""`dcbot run` as a real process: SIGKILL mid-broadcast and restart, webhook mode, SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections import Counter
from pathlib import Path

import aiohttp

from bot.db import create_db_engine, in_session, upgrade_database
from bot.models import Topic
from bot.storage import citizens
from bot.storage.campaigns import campaign_report, create_campaign

from bot_harness import write_test_faq
from telegram_standin import BotApiStandin

ROOT = Path(__file__).resolve().parents[2]
SUBSCRIBERS = range(20_000, 20_300)


def bot_env(standin: BotApiStandin, tmp_path: Path, **extra: str) -> dict[str, str]:
    write_test_faq(tmp_path / "faq")
    (tmp_path / "schedules").mkdir(exist_ok=True)
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": standin.token,
        "TELEGRAM_BASE_URL": standin.base_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        "FAQ_DIR": str(tmp_path / "faq"),
        "SCHEDULES_DIR": str(tmp_path / "schedules"),
        "LOG_LEVEL": "INFO",
    }
    env.update(extra)
    return env


async def start_bot(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=ROOT,
        stdout=log.open("ab"), stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip


def queued_campaign(env: dict, text: str):
    """The bot's database with every subscriber in it and one announcement queued to them."""
    engine = create_db_engine(env["DATABASE_URL"])
    upgrade_database(engine)
    for chat_id in SUBSCRIBERS:
        in_session(engine, citizens.touch_user, chat_id, "An")
        in_session(engine, citizens.subscribe, chat_id, Topic.ANNOUNCEMENTS)
    campaign = in_session(
        engine, create_campaign, topic=Topic.ANNOUNCEMENTS, text=text, created_by=None
    )
    return engine, campaign


def delivered(standin: BotApiStandin) -> Counter:
    return Counter(m["chat_id"] for m in standin.sent_messages if m["chat_id"] in SUBSCRIBERS)


async def test_sigkill_mid_broadcast_then_restart_sends_each_chat_at_most_once(
    standin: BotApiStandin, tmp_path: Path
) -> None:
    env = bot_env(standin, tmp_path)
    engine, campaign = queued_campaign(env, "Thông báo")
    standin.global_rate_limit = 30
    log = tmp_path / "bot.log"

    first = await start_bot(env, log)
    await standin.wait_for(lambda s: len(delivered(s)) >= 80, timeout=30)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    at_kill = len(delivered(standin))
    assert at_kill < len(SUBSCRIBERS)

    second = await start_bot(env, log)
    try:
        await standin.wait_for(
            lambda s: in_session(engine, campaign_report, campaign.id).pending == 0, timeout=60
        )
    finally:
        second.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(second.wait(), 30)
    assert code == 0  # SIGTERM stops cleanly
    copies = delivered(standin)
    assert max(copies.values()) == 1, "a chat got the broadcast twice"
    missing = len(SUBSCRIBERS) - len(copies)
    assert missing <= 2, f"{missing} chats lost"
    report = in_session(engine, campaign_report, campaign.id)
    # a message in flight at the kill may have reached Telegram: it counts as failed, never resent
    assert report.sent + report.failed == len(SUBSCRIBERS) and report.failed <= 2
    assert report.sent <= len(copies) <= report.sent + report.failed
    assert [c for c in standin.rejected_calls() if c.error_code == 429] == []
    output = log.read_text(encoding="utf-8", errors="replace")
    assert standin.token not in output and "Traceback" not in output
    engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_webhook_mode_checks_the_secret_and_answers(
    standin: BotApiStandin, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    env = bot_env(
        standin, tmp_path,
        WEBHOOK_URL=url, WEBHOOK_SECRET="s3cret-token", WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port), WEBHOOK_PATH="telegram",
    )  # fmt: skip
    log = tmp_path / "bot.log"
    process = await start_bot(env, log)
    try:
        await standin.wait_for(lambda s: s.webhook is not None, timeout=30)
        assert standin.webhook["url"] == url
        assert standin.webhook["secret_token"] == "s3cret-token"
        standin.push_text(31, "lam sao dang ky tk dvc")
        [answer] = await standin.wait_for_messages(31, 1, timeout=10)
        assert "dichvucong.gov.vn" in answer["text"]
        async with aiohttp.ClientSession() as session:
            forged = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 32, "type": "private"}, "text": "hi"}}  # fmt: skip
            async with session.post(url, json=forged) as response:
                assert response.status == 403
            async with session.post(
                url, json=forged, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            ) as response:
                assert response.status == 403
        assert standin.messages_to(32) == []
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 30)
    assert code == 0
    assert standin.token not in log.read_text(encoding="utf-8", errors="replace")


async def test_sigkill_mid_recall_then_restart_deletes_every_copy_once(
    standin: BotApiStandin, tmp_path: Path
) -> None:
    from bot.clock import utc_now
    from bot.storage import actions

    env = bot_env(standin, tmp_path)
    engine, campaign = queued_campaign(env, "Tin nhầm")
    standin.global_rate_limit = 30
    log = tmp_path / "bot.log"

    def deleted(s: BotApiStandin) -> Counter:
        return Counter(
            (c.params["chat_id"], c.params["message_id"])
            for c in s.calls_to("deleteMessage")
            if c.ok
        )

    first = await start_bot(env, log)
    await standin.wait_for(
        lambda s: in_session(engine, campaign_report, campaign.id).finished_at is not None,
        timeout=60,
    )
    sent = in_session(engine, campaign_report, campaign.id).sent
    action_id = in_session(
        engine, actions.queue_recall, campaign.id, created_by=None, now=utc_now()
    )
    await standin.wait_for(lambda s: len(deleted(s)) >= 80, timeout=30)  # the worker polls
    first.send_signal(signal.SIGKILL)
    await first.wait()
    assert len(deleted(standin)) < sent

    second = await start_bot(env, log)
    try:
        await standin.wait_for(
            lambda s: in_session(engine, actions.action_report, action_id).status == "done",
            timeout=60,
        )
    finally:
        second.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(second.wait(), 30)
    assert code == 0
    counts = deleted(standin)
    assert len(counts) == sent and max(counts.values()) == 1, "a copy deleted twice or left"
    assert all(standin.messages_to(chat_id) == [] for chat_id in SUBSCRIBERS)
    report = in_session(engine, actions.action_report, action_id)
    assert report.done == sent and report.failed == report.gone == report.too_old == 0
    assert [c for c in standin.rejected_calls() if c.method == "deleteMessage"] == []
    engine.dispose()
