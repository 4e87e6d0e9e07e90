"""bot.rate_budget: metering, the budget, the pacer's hook; the replicaload table across an outage."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from sqlalchemy import text
from telegram import Bot

from bot import metrics
from bot.broadcast.pacing import Pacer
from bot.db import create_db_engine, in_session, retry_while_unavailable, upgrade_database
from bot.rate_budget import (
    CountingRequest,
    RateBudget,
    RateMeter,
    counted_method,
)
from bot.storage.replica_load import publish_and_read

from telegram_standin import BotApiStandin

NOON = datetime(2026, 12, 2, 5, 0)  # naive UTC, as stored


class FakeTime:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def test_counted_methods_are_the_ones_that_put_messages_into_chats() -> None:
    base = "http://127.0.0.1:1/bot123:abc/"
    for method in ("sendMessage", "sendPhoto", "copyMessage", "forwardMessages", "editMessageText"):
        assert counted_method(base + method), method
    for method in ("answerCallbackQuery", "sendChatAction", "getMe", "setWebhook", "getUpdates"):
        assert not counted_method(base + method), method


def test_meter_reports_the_busiest_recent_second() -> None:
    clock = FakeTime()
    meter = RateMeter(window=3, now=clock)
    assert meter.rate() == 0
    for _ in range(5):
        meter.add()
    clock.now += 1.0
    meter.add()
    assert meter.rate() == 5  # the burst counts as a burst, not as an average
    clock.now += 3.0
    assert meter.rate() == 1
    clock.now += 1.0
    assert meter.rate() == 0


def test_budget_leaves_room_for_the_replicas_and_keeps_a_floor() -> None:
    budget = RateBudget(max_rate=27, global_limit=30, margin=4, floor=3)
    assert budget.current() == 26  # alone: the limit minus the margin
    budget.update(2.0)
    assert budget.current() == 24
    budget.update(40.0)
    assert budget.current() == 3  # never below the floor
    relaxed = RateBudget(max_rate=10, global_limit=30, margin=4, floor=3)
    relaxed.update(5.0)
    assert relaxed.current() == 10  # never above BROADCAST_RATE_PER_SECOND


def test_pacer_asks_the_budget_once_a_second() -> None:
    clock = FakeTime()
    asked: list[float] = []
    budget = [20.0]

    def rate_budget() -> float:
        asked.append(clock.now)
        return budget[0]

    pacer = Pacer(27, 1.0, now=clock, rate_budget=rate_budget)
    assert pacer.try_take() == 0
    assert pacer.rate == 20
    budget[0] = 5.0
    clock.now += 0.5
    pacer.try_take()
    assert len(asked) == 1 and pacer.rate == 20  # not asked again within the second
    clock.now += 0.6
    pacer.try_take()
    assert len(asked) == 2 and pacer.rate == 5
    # at 5/s, one second yields at most 5 (+1 burst) tokens
    taken = 0
    start = clock.now
    while clock.now < start + 1.0:
        if pacer.try_take() == 0:
            taken += 1
        clock.now += 0.01
    assert taken <= 6


async def test_counting_request_meters_messages_and_counts_429(standin: BotApiStandin) -> None:
    meter = RateMeter()
    bot = Bot(standin.token, base_url=standin.base_url, request=CountingRequest(meter))
    before = metrics.REGISTRY.get_sample_value("dcbot_telegram_429_total") or 0.0
    async with bot:
        await bot.send_message(5, "một")
        await bot.send_chat_action(5, "typing")
        await bot.send_message(6, "hai")
        standin.fail_next("sendMessage", 429, retry_after=1)
        with pytest.raises(Exception, match="Flood|retry"):
            await bot.send_message(7, "ba")
    assert meter.rate() == 3  # two sent, one refused: all three used the budget
    assert metrics.REGISTRY.get_sample_value("dcbot_telegram_429_total") == before + 1


async def test_a_write_retried_across_a_database_outage_lands(private_cluster) -> None:
    engine = create_db_engine(private_cluster.url)
    upgrade_database(engine)
    private_cluster.stop("fast")

    def write() -> None:
        in_session(engine, publish_and_read, replica_id="x", rate=7, now=NOON, fresh_seconds=5)

    task = asyncio.create_task(retry_while_unavailable(write, first_delay=0.1, max_delay=0.5))
    await asyncio.sleep(1.5)
    assert not task.done()  # still retrying while the database is down
    await asyncio.to_thread(private_cluster.start)
    await asyncio.wait_for(task, 30)
    total = in_session(engine, publish_and_read, replica_id="y", rate=0, now=NOON, fresh_seconds=5)
    assert total == 7
    engine.dispose()


async def test_a_programming_error_is_not_retried(engine) -> None:
    def broken() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT no_such_column FROM replicaload"))

    with pytest.raises(Exception, match="no_such_column"):
        await asyncio.wait_for(retry_while_unavailable(broken), 10)
