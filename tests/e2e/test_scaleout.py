"""Three `dcbot run` replicas in webhook mode behind a round-robin proxy, on one PostgreSQL.

The stand-in enforces Telegram's limits (30 messages/s per bot, 1/s per chat) and delivers
updates by webhook to the proxy. Each test is a real multi-process scenario (marked slow).
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine, make_url

from bot.db import create_db_engine, in_session, upgrade_database
from bot.leadership.election import LeaderElection
from bot.models import Topic
from bot.storage.campaigns import campaign_report, create_campaign

from pg_cluster import POSTGRES_ADMIN_URL, PrivateCluster
from replicas import (
    QUESTION,
    ROOT,
    SECRET,
    Citizens,
    Deployment,
    Replica,
    answered,
    delivered,
    deployment,
    free_port,
    rate_limited,
    replica_env,
    seed_subscribers,
)
from telegram_standin import BotApiStandin
from webhook_proxy import RoundRobinProxy

pytestmark = pytest.mark.slow

TEXT = "Thông báo: lịch tiếp công dân tuần này"


@pytest.fixture
def pg_url(postgres_admin: Engine) -> Iterator[str]:
    """A throwaway database on the shared PostgreSQL server."""
    name = f"dcbot_scale_{uuid.uuid4().hex[:10]}"
    with postgres_admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with postgres_admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def telegram_limits(standin: BotApiStandin) -> None:
    standin.global_rate_limit = 30
    standin.per_chat_rate_limit = 1


def prepared(url: str, subscribers: range, blocked: set[int]) -> Engine:
    engine = create_db_engine(url)
    upgrade_database(engine)
    seed_subscribers(engine, subscribers, Topic.ANNOUNCEMENTS)
    return engine


def check_broadcast(standin, engine, campaign_id, subscribers, blocked, max_lost):
    copies = delivered(standin, subscribers)
    assert copies and max(copies.values()) == 1, "a chat got the broadcast twice"
    reachable = set(subscribers) - blocked
    lost = len(reachable - set(copies))
    assert lost <= max_lost, f"{lost} reachable subscribers never got the broadcast"
    report = in_session(engine, campaign_report, campaign_id)
    assert report.pending == 0 and report.unreachable == len(blocked)
    assert report.sent + report.failed == len(reachable) and report.failed <= max_lost
    assert report.sent <= len(copies) <= report.sent + report.failed
    return lost


async def test_three_replicas_answer_everyone_and_broadcast_without_429(
    standin: BotApiStandin, tmp_path: Path, pg_url: str, record_property
) -> None:
    subscribers = range(100_000, 100_900)
    blocked = set(range(100_000, 100_900, 90))  # 10 blocked the bot
    standin.blocked_chats |= blocked
    telegram_limits(standin)
    engine = prepared(pg_url, subscribers, blocked)
    async with deployment(standin, tmp_path, pg_url) as deployed:
        leader = await deployed.wait_for_one_leader()
        webhook_sets = len(standin.calls_to("setWebhook"))
        citizens = Citizens(standin, 500_000, per_second=3)
        citizens.start()
        await asyncio.sleep(2)  # citizens' traffic is under way before the broadcast
        loop = asyncio.get_running_loop()
        campaign = in_session(
            engine, create_campaign, topic=Topic.ANNOUNCEMENTS, text=TEXT, created_by=None
        )
        started = loop.time()
        try:
            await standin.wait_for(
                lambda s: in_session(engine, campaign_report, campaign.id).pending == 0, timeout=80
            )
        finally:
            await citizens.stop()
        took = loop.time() - started
        await citizens.wait_all_answered()
        metrics = await deployed.metrics(leader)
        served = {name: count for name, count in deployed.proxy.forwarded.items()}
    lost = check_broadcast(standin, engine, campaign.id, subscribers, blocked, max_lost=0)
    assert rate_limited(standin) == [], deployed.logs()
    assert len(citizens.asked) >= 100
    # Only the leader registered the webhook, once; nobody deleted it.
    assert webhook_sets == 1 and standin.calls_to("deleteWebhook") == []
    assert len(served) == 3, served  # every replica answered updates
    record_property("broadcast_seconds", round(took, 1))
    record_property("broadcast_rate", round(len(subscribers) / took, 1))
    record_property("questions", len(citizens.asked))
    record_property("lost", lost)
    record_property("leader_budget", metrics.get(("dcbot_outbox_rate_budget", ())))
    engine.dispose()


async def test_kill_9_of_the_leader_mid_broadcast(
    standin: BotApiStandin, tmp_path: Path, pg_url: str, record_property
) -> None:
    subscribers = range(200_000, 200_900)
    telegram_limits(standin)
    engine = prepared(pg_url, subscribers, set())
    async with deployment(standin, tmp_path, pg_url) as deployed:
        leader = await deployed.wait_for_one_leader()
        campaign = in_session(
            engine, create_campaign, topic=Topic.ANNOUNCEMENTS, text=TEXT, created_by=None
        )
        await standin.wait_for(lambda s: len(delivered(s, subscribers)) >= 300, timeout=40)
        await deployed.kill(leader)
        loop = asyncio.get_running_loop()
        killed_at = loop.time()
        at_kill = len(delivered(standin, subscribers))
        # Another replica takes over and sends again within 10 s.
        await standin.wait_for(lambda s: len(delivered(s, subscribers)) >= at_kill + 10, timeout=10)
        resumed = loop.time() - killed_at
        successor = await deployed.wait_for_one_leader(timeout=5)
        assert successor is not leader
        citizens = Citizens(standin, 600_000, per_second=3)
        for _ in range(5):  # at 3 questions/s, as in the other scenarios (not a burst of 5)
            citizens.ask()
            await asyncio.sleep(citizens.interval)
        await standin.wait_for(
            lambda s: in_session(engine, campaign_report, campaign.id).pending == 0, timeout=60
        )
        await citizens.wait_all_answered()
    lost = check_broadcast(standin, engine, campaign.id, subscribers, set(), max_lost=2)
    assert rate_limited(standin) == []
    record_property("resumed_after_kill_seconds", round(resumed, 2))
    record_property("lost", lost)
    engine.dispose()


async def test_database_outage_mid_broadcast(
    standin: BotApiStandin, tmp_path: Path, private_cluster: PrivateCluster, record_property
) -> None:
    subscribers = range(300_000, 300_600)
    telegram_limits(standin)
    url = private_cluster.url
    engine = prepared(url, subscribers, set())
    async with deployment(standin, tmp_path, url) as deployed:
        await deployed.wait_for_one_leader()
        campaign = in_session(
            engine, create_campaign, topic=Topic.ANNOUNCEMENTS, text=TEXT, created_by=None
        )
        await standin.wait_for(lambda s: len(delivered(s, subscribers)) >= 150, timeout=40)
        engine.dispose()
        await asyncio.to_thread(private_cluster.stop, "fast")
        loop = asyncio.get_running_loop()
        stopped_at = loop.time()
        at_stop = len(delivered(standin, subscribers))
        citizens = Citizens(standin, 700_000, per_second=1)
        citizens.start()
        try:
            await deployed.wait_ready(503, timeout=10)
            await asyncio.sleep(max(0.0, 15 - (loop.time() - stopped_at)))
        finally:
            await citizens.stop()
        during = len(delivered(standin, subscribers)) - at_stop
        # Questions asked while the database was down are answered (from memory).
        await citizens.wait_all_answered(timeout=10)
        await asyncio.to_thread(private_cluster.start)
        await deployed.wait_ready(200, timeout=30)
        await standin.wait_for(
            lambda s: in_session(engine, campaign_report, campaign.id).pending == 0, timeout=60
        )
    lost = check_broadcast(standin, engine, campaign.id, subscribers, set(), max_lost=2)
    assert rate_limited(standin) == []
    assert len(citizens.asked) >= 10
    record_property("sent_during_outage", during)
    record_property("lost", lost)
    engine.dispose()


async def test_metrics_move_during_a_broadcast(
    standin: BotApiStandin, tmp_path: Path, pg_url: str
) -> None:
    subscribers = range(400_000, 400_300)
    blocked = {400_007, 400_100}
    standin.blocked_chats |= blocked
    telegram_limits(standin)
    engine = prepared(pg_url, subscribers, blocked)
    async with deployment(standin, tmp_path, pg_url, count=1) as deployed:
        [replica] = deployed.replicas
        await deployed.wait_for_one_leader()
        before = await deployed.metrics(replica)
        campaign = in_session(
            engine, create_campaign, topic=Topic.ANNOUNCEMENTS, text=TEXT, created_by=None
        )

        async def sample(predicate):
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30
            while loop.time() < deadline:
                values = await deployed.metrics(replica)
                if predicate(values):
                    return values
                await asyncio.sleep(0.2)
            raise AssertionError(f"metrics never matched: {values}")

        pending = ("dcbot_outbox_depth", (("status", "pending"),))
        sent = ("dcbot_messages_sent_total", ())
        limited = ("dcbot_telegram_429_total", ())
        unreachable = ("dcbot_unreachable_users_marked_total", ())
        mid = await sample(lambda m: m.get(pending, 0) > 0 and m[sent] > before[sent])
        standin.fail_next("sendMessage", 429, retry_after=1)  # Telegram's flood control, once
        await standin.wait_for(
            lambda s: in_session(engine, campaign_report, campaign.id).pending == 0, timeout=40
        )
        after = await sample(lambda m: m.get(pending, 0) == 0 and m[limited] > before[limited])
    assert after[sent] - before[sent] == len(subscribers) - len(blocked)
    assert mid[sent] < after[sent]
    assert after[limited] - before[limited] == 1
    assert after[unreachable] - before[unreachable] == len(blocked)
    assert after[("dcbot_leader", ())] == 1
    check_broadcast(standin, engine, campaign.id, subscribers, blocked, max_lost=0)
    engine.dispose()


async def test_only_the_leader_registers_the_webhook_and_nobody_deletes_it(
    standin: BotApiStandin, tmp_path: Path, pg_url: str
) -> None:
    setup = create_db_engine(pg_url)
    upgrade_database(setup)
    setup.dispose()
    # Another replica (here: the test) leads, so the bot starting now is a follower.
    other = LeaderElection(pg_url)
    await other.start()
    await standin.wait_for(lambda s: other.is_leader, timeout=10)
    replica = Replica("follower", free_port(), free_port(), tmp_path / "follower.log")
    proxy = await RoundRobinProxy([replica.upstream]).start()
    env = replica_env(standin, tmp_path, pg_url, proxy) | {
        "WEBHOOK_PORT": str(replica.webhook_port),
        "HEALTH_PORT": str(replica.health_port),
    }
    deployed = Deployment(standin, proxy, [replica], env)
    try:
        replica.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=ROOT, env=env,
            stdout=replica.log.open("ab"), stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        await deployed.wait_ready(200, timeout=60)
        await asyncio.sleep(3)  # more than an election round: it stays a follower
        assert await deployed.leaders() == []
        assert standin.calls_to("setWebhook") == [] and standin.webhook is None
        await other.stop()  # the leader steps down: the bot leads and registers the webhook
        await standin.wait_for(lambda s: s.webhook is not None, timeout=10)
        assert standin.webhook["url"] == env["WEBHOOK_URL"]
        assert standin.webhook["secret_token"] == SECRET
        standin.push_text(800_001, QUESTION)
        await standin.wait_for(lambda s: answered(s, 800_001), timeout=10)
    finally:
        await other.stop()
        codes = await deployed.stop_all()
        await proxy.stop()
    assert codes == [0]
    assert standin.calls_to("deleteWebhook") == [] and standin.webhook is not None
