"""Reply latency through the Bot API stand-in: idle, and while a broadcast is being sent.

Run: python benchmarks/reply_latency_bench.py [--questions 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from bot.db import in_session  # noqa: E402
from bot.models import Topic  # noqa: E402
from bot.storage import citizens  # noqa: E402
from bot.storage.campaigns import create_campaign  # noqa: E402

from bot_harness import make_settings, running_bot  # noqa: E402
from telegram_standin import BotApiStandin  # noqa: E402

QUESTIONS = [
    "lam sao dang ky vneid muc 2",
    "quên mk dịch vụ công thì làm sao",
    "thanh toan tien dien bang qr",
    "co nguoi goi tu xung cong an bat chuyen tien",
    "cach dong goi hang gui di xa",
    "thoi tiet hom nay the nao",
]


async def measure(
    standin: BotApiStandin, count: int, first_chat: int, gap: float = 0.0
) -> list[float]:
    """Questions from distinct citizens, one every `gap` seconds (after the previous reply)."""
    latencies = []
    for number in range(count):
        await asyncio.sleep(gap)
        chat_id = first_chat + number
        start = time.perf_counter()
        standin.push_text(chat_id, QUESTIONS[number % len(QUESTIONS)])
        await standin.wait_for_messages(chat_id, 1, timeout=10)
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def describe(name: str, latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return (
        f"| {name} | {len(latencies)} | {statistics.median(ordered):.1f} | {p95:.1f} "
        f"| {ordered[-1]:.1f} |"
    )


async def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        standin = BotApiStandin()
        await standin.start()
        settings = make_settings(standin, Path(tmp), faq_dir=ROOT / "faq")
        async with running_bot(settings) as application:
            idle = await measure(standin, count, 100_000)
            engine = application.bot_data["services"].engine
            standin.global_rate_limit = 30
            standin.per_chat_rate_limit = 1
            for chat_id in range(200_000, 201_000):
                in_session(engine, citizens.touch_user, chat_id, "An")
                in_session(engine, citizens.subscribe, chat_id, Topic.ANNOUNCEMENTS)
            in_session(
                engine,
                create_campaign,
                topic=Topic.ANNOUNCEMENTS,
                text="Thông báo",
                created_by=None,
            )
            application.bot_data["services"].sender.wake()
            await standin.wait_for(
                lambda s: sum(1 for m in s.sent_messages if m["chat_id"] >= 200_000) > 50,
                timeout=20,
            )
            busy = await measure(standin, max(count // 5, 20), 300_000, gap=0.5)
            sent = sum(1 for m in standin.sent_messages if m["chat_id"] >= 200_000)
        await standin.stop()
    print("| condition | replies | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|")
    print(describe("idle", idle))
    print(describe("2 questions/s during a 1,000-chat broadcast at 27 msg/s", busy))
    print(f"\nbroadcast messages sent while measuring: {sent}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=200)
    asyncio.run(main(parser.parse_args().questions))
