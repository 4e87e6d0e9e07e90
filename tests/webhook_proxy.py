"""A small round-robin reverse proxy for webhook tests: each POST goes to the next replica.

Like Caddy's or nginx's passive health checks, a replica that refuses the connection (it was
killed) is skipped and the same request goes to the next one; only when every replica refuses
does the proxy answer 502, and then Telegram (the stand-in) retries the update.
"""

from __future__ import annotations

import itertools
from collections import Counter

import aiohttp
from aiohttp import web

FORWARDED_HEADERS = ("Content-Type", "X-Telegram-Bot-Api-Secret-Token")


class RoundRobinProxy:
    """`url` forwards `POST <path>` to `upstreams[i] + <path>`, i = 0, 1, 2, 0, ..."""

    def __init__(self, upstreams: list[str], host: str = "127.0.0.1", port: int = 0) -> None:
        self.upstreams = list(upstreams)
        self.host = host
        self.port = port
        self.forwarded: Counter[str] = Counter()  # upstream -> requests it answered
        self.refused: Counter[str] = Counter()  # upstream -> connections it refused
        self._next = itertools.cycle(range(len(self.upstreams)))
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> RoundRobinProxy:
        app = web.Application()
        app.router.add_post("/{path:.*}", self._forward)
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._client is not None
        body = await request.read()
        headers = {k: request.headers[k] for k in FORWARDED_HEADERS if k in request.headers}
        for _ in range(len(self.upstreams)):
            upstream = self.upstreams[next(self._next)]
            try:
                async with self._client.post(
                    upstream + request.path_qs, data=body, headers=headers
                ) as response:
                    payload = await response.read()
                    self.forwarded[upstream] += 1
                    return web.Response(
                        status=response.status,
                        body=payload,
                        content_type=response.content_type,
                    )
            except aiohttp.ClientConnectorError:  # refused: never reached the replica
                self.refused[upstream] += 1
        return web.Response(status=502, text="no replica answered\n")
