"""bot.health over real HTTP, with real databases and a real PostgreSQL outage."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import metrics
from bot.config import Settings
from bot.db import create_db_engine
from bot.health import HealthServer, database_check, faq_check, health_server_from_settings


async def get(server: HealthServer, path: str) -> tuple[int, str, str]:
    timeout = aiohttp.ClientTimeout(total=15)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(f"http://127.0.0.1:{server.port}{path}") as response,
    ):
        return response.status, await response.text(), response.headers["Content-Type"]


async def ok() -> str | None:
    return None


async def started(checks=None, **kwargs) -> HealthServer:
    server = HealthServer(0, "127.0.0.1", checks or {}, **kwargs)
    await server.start()
    return server


async def test_healthz_and_readyz_when_all_is_well() -> None:
    server = await started({"database": ok, "faq": faq_check(lambda: 12)})
    try:
        assert await get(server, "/healthz") == (200, "ok\n", "text/plain; charset=utf-8")
        status, body, _ = await get(server, "/readyz")
        assert status == 200
        assert body == "ready\ndatabase: ok\nfaq: ok\n"
        status, _, _ = await get(server, "/nothing")
        assert status == 404
    finally:
        await server.stop()


async def test_readyz_is_503_with_every_reason() -> None:
    async def broken() -> str | None:
        raise RuntimeError("boom")

    async def hangs() -> str | None:
        await asyncio.Event().wait()
        return None

    server = await started(
        {"faq": faq_check(lambda: 0), "database": hangs, "other": broken, "fine": ok},
        check_timeout=0.5,
    )
    try:
        status, body, _ = await get(server, "/readyz")
        assert status == 503
        lines = body.splitlines()
        assert lines[0] == "not ready"
        assert set(lines[1:]) == {
            "faq: no FAQ entries loaded",
            "database: no answer within 0.5 s",
            "other: RuntimeError: boom",
        }
        # Liveness does not depend on readiness.
        assert (await get(server, "/healthz"))[0] == 200
    finally:
        await server.stop()


async def test_metrics_endpoint_serves_the_bot_registry() -> None:
    server = await started()
    try:
        before = metrics.REGISTRY.get_sample_value("dcbot_messages_sent_total") or 0.0
        metrics.MESSAGES_SENT.inc(3)
        metrics.set_outbox_depth({"pending": 7, "sent": 2})
        status, body, content_type = await get(server, "/metrics")
        assert status == 200
        assert content_type.startswith("text/plain") and "version=" in content_type
        samples = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body)
            for s in family.samples
        }
        assert samples[("dcbot_messages_sent_total", ())] == before + 3
        assert samples[("dcbot_outbox_depth", (("status", "pending"),))] == 7
        assert samples[("dcbot_leader", ())] in (0.0, 1.0)
    finally:
        await server.stop()


async def test_stop_closes_the_port() -> None:
    server = await started()
    port = server.port
    await server.stop()
    with pytest.raises(OSError):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()


async def test_port_in_use_is_an_error_at_start(unused_port: int) -> None:
    first = HealthServer(unused_port, "127.0.0.1")
    await first.start()
    try:
        with pytest.raises(OSError):
            await HealthServer(unused_port, "127.0.0.1").start()
        assert first.port == unused_port
    finally:
        await first.stop()


def test_health_port_zero_means_no_server() -> None:
    assert health_server_from_settings(Settings(_env_file=None), {}) is None
    server = health_server_from_settings(
        Settings(_env_file=None, health_port=9101, health_host="127.0.0.1"), {"x": ok}
    )
    assert server is not None
    assert (server.requested_port, server.host, list(server.checks)) == (9101, "127.0.0.1", ["x"])


async def test_database_check_passes_on_sqlite_and_postgres(engine) -> None:
    server = await started({"database": database_check(engine)})
    try:
        assert (await get(server, "/readyz"))[:2] == (200, "ready\ndatabase: ok\n")
    finally:
        await server.stop()


async def test_database_check_names_an_unreachable_database(unused_port: int) -> None:
    engine = create_db_engine(f"postgresql+psycopg://postgres@127.0.0.1:{unused_port}/x")
    try:
        reason = await database_check(engine, timeout=10)()
        assert reason is not None and reason.startswith("database unreachable (OperationalError")
    finally:
        engine.dispose()


async def test_a_hanging_database_gets_one_probe_at_a_time() -> None:
    """A server that accepts and never answers: checks time out, probes do not pile up."""
    accepted: list[asyncio.StreamWriter] = []

    async def black_hole(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    hole = await asyncio.start_server(black_hole, "127.0.0.1", 0)
    port = hole.sockets[0].getsockname()[1]
    engine = create_db_engine(f"postgresql+psycopg://postgres@127.0.0.1:{port}/x")
    check = database_check(engine, timeout=0.3)
    try:
        for _ in range(3):
            assert await check() == "database did not answer within 0.3 s"
        assert len(accepted) == 1
    finally:
        hole.close()
        for writer in accepted:
            writer.close()
        await hole.wait_closed()
        # The probe now fails on EOF; the next check starts a fresh one and reports it.
        start = time.monotonic()
        while (reason := await check()) == "database did not answer within 0.3 s":
            assert time.monotonic() - start < 10
        assert reason is not None and reason.startswith("database unreachable")
        engine.dispose()


async def test_readyz_503_during_a_postgres_outage_and_200_after(
    private_cluster, record_property
) -> None:
    engine = create_db_engine(private_cluster.url)
    server = await started({"database": database_check(engine), "faq": faq_check(lambda: 1)})
    try:
        assert (await get(server, "/readyz"))[0] == 200
        private_cluster.stop("fast")
        status, body, _ = await get(server, "/readyz")
        assert status == 503, body
        assert body.startswith("not ready\ndatabase: database unreachable")
        assert "faq" not in body
        assert (await get(server, "/healthz"))[0] == 200  # alive throughout
        private_cluster.start()
        start = time.monotonic()
        while (await get(server, "/readyz"))[0] != 200:
            assert time.monotonic() - start < 10, "still not ready 10 s after the database is back"
            await asyncio.sleep(0.1)
        record_property("ready_after_restart_seconds", round(time.monotonic() - start, 3))
    finally:
        await server.stop()
        engine.dispose()
