"""Health and metrics over HTTP, served from the bot's own event loop (polling and webhook).

    GET /healthz  200 "ok": the event loop answers (liveness)
    GET /readyz   200 when every readiness check passes, else 503 listing the failures
    GET /metrics  Prometheus text exposition of bot.metrics.REGISTRY

A readiness check is an async callable returning None when fine, or a short reason. Checks
run concurrently, each bounded by `check_timeout`; a check that raises counts as failed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

from aiohttp import web

from bot import metrics
from bot.db import in_session
from bot.storage.health import ping

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.config import Settings

log = logging.getLogger(__name__)

Check = Callable[[], Awaitable[str | None]]


class HealthServer:
    """An aiohttp server for /healthz, /readyz and /metrics; port 0 binds a free port."""

    def __init__(
        self,
        port: int,
        host: str = "0.0.0.0",
        checks: Mapping[str, Check] | None = None,
        *,
        check_timeout: float = 3.0,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.checks: dict[str, Check] = dict(checks or {})
        self.check_timeout = check_timeout
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        """The bound port (differs from the requested one when that was 0)."""
        if self._port is None:
            raise RuntimeError("HealthServer is not started")
        return self._port

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        return app

    async def start(self) -> None:
        if self._runner is not None:
            return
        runner = web.AppRunner(
            self.app(), handle_signals=False, access_log=None, shutdown_timeout=2.0
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.requested_port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        addresses = runner.addresses
        self._port = addresses[0][1] if addresses else self.requested_port
        log.info("health server on http://%s:%d (/healthz /readyz /metrics)", self.host, self._port)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        self._port = None

    async def readiness(self) -> dict[str, str | None]:
        """Run every check; name -> None (passed) or the reason it failed."""
        names = list(self.checks)
        results = await asyncio.gather(*(self._run_check(self.checks[n]) for n in names))
        return dict(zip(names, results, strict=True))

    async def _run_check(self, check: Check) -> str | None:
        try:
            return await asyncio.wait_for(check(), self.check_timeout)
        except TimeoutError:
            return f"no answer within {self.check_timeout:g} s"
        except Exception as error:
            return f"{type(error).__name__}: {error}"

    async def _healthz(self, _request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def _readyz(self, _request: web.Request) -> web.Response:
        results = await self.readiness()
        failed = {name: reason for name, reason in results.items() if reason is not None}
        if failed:
            lines = [f"{name}: {reason}" for name, reason in failed.items()]
            return web.Response(status=503, text="not ready\n" + "\n".join(lines) + "\n")
        lines = [f"{name}: ok" for name in results]
        return web.Response(text="ready\n" + "".join(line + "\n" for line in lines))

    async def _metrics(self, _request: web.Request) -> web.Response:
        body, content_type = metrics.render()
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response


def database_check(engine: Engine, timeout: float = 2.0) -> Check:
    """Readiness check: `SELECT 1` on `engine` in a worker thread, at most `timeout` seconds.

    At most one probe runs at a time: while one hangs (an unreachable host), later checks wait
    for that same probe instead of piling up threads.
    """
    in_flight: asyncio.Future[None] | None = None

    async def check() -> str | None:
        nonlocal in_flight
        if in_flight is None or in_flight.done():
            in_flight = asyncio.ensure_future(asyncio.to_thread(in_session, engine, ping))
            # A probe that fails after its caller timed out must not warn "never retrieved".
            in_flight.add_done_callback(lambda f: f.cancelled() or f.exception())
        try:
            await asyncio.wait_for(asyncio.shield(in_flight), timeout)
        except TimeoutError:
            return f"database did not answer within {timeout:g} s"
        except Exception as error:
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
            return f"database unreachable ({type(error).__name__}: {first_line})"
        return None

    return check


def faq_check(entry_count: Callable[[], int]) -> Check:
    """Readiness check: the FAQ is loaded, i.e. `entry_count()` is above zero."""

    async def check() -> str | None:
        return None if entry_count() > 0 else "no FAQ entries loaded"

    return check


def health_server_from_settings(
    settings: Settings, checks: Mapping[str, Check]
) -> HealthServer | None:
    """The server for HEALTH_HOST:HEALTH_PORT, or None when HEALTH_PORT is 0 (off)."""
    if not settings.health_port:
        return None
    return HealthServer(settings.health_port, settings.health_host, checks)
