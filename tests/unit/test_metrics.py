"""bot.metrics: one registry of our own, every metric the issue lists, outbox depth snapshots."""

from __future__ import annotations

import logging

import prometheus_client
from prometheus_client.parser import text_string_to_metric_families

from bot import metrics

EXPECTED = {
    "dcbot_questions": "counter",
    "dcbot_reply_latency_seconds": "histogram",
    "dcbot_outbox_depth": "gauge",
    "dcbot_messages_sent": "counter",
    "dcbot_telegram_429": "counter",
    "dcbot_unreachable_users_marked": "counter",
    "dcbot_faq_reload_failures": "counter",
    "dcbot_leader": "gauge",
    "dcbot_database_unavailable": "counter",
    "dcbot_dropped_writes": "counter",
}


def scrape() -> dict[tuple[str, tuple], float]:
    body, content_type = metrics.render()
    assert content_type.startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


def value(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def test_every_metric_is_described_with_its_type() -> None:
    body, _ = metrics.render()
    families = {f.name: f.type for f in text_string_to_metric_families(body.decode())}
    for name, kind in EXPECTED.items():
        assert families.get(name) == kind, name


def test_the_default_registry_is_left_alone() -> None:
    default_names = {f.name for f in prometheus_client.REGISTRY.collect()}
    assert not any(name.startswith("dcbot_") for name in default_names)
    assert metrics.REGISTRY is not prometheus_client.REGISTRY


def test_counters_and_histogram_move() -> None:
    before = {
        "answer": value("dcbot_questions_total", decision="answer"),
        "sent": value("dcbot_messages_sent_total"),
        "429": value("dcbot_telegram_429_total"),
        "dropped": value("dcbot_dropped_writes_total", kind="feedback"),
        "latency_count": value("dcbot_reply_latency_seconds_count"),
        "fast": value("dcbot_reply_latency_seconds_bucket", le="0.1"),
        "unreachable": value("dcbot_unreachable_users_marked_total"),
        "reload": value("dcbot_faq_reload_failures_total"),
        "database": value("dcbot_database_unavailable_total"),
    }
    metrics.QUESTIONS.labels(decision="answer").inc()
    metrics.MESSAGES_SENT.inc(5)
    metrics.RATE_LIMITED.inc()
    metrics.DROPPED_WRITES.labels(kind="feedback").inc()
    metrics.REPLY_LATENCY.observe(0.05)
    metrics.REPLY_LATENCY.observe(3.0)
    metrics.UNREACHABLE_MARKED.inc()
    metrics.FAQ_RELOAD_FAILURES.inc()
    metrics.DATABASE_UNAVAILABLE.inc()
    samples = scrape()
    assert samples[("dcbot_questions_total", (("decision", "answer"),))] == before["answer"] + 1
    assert samples[("dcbot_messages_sent_total", ())] == before["sent"] + 5
    assert samples[("dcbot_telegram_429_total", ())] == before["429"] + 1
    assert samples[("dcbot_dropped_writes_total", (("kind", "feedback"),))] == before["dropped"] + 1
    assert samples[("dcbot_reply_latency_seconds_count", ())] == before["latency_count"] + 2
    assert samples[("dcbot_reply_latency_seconds_bucket", (("le", "0.1"),))] == before["fast"] + 1
    assert samples[("dcbot_unreachable_users_marked_total", ())] == before["unreachable"] + 1
    assert samples[("dcbot_faq_reload_failures_total", ())] == before["reload"] + 1
    assert samples[("dcbot_database_unavailable_total", ())] == before["database"] + 1


def test_leader_gauge() -> None:
    metrics.set_leader(True)
    assert value("dcbot_leader") == 1
    metrics.set_leader(False)
    assert value("dcbot_leader") == 0


def test_outbox_depth_is_a_snapshot_that_keeps_known_statuses() -> None:
    metrics.set_outbox_depth({"pending": 120, "sending": 2, "sent": 480})
    assert value("dcbot_outbox_depth", status="pending") == 120
    metrics.set_outbox_depth({"sent": 600})
    samples = scrape()
    assert samples[("dcbot_outbox_depth", (("status", "pending"),))] == 0
    assert samples[("dcbot_outbox_depth", (("status", "sending"),))] == 0
    assert samples[("dcbot_outbox_depth", (("status", "sent"),))] == 600


def test_outbox_depth_source_is_called_per_scrape_and_may_fail(caplog) -> None:
    calls = []

    def source() -> dict[str, int]:
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("database unavailable")
        return {"pending": 9}

    metrics.set_outbox_depth_source(source)
    try:
        assert value("dcbot_outbox_depth", status="pending") == 9
        with caplog.at_level(logging.ERROR, logger="bot.metrics"):
            assert value("dcbot_outbox_depth", status="pending") == 9  # last snapshot
        assert "outbox depth source failed" in caplog.text
        assert len(calls) == 2
    finally:
        metrics.set_outbox_depth_source(None)
