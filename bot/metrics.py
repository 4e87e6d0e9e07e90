"""Prometheus metrics of the bot, on a registry of their own (prometheus-client's global
default registry is left alone). `/metrics` on the health server renders `REGISTRY`.

Counters and the histogram are updated where things happen; the outbox depth is a snapshot
that whoever reads the outbox hands over with `set_outbox_depth()` (or a callable registered
with `set_outbox_depth_source()`, called at every scrape, so it must be quick and must not
touch the database from the event loop).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)

QUESTIONS = Counter(
    "dcbot_questions",
    "Citizen questions answered, by matcher decision (answer, suggest, none, smalltalk).",
    ["decision"],
    registry=REGISTRY,
)
REPLY_LATENCY = Histogram(
    "dcbot_reply_latency_seconds",
    "Time from receiving a citizen's message to the reply being sent.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
MESSAGES_SENT = Counter(
    "dcbot_messages_sent",
    "Outbox messages Telegram accepted (broadcasts and scheduled notices).",
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "dcbot_telegram_429",
    "Telegram answers 429 Too Many Requests (flood control).",
    registry=REGISTRY,
)
UNREACHABLE_MARKED = Counter(
    "dcbot_unreachable_users_marked",
    "Citizens marked unreachable (blocked the bot, deactivated, chat not found).",
    registry=REGISTRY,
)
FAQ_RELOAD_FAILURES = Counter(
    "dcbot_faq_reload_failures",
    "FAQ reloads that failed; the previous FAQ stays in use.",
    registry=REGISTRY,
)
LEADER = Gauge(
    "dcbot_leader",
    "1 while this replica is the leader (runs the outbox sender and the scheduler), else 0.",
    registry=REGISTRY,
)
RATE_BUDGET = Gauge(
    "dcbot_outbox_rate_budget",
    "Messages per second the outbox sender may use: Telegram's limit minus the margin and what "
    "the replicas send to citizens (see bot/rate_budget.py).",
    registry=REGISTRY,
)
REPLICA_MESSAGE_RATE = Gauge(
    "dcbot_replica_message_rate",
    "Messages per second this replica sends outside the outbox sender (replies, edits).",
    registry=REGISTRY,
)
DATABASE_UNAVAILABLE = Counter(
    "dcbot_database_unavailable",
    "Operations that found the database unavailable.",
    registry=REGISTRY,
)
DROPPED_WRITES = Counter(
    "dcbot_dropped_writes",
    "Best-effort writes (question log, feedback, touches) dropped while the database was down.",
    ["kind"],
    registry=REGISTRY,
)


class OutboxDepthCollector(Collector):
    """`dcbot_outbox_depth{status=...}`: outbox rows by status, from the latest snapshot.

    A status seen once keeps being reported (at 0 when absent from a later snapshot), so
    series do not vanish when a status empties.
    """

    NAME = "dcbot_outbox_depth"
    DOCUMENTATION = "Outbox deliveries by status, as last read from the database."

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth: dict[str, int] = {}
        self._source: Callable[[], Mapping[str, int]] | None = None

    def set(self, depth: Mapping[str, int]) -> None:
        with self._lock:
            self._depth = {status: 0 for status in self._depth} | {
                str(status): int(count) for status, count in depth.items()
            }

    def set_source(self, source: Callable[[], Mapping[str, int]] | None) -> None:
        self._source = source

    def describe(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(self.NAME, self.DOCUMENTATION, labels=["status"])

    def collect(self) -> Iterator[Metric]:
        source = self._source
        if source is not None:
            try:
                self.set(source())
            except Exception:
                log.exception("outbox depth source failed; reporting the last snapshot")
        family = GaugeMetricFamily(self.NAME, self.DOCUMENTATION, labels=["status"])
        with self._lock:
            for status, count in sorted(self._depth.items()):
                family.add_metric([status], count)
        yield family


OUTBOX_DEPTH = OutboxDepthCollector()
REGISTRY.register(OUTBOX_DEPTH)


def set_outbox_depth(depth: Mapping[str, int]) -> None:
    """Replace the outbox depth snapshot, e.g. {"pending": 120, "sending": 2, "sent": 480}."""
    OUTBOX_DEPTH.set(depth)


def set_outbox_depth_source(source: Callable[[], Mapping[str, int]] | None) -> None:
    """Call `source()` at every scrape instead (None to go back to snapshots)."""
    OUTBOX_DEPTH.set_source(source)


def set_leader(is_leader: bool) -> None:
    LEADER.set(1 if is_leader else 0)


def render() -> tuple[bytes, str]:
    """The Prometheus text exposition of REGISTRY and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
