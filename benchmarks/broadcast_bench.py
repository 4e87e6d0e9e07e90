"""Broadcast benchmark: N subscribers through OutboxSender against the Bot API stand-in.

    python benchmarks/broadcast_bench.py [--subscribers 5000] [--databases sqlite,postgresql]

The stand-in enforces Telegram's limits (30 messages/s overall, 1/s per chat) and answers 429
beyond them. Prints, per database: time to queue the campaign, sustained msgs/s, 429 count,
duration. PostgreSQL uses a throwaway database on TEST_POSTGRES_URL (skipped if unreachable).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

from sqlalchemy import create_engine, insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from telegram import Bot

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from bot.broadcast.sender import OutboxSender  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.db import (  # noqa: E402
    create_db_engine,
    in_session,  # noqa: E402
    upgrade_database,
)
from bot.models import Subscription, Topic, User, utc_now  # noqa: E402
from bot.storage.campaigns import campaign_report, create_campaign  # noqa: E402

from telegram_standin import BotApiStandin  # noqa: E402

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def seed(engine, count: int) -> list[int]:
    chats = list(range(100_000, 100_000 + count))
    now = utc_now()
    with engine.begin() as connection:
        connection.execute(
            insert(User),
            [{"chat_id": c, "first_name": "", "first_seen": now, "last_seen": now} for c in chats],
        )
        connection.execute(
            insert(Subscription),
            [{"chat_id": c, "topic": Topic.ANNOUNCEMENTS.value, "created_at": now} for c in chats],
        )
    return chats


async def run_once(database_url: str, subscribers: int) -> dict:
    engine = create_db_engine(database_url)
    try:
        upgrade_database(engine)
        chats = seed(engine, subscribers)
        started = time.perf_counter()
        campaign = in_session(
            engine,
            create_campaign,
            topic=Topic.ANNOUNCEMENTS,
            text="<b>Thông báo</b> thử tải",
            created_by=1,
        )
        queue_seconds = time.perf_counter() - started

        async with BotApiStandin() as standin:
            standin.global_rate_limit = 30
            standin.per_chat_rate_limit = 1
            async with Bot(standin.token, base_url=standin.base_url) as bot:
                sender = OutboxSender(engine, bot, Settings(_env_file=None))
                await sender.run_until_idle()
            calls = standin.calls_to("sendMessage")
            counts = Counter(m["chat_id"] for m in standin.sent_messages)

        report = in_session(engine, campaign_report, campaign.id)
        ok_times = sorted(c.time for c in calls if c.ok)
        span = ok_times[-1] - ok_times[0] if len(ok_times) > 1 else 0.0
        return {
            "queue_seconds": queue_seconds,
            "sent": report.sent,
            "msgs_per_second": (len(ok_times) - 1) / span if span else 0.0,
            "flood_429": sum(1 for c in calls if c.error_code == 429),
            "duration": report.duration.total_seconds(),
            "exactly_once": set(counts) == set(chats) and set(counts.values()) == {1},
        }
    finally:
        engine.dispose()


async def bench_sqlite(subscribers: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        return await run_once(f"sqlite:///{folder}/bench.sqlite3", subscribers)


async def bench_postgresql(subscribers: int) -> dict | str:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"dcbot_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except OperationalError as error:
        admin.dispose()
        return f"skipped: PostgreSQL not reachable ({error.orig})"
    try:
        url = make_url(POSTGRES_ADMIN_URL).set(database=name)
        return await run_once(url.render_as_string(hide_password=False), subscribers)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=5000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    benches = {"sqlite": bench_sqlite, "postgresql": bench_postgresql}
    for name in args.databases.split(","):
        result = await benches[name](args.subscribers)
        if isinstance(result, str):
            print(f"{name:<10} {result}")
            continue
        print(
            f"{name:<10} subscribers={args.subscribers} queued in {result['queue_seconds']:.2f}s  "
            f"sent={result['sent']}  sustained={result['msgs_per_second']:.2f} msgs/s  "
            f"429s={result['flood_429']}  duration={result['duration']:.1f}s  "
            f"exactly_once={result['exactly_once']}",
            flush=True,
        )


if __name__ == "__main__":
    asyncio.run(main())
