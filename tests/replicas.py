"""Several `dcbot run` replicas in webhook mode behind the round-robin proxy, for e2e tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine

from bot.db import in_session
from bot.models import Topic
from bot.storage import citizens

from bot_harness import write_test_faq
from telegram_standin import BotApiStandin
from webhook_proxy import RoundRobinProxy

ROOT = Path(__file__).resolve().parent.parent
SECRET = "replica-s3cret"
QUESTION = "lam sao dang ky tk dvc"
ANSWER_MARK = "dichvucong.gov.vn"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Replica:
    name: str
    webhook_port: int
    health_port: int
    log: Path
    process: asyncio.subprocess.Process | None = None

    @property
    def upstream(self) -> str:
        return f"http://127.0.0.1:{self.webhook_port}"

    @property
    def health(self) -> str:
        return f"http://127.0.0.1:{self.health_port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None


@dataclass
class Deployment:
    standin: BotApiStandin
    proxy: RoundRobinProxy
    replicas: list[Replica]
    env: dict[str, str] = field(default_factory=dict)

    async def get(self, replica: Replica, path: str) -> tuple[int, str]:
        timeout = aiohttp.ClientTimeout(total=10)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(replica.health + path) as response,
        ):
            return response.status, await response.text()

    async def metrics(self, replica: Replica) -> dict[tuple[str, tuple], float]:
        _, text = await self.get(replica, "/metrics")
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    async def leaders(self) -> list[Replica]:
        found = []
        for replica in self.replicas:
            if not replica.alive:
                continue
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                if (await self.metrics(replica)).get(("dcbot_leader", ())) == 1.0:
                    found.append(replica)
        return found

    async def wait_for_one_leader(self, timeout: float = 30.0) -> Replica:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            leaders = await self.leaders()
            if len(leaders) == 1:
                return leaders[0]
            await asyncio.sleep(0.2)
        raise AssertionError(f"no single leader within {timeout} s: {await self.leaders()}")

    async def wait_ready(self, status: int = 200, timeout: float = 30.0) -> None:
        """Every live replica's /readyz answers `status`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        last: dict[str, object] = {}
        while loop.time() < deadline:
            for replica in self.replicas:
                if replica.alive:
                    try:
                        last[replica.name] = (await self.get(replica, "/readyz"))[0]
                    except (aiohttp.ClientError, TimeoutError) as error:
                        last[replica.name] = repr(error)
            if all(last.get(r.name) == status for r in self.replicas if r.alive):
                return
            await asyncio.sleep(0.2)
        raise AssertionError(f"/readyz not {status} everywhere within {timeout} s: {last}")

    async def kill(self, replica: Replica) -> None:
        assert replica.process is not None
        replica.process.send_signal(signal.SIGKILL)
        await replica.process.wait()

    async def stop_all(self) -> list[int | None]:
        codes = []
        for replica in self.replicas:
            if replica.alive:
                replica.process.send_signal(signal.SIGTERM)
        for replica in self.replicas:
            if replica.process is not None:
                try:
                    codes.append(await asyncio.wait_for(replica.process.wait(), 40))
                except TimeoutError:
                    replica.process.kill()
                    codes.append(await replica.process.wait())
        return codes

    def logs(self) -> str:
        return "\n".join(
            f"===== {r.name} =====\n" + r.log.read_text(encoding="utf-8", errors="replace")[-6000:]
            for r in self.replicas
        )


def replica_env(
    standin: BotApiStandin, tmp_path: Path, database_url: str, proxy: RoundRobinProxy
) -> dict[str, str]:
    write_test_faq(tmp_path / "faq")
    (tmp_path / "schedules").mkdir(exist_ok=True)
    return {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": standin.token,
        "TELEGRAM_BASE_URL": standin.base_url,
        "TELEGRAM_BASE_FILE_URL": standin.base_file_url,
        "DATABASE_URL": database_url,
        "FAQ_DIR": str(tmp_path / "faq"),
        "SCHEDULES_DIR": str(tmp_path / "schedules"),
        "LOG_LEVEL": "INFO",
        "WEBHOOK_URL": f"{proxy.url}/telegram",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PATH": "telegram",
        "HEALTH_HOST": "127.0.0.1",
    }


@asynccontextmanager
async def deployment(
    standin: BotApiStandin, tmp_path: Path, database_url: str, count: int = 3, **extra: str
) -> AsyncIterator[Deployment]:
    """`count` replicas on `database_url`, behind a proxy the stand-in delivers updates to."""
    replicas = [
        Replica(f"replica-{i}", free_port(), free_port(), tmp_path / f"replica-{i}.log")
        for i in range(count)
    ]
    proxy = await RoundRobinProxy([r.upstream for r in replicas]).start()
    env = replica_env(standin, tmp_path, database_url, proxy) | extra
    deployed = Deployment(standin, proxy, replicas, env)
    try:
        for replica in replicas:
            replica.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=ROOT,
                env=env | {"WEBHOOK_PORT": str(replica.webhook_port),
                           "HEALTH_PORT": str(replica.health_port)},
                stdout=replica.log.open("ab"), stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        await deployed.wait_ready(200, timeout=60)
        await standin.wait_for(lambda s: s.webhook is not None, timeout=30)
        yield deployed
    finally:
        await deployed.stop_all()
        await proxy.stop()


def seed_subscribers(engine: Engine, chats: Iterable[int], topic: Topic) -> None:
    def seed(session) -> None:
        for chat_id in chats:
            citizens.touch_user(session, chat_id, "An")
            citizens.subscribe(session, chat_id, topic)

    in_session(engine, seed)


def delivered(standin: BotApiStandin, chats: range) -> Counter:
    return Counter(m["chat_id"] for m in standin.sent_messages if m["chat_id"] in chats)


def answered(standin: BotApiStandin, chat_id: int) -> bool:
    return any(ANSWER_MARK in (m.get("text") or "") for m in standin.messages_to(chat_id))


class Citizens:
    """Citizens asking FAQ questions at `per_second`, each from a chat of their own."""

    def __init__(self, standin: BotApiStandin, first_chat: int, per_second: float) -> None:
        self.standin = standin
        self.next_chat = first_chat
        self.interval = 1.0 / per_second
        self.asked: list[int] = []
        self._task: asyncio.Task | None = None

    def ask(self) -> int:
        chat_id = self.next_chat
        self.next_chat += 1
        self.standin.push_text(chat_id, QUESTION)
        self.asked.append(chat_id)
        return chat_id

    async def _run(self) -> None:
        while True:
            self.ask()
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def unanswered(self) -> list[int]:
        return [chat_id for chat_id in self.asked if not answered(self.standin, chat_id)]

    async def wait_all_answered(self, timeout: float = 20.0) -> None:
        await self.standin.wait_for(
            lambda s: not self.unanswered(), timeout, message="every citizen answered"
        )


def rate_limited(standin: BotApiStandin) -> list:
    return [call for call in standin.rejected_calls() if call.error_code == 429]
