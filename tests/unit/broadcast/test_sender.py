"""OutboxSender over real HTTP: python-telegram-bot's Bot against the Bot API stand-in."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import insert, select
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.broadcast.claims import AMBIGUOUS
from bot.broadcast.sender import OutboxSender
from bot.config import Settings
from bot.db import in_session, is_sqlite
from bot.models import Delivery, DeliveryStatus, Subscription, Topic, User, utc_now
from bot.storage.campaigns import campaign_report, cancel_campaign, create_campaign

from telegram_standin import BotApiStandin

# ----------------------------------------------------------------------------- helpers


@pytest.fixture
async def bot(standin):
    async with Bot(standin.token, base_url=standin.base_url) as client:
        yield client


def make_settings(**overrides) -> Settings:
    return Settings(_env_file=None, **overrides)


def seed(engine, chat_ids, topics=(Topic.ANNOUNCEMENTS,)) -> None:
    """Users who talked to the bot and subscribed, inserted in bulk."""
    now = utc_now()
    with engine.begin() as connection:
        connection.execute(
            insert(User),
            [
                {
                    "chat_id": c,
                    "first_name": f"Dân {c}",
                    "first_seen": now,
                    "last_seen": now,
                    "reachable": True,
                }
                for c in chat_ids
            ],
        )
        connection.execute(
            insert(Subscription),
            [
                {"chat_id": c, "topic": Topic(t).value, "created_at": now}
                for c in chat_ids
                for t in topics
            ],
        )


def deliveries(engine, campaign_id: int) -> list[Delivery]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(Delivery).where(Delivery.campaign_id == campaign_id).order_by(Delivery.id)
        )
        return [Delivery.model_validate(row._mapping) for row in rows]


def user(engine, chat_id: int) -> User | None:
    with engine.connect() as connection:
        row = connection.execute(select(User).where(User.chat_id == chat_id)).first()
    return None if row is None else User.model_validate(row._mapping)


def message_counts(standin: BotApiStandin) -> Counter:
    return Counter(m["chat_id"] for m in standin.sent_messages)


def send_calls(standin: BotApiStandin):
    return standin.calls_to("sendMessage")


# ------------------------------------------------------------------ exactly once, reports


async def test_each_reachable_chat_gets_exactly_one_message(engine, standin, bot):
    chats = list(range(1001, 1301))  # 300 subscribers
    blocked, deactivated, unknown = set(chats[10:20]), set(chats[50:55]), set(chats[100:105])
    seed(engine, chats)
    standin.blocked_chats |= blocked
    standin.deactivated_chats |= deactivated
    standin.unknown_chats |= unknown
    done = []

    async def on_done(report):
        done.append(report)

    sender = OutboxSender(
        engine, bot, make_settings(broadcast_rate_per_second=300), on_campaign_done=on_done
    )
    campaign = in_session(
        engine,
        create_campaign,
        topic=Topic.ANNOUNCEMENTS,
        text="<b>Thông báo</b> lịch nghỉ lễ",
        created_by=7,
    )
    await sender.run_until_idle()

    unreachable = blocked | deactivated | unknown
    counts = message_counts(standin)
    assert set(counts) == set(chats) - unreachable
    assert set(counts.values()) == {1}
    assert standin.messages_to(1001)[0]["text"] == "Thông báo lịch nghỉ lễ"

    report = in_session(engine, campaign_report, campaign.id)
    assert (report.total, report.sent, report.unreachable) == (300, 280, 20)
    assert (report.failed, report.skipped, report.cancelled, report.pending) == (0, 0, 0, 0)
    assert report.status == "done" and report.finished_at is not None
    assert [r.campaign_id for r in done] == [campaign.id] and done[0].sent == 280
    for chat_id in unreachable:
        assert user(engine, chat_id).reachable is False
    rows = {row.chat_id: row for row in deliveries(engine, campaign.id)}
    assert rows[1011].status == DeliveryStatus.UNREACHABLE
    assert "blocked" in rows[1011].error
    assert rows[1001].telegram_message_id == standin.messages_to(1001)[0]["message_id"]

    # The next campaign leaves the unreachable out and sends no request to them.
    standin.clear_calls()
    second = in_session(
        engine, create_campaign, topic=Topic.ANNOUNCEMENTS, text="Lần hai", created_by=7
    )
    await sender.run_until_idle()
    assert in_session(engine, campaign_report, second.id).total == 280
    assert not {c.params["chat_id"] for c in send_calls(standin)} & unreachable
    assert set(message_counts(standin).values()) == {2}


async def test_send_options_html_and_no_link_preview(engine, standin, bot):
    seed(engine, [5])
    in_session(
        engine,
        create_campaign,
        topic=Topic.EVENTS,
        text="Xem <a href='https://dichvucong.gov.vn'>cổng</a>",
        created_by=None,
        recipients=[5],
    )
    await OutboxSender(engine, bot, make_settings()).run_until_idle()
    params = send_calls(standin)[0].params
    assert params["parse_mode"] == "HTML"
    assert params["link_preview_options"]["is_disabled"] is True
    assert "reply_markup" not in params


# ------------------------------------------------------------------------- Telegram limits


def max_per_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def test_default_pace_never_hits_flood_limits(engine, standin, bot):
    standin.global_rate_limit = 30
    standin.per_chat_rate_limit = 1
    chats = list(range(1, 81))
    seed(engine, chats)
    in_session(engine, create_campaign, topic=Topic.ANNOUNCEMENTS, text="Một", created_by=1)
    # A second campaign to a few of the same chats: the per-chat gap keeps them 1 s apart.
    in_session(
        engine, create_campaign, topic=Topic.EVENTS, text="Hai", created_by=1, recipients=chats[:3]
    )
    loop = asyncio.get_running_loop()
    started = loop.time()
    await OutboxSender(engine, bot, make_settings()).run_until_idle()
    elapsed = loop.time() - started

    calls = send_calls(standin)
    assert [c for c in calls if not c.ok] == []
    assert len(calls) == 83
    assert max_per_window([c.time for c in calls]) <= 28
    assert set(message_counts(standin).values()) <= {1, 2}
    assert elapsed >= 82 / 27 * 0.9  # paced, not burst


async def test_retry_after_pauses_all_sending_then_resumes(engine, standin, bot):
    chats = list(range(1, 41))
    seed(engine, chats)
    campaign = in_session(
        engine, create_campaign, topic=Topic.ANNOUNCEMENTS, text="Tin", created_by=1
    )
    standin.fail_next("sendMessage", 429, retry_after=1)
    await OutboxSender(engine, bot, make_settings(broadcast_rate_per_second=100)).run_until_idle()

    calls = send_calls(standin)
    flood = [c for c in calls if c.error_code == 429]
    assert len(flood) == 1
    after = [c.time for c in calls if c.time > flood[0].time]
    # Nothing but (at most) the one request already in flight inside the retry_after window.
    assert len([t for t in after if t < flood[0].time + 0.95]) <= 1
    counts = message_counts(standin)
    assert set(counts) == set(chats) and set(counts.values()) == {1}
    report = in_session(engine, campaign_report, campaign.id)
    assert (report.sent, report.failed) == (40, 0)
    assert flood[0].params["chat_id"] in counts  # the throttled row went out afterwards


# ---------------------------------------------------------------------------- concurrency


async def test_two_senders_on_postgres_share_the_work(engine, standin):
    if is_sqlite(engine):
        pytest.skip("SQLite runs a single sender; SKIP LOCKED claims are PostgreSQL's")
    chats = list(range(1, 201))
    seed(engine, chats)
    campaign = in_session(
        engine, create_campaign, topic=Topic.ANNOUNCEMENTS, text="Song song", created_by=1
    )
    standin.latency = 0.005
    settings = make_settings(broadcast_rate_per_second=200)
    async with (
        Bot(standin.token, base_url=standin.base_url) as bot_a,
        Bot(standin.token, base_url=standin.base_url) as bot_b,
    ):
        a = OutboxSender(engine, bot_a, settings, worker_id="a", batch_size=5)
        b = OutboxSender(engine, bot_b, settings, worker_id="b", batch_size=5)
        await asyncio.gather(a.run_until_idle(), b.run_until_idle())
        await a.run_until_idle()  # whoever finished first may not have closed the campaign

    counts = message_counts(standin)
    assert set(counts) == set(chats) and set(counts.values()) == {1}
    rows = deliveries(engine, campaign.id)
    by_worker = Counter(row.claimed_by for row in rows)
    assert by_worker["a"] > 0 and by_worker["b"] > 0
    report = in_session(engine, campaign_report, campaign.id)
    assert (report.sent, report.status) == (200, "done")


# --------------------------------------------------------------------------- crash safety


@pytest.mark.parametrize("restart_as", ["same worker", "new worker after the lease"])
async def test_rows_in_flight_at_a_crash_are_failed_not_resent(engine, standin, bot, restart_as):
    chats = list(range(1, 41))
    seed(engine, chats)
    campaign = in_session(
        engine, create_campaign, topic=Topic.ANNOUNCEMENTS, text="Sập nguồn", created_by=1
    )
    standin.latency = 0.3  # requests spend nearly all their time in flight
    settings = make_settings(broadcast_rate_per_second=100)
    dead = OutboxSender(engine, bot, settings, worker_id="dead", lease_seconds=1)
    run = asyncio.create_task(dead.run_until_idle())
    await standin.wait_for(lambda s: len(s.sent_messages) >= 6, timeout=10)
    await asyncio.sleep(0.15)  # mid-request
    run.cancel()  # the process dies: requests in flight are abandoned
    with pytest.raises(asyncio.CancelledError):
        await run
    await asyncio.sleep(0.5)  # let abandoned requests and DB threads land

    left = [row for row in deliveries(engine, campaign.id) if row.status == "sending"]
    assert 1 <= len(left) <= 2
    standin.latency = 0
    if restart_as == "same worker":
        restarted = OutboxSender(engine, bot, settings, worker_id="dead")
    else:
        await asyncio.sleep(1.1)  # the dead worker's lease runs out
        restarted = OutboxSender(
            engine, bot, settings, worker_id="new", lease_seconds=1, single_sender=False
        )
    await restarted.run_until_idle()

    rows = {row.chat_id: row for row in deliveries(engine, campaign.id)}
    ambiguous = {chat for chat, row in rows.items() if row.status == "failed"}
    assert ambiguous == {row.chat_id for row in left}
    assert all(rows[chat].error == AMBIGUOUS for chat in ambiguous)
    counts = message_counts(standin)
    assert max(counts.values()) == 1  # never sent twice
    assert {chat for chat in chats if counts[chat] == 1} >= set(chats) - ambiguous
    report = in_session(engine, campaign_report, campaign.id)
    assert report.sent == 40 - len(ambiguous) and report.status == "done"


async def test_timed_out_request_is_failed_not_resent(engine, standin):
    seed(engine, [1, 2])
    campaign = in_session(
        engine, create_campaign, topic=Topic.ANNOUNCEMENTS, text="Chậm", created_by=1
    )
    request = HTTPXRequest(read_timeout=0.2)
    async with Bot(standin.token, base_url=standin.base_url, request=request) as slow_bot:
        standin.latency = 0.6
        sender = OutboxSender(engine, slow_bot, make_settings())
        await sender.run_until_idle()
        await asyncio.sleep(0.6)
        rows = deliveries(engine, campaign.id)
        assert {(row.status, row.error) for row in rows} == {("failed", "ambiguous timeout")}
        standin.latency = 0
        standin.clear_calls()
        await sender.run_until_idle()
    assert send_calls(standin) == []  # the request may have reached Telegram: never resent


async def test_refused_connection_is_retried_with_backoff(engine, bot, standin):
    seed(engine, [1, 2, 3])
    campaign = in_session(
        engine, create_campaign, topic=Topic.ANNOUNCEMENTS, text="Mạng", created_by=1
    )
    port = standin.port
    await standin.stop()  # connection refused from now on
    sender = OutboxSender(engine, bot, make_settings(), retry_base_seconds=0.2)
    run = asyncio.create_task(sender.run_until_idle())
    for _ in range(100):  # the first retry lands within a few tenths of a second
        await asyncio.sleep(0.05)
        attempts = [row.attempts for row in deliveries(engine, campaign.id)]
        if max(attempts) >= 1:
            break
    assert max(attempts) >= 1
    revived = BotApiStandin(port=port)
    await revived.start()
    try:
        await asyncio.wait_for(run, 20)
        counts = message_counts(revived)
        assert counts == {1: 1, 2: 1, 3: 1}
    finally:
        await revived.stop()
    assert in_session(engine, campaign_report, campaign.id).sent == 3


async def test_network_errors_give_up_after_five_attempts(engine, bot, standin):
    seed(engine, [1])
    campaign = in_session(
        engine, create_campaign, topic=Topic.ANNOUNCEMENTS, text="Mạng", created_by=1
    )
    standin.fail_next("sendMessage", 502, count=10)
    await OutboxSender(engine, bot, make_settings(), retry_base_seconds=0.01).run_until_idle()
    (row,) = deliveries(engine, campaign.id)
    assert (row.status, row.attempts) == ("failed", 4)
    assert row.error.startswith("gave up after 5 attempts")
    assert len(send_calls(standin)) == 5


async def test_bad_requests(engine, standin, bot):
    seed(engine, [1, 2, 3])
    standin.fail_next("sendMessage", 400, "Bad Request: something odd")
    first = in_session(engine, create_campaign, topic=Topic.ANNOUNCEMENTS, text="Tin", created_by=1)
    # Telegram rejects this text for everyone: after the first answer the whole campaign fails.
    broken = in_session(
        engine,
        create_campaign,
        topic=Topic.EVENTS,
        text="<b>mở mà không đóng",
        created_by=1,
        recipients=[1, 2, 3],
    )
    await OutboxSender(engine, bot, make_settings(per_chat_interval_seconds=0)).run_until_idle()

    rows = deliveries(engine, first.id)
    assert [(r.status, r.error) for r in rows if r.status != "sent"] == [
        ("failed", "Something odd")
    ]
    broken_rows = deliveries(engine, broken.id)
    assert {r.status for r in broken_rows} == {"failed"}
    assert "can't parse entities" in broken_rows[0].error.lower()
    assert len([c for c in send_calls(standin) if "mở" in c.params["text"]]) <= 2  # in flight
    assert user(engine, 1).reachable is True


# ---------------------------------------------------------------------- cancel, progress


async def test_cancel_stops_the_rest(engine, standin, bot):
    chats = list(range(1, 61))
    seed(engine, chats)
    done = []

    async def on_done(report):
        done.append(report)

    campaign = in_session(
        engine, create_campaign, topic=Topic.ANNOUNCEMENTS, text="Hủy", created_by=1
    )
    sender = OutboxSender(
        engine, bot, make_settings(broadcast_rate_per_second=20), on_campaign_done=on_done
    )
    await sender.start()
    await standin.wait_for(lambda s: len(s.sent_messages) >= 10, timeout=10)
    assert in_session(engine, cancel_campaign, campaign.id) is True
    sent_at_cancel = len(standin.sent_messages)
    await standin.wait_for(lambda s: done, timeout=10)
    await sender.stop()

    assert len(standin.sent_messages) <= sent_at_cancel + 2  # only what was in flight
    report = in_session(engine, campaign_report, campaign.id)
    assert report.status == "cancelled" and report.pending == 0
    assert report.sent + report.cancelled == 60 and report.cancelled >= 60 - sent_at_cancel - 2
    assert done[0].status == "cancelled" and done[0].campaign_id == campaign.id
    assert in_session(engine, cancel_campaign, campaign.id) is False
    assert in_session(engine, cancel_campaign, 999_999) is False


async def test_progress_callback_is_rate_limited_and_done_comes_last(engine, standin, bot):
    chats = list(range(1, 61))
    seed(engine, chats)
    events: list[tuple[str, float, int, int]] = []
    loop = asyncio.get_running_loop()

    async def on_progress(campaign_id, report):
        events.append(("progress", loop.time(), campaign_id, report.sent))
        await asyncio.sleep(0.1)  # editing the official's message takes a while

    async def on_done(report):
        events.append(("done", loop.time(), report.campaign_id, report.sent))

    campaign = in_session(
        engine, create_campaign, topic=Topic.ANNOUNCEMENTS, text="Tiến độ", created_by=1
    )
    sender = OutboxSender(
        engine,
        bot,
        make_settings(broadcast_rate_per_second=60),
        on_progress=on_progress,
        on_campaign_done=on_done,
        progress_interval=0.25,
    )
    await sender.run_until_idle()
    progress = [e for e in events if e[0] == "progress"]
    assert len(progress) >= 2
    assert {e[2] for e in events} == {campaign.id}
    sent = [e[3] for e in progress]
    assert sent == sorted(sent) and sent[-1] < 60
    gaps = [b[1] - a[1] for a, b in zip(progress, progress[1:], strict=False)]
    assert min(gaps) >= 0.25
    assert events[-1][0] == "done" and events[-1][3] == 60
    assert [e[0] for e in events].count("done") == 1


async def test_background_sender_wakes_for_new_campaigns(engine, standin, bot):
    seed(engine, [1, 2])
    sender = OutboxSender(engine, bot, make_settings(), idle_poll_seconds=30)
    await sender.start()
    await asyncio.sleep(0.2)  # idle now, polling only every 30 s
    assert sender.running and standin.sent_messages == []
    first = in_session(engine, create_campaign, topic=Topic.ANNOUNCEMENTS, text="Mới", created_by=1)
    sender.wake()
    await standin.wait_for(lambda s: len(s.sent_messages) == 2, timeout=3)
    await sender.stop()
    assert not sender.running
    assert message_counts(standin) == Counter({1: 1, 2: 1})
    rows = deliveries(engine, first.id)
    assert [(r.chat_id, r.status) for r in rows] == [(1, "sent"), (2, "sent")]
    assert all(r.telegram_message_id is not None for r in rows)

    # Stopped means stopped: a wake-up now sends nothing and the new rows wait, unclaimed.
    second = in_session(
        engine, create_campaign, topic=Topic.ANNOUNCEMENTS, text="Sau khi dừng", created_by=1
    )
    sender.wake()
    await asyncio.sleep(0.3)
    assert len(standin.sent_messages) == 2
    rows = deliveries(engine, second.id)
    assert [(r.chat_id, r.status, r.claimed_by) for r in rows] == [
        (1, "pending", None),
        (2, "pending", None),
    ]


async def test_graceful_stop_finishes_in_flight_and_frees_claims(engine, standin, bot):
    chats = list(range(1, 31))
    seed(engine, chats)
    campaign = in_session(
        engine, create_campaign, topic=Topic.ANNOUNCEMENTS, text="Dừng", created_by=1
    )
    standin.latency = 0.05
    settings = make_settings(broadcast_rate_per_second=50)
    first = OutboxSender(engine, bot, settings, worker_id="first")
    await first.start()
    await standin.wait_for(lambda s: len(s.sent_messages) >= 5, timeout=10)
    await first.stop()

    rows = deliveries(engine, campaign.id)
    assert not [r for r in rows if r.status == "sending"]
    assert not [r for r in rows if r.status == "pending" and r.claimed_by is not None]
    assert len(standin.sent_messages) == sum(r.status == "sent" for r in rows) < 30

    second = OutboxSender(engine, bot, settings, worker_id="second", single_sender=False)
    await second.run_until_idle()
    counts = message_counts(standin)
    assert set(counts) == set(chats) and set(counts.values()) == {1}
    report = in_session(engine, campaign_report, campaign.id)
    assert (report.sent, report.failed, report.status) == (30, 0, "done")
