"""`dcbot run` as a service: health endpoints and metrics, and one poller per database."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import aiohttp

from telegram_standin import BotApiStandin

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from test_bot_process import bot_env, free_port, start_bot  # noqa: E402


async def get(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with session.get(url) as response:
        return response.status, await response.text()


async def wait_until_up(url: str, timeout: float = 30.0) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(int(timeout * 10)):
            try:
                if (await get(session, url))[0] == 200:
                    return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never answered 200")


async def test_health_metrics_and_a_second_poller_is_refused(
    standin: BotApiStandin, tmp_path: Path
) -> None:
    port = free_port()
    env = bot_env(standin, tmp_path, HEALTH_PORT=str(port), HEALTH_HOST="127.0.0.1")
    bot = await start_bot(env, tmp_path / "bot.log")
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_until_up(f"{base}/healthz")
        standin.push_text(42, "lam sao dang ky tk dvc")
        await standin.wait_for_messages(42, 1, timeout=15)
        async with aiohttp.ClientSession() as session:
            status, body = await get(session, f"{base}/readyz")
            assert status == 200, body
            status, text = await get(session, f"{base}/metrics")
        assert status == 200
        assert 'dcbot_questions_total{decision="answer"} 1.0' in text
        assert "dcbot_reply_latency_seconds_count 1.0" in text
        assert "dcbot_leader 1.0" in text

        # Telegram gives updates to one poller only: a second one on the same database stops.
        second = await start_bot(env | {"HEALTH_PORT": "0"}, tmp_path / "second.log")
        assert await asyncio.wait_for(second.wait(), timeout=30) == 1
        assert "đang chạy" in (tmp_path / "second.log").read_text(encoding="utf-8")
    finally:
        bot.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(bot.wait(), timeout=30) == 0
