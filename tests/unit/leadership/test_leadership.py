"""bot.leadership on real databases: PostgreSQL advisory locks, real processes, real outages."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from bot.leadership.advisory_locks import postgres_conninfo
from bot.leadership.election import LeaderElection
from bot.leadership.single_instance import AlreadyRunningError, SingleInstanceGuard
from bot.storage.locks import lock_key_parts

ROOT = Path(__file__).resolve().parents[3]
TAKEOVER_DEADLINE = 10.0  # the figure: another replica leads within 10 s

postgres_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


class Replica:
    """A LeaderElection with callbacks that record what happened."""

    def __init__(self, database_url: str, **kwargs) -> None:
        self.events: list[str] = []
        self.elected_at: float | None = None
        self.demoted_at: float | None = None
        self.election = LeaderElection(
            database_url, on_elected=self._elected, on_demoted=self._demoted, **kwargs
        )

    async def _elected(self) -> None:
        self.events.append("elected")
        self.elected_at = time.monotonic()

    async def _demoted(self) -> None:
        self.events.append("demoted")
        self.demoted_at = time.monotonic()

    @property
    def leads(self) -> bool:
        return self.election.is_leader


async def eventually(predicate: Callable[[], bool], deadline: float, what: str) -> float:
    """Wait until predicate() holds; return how long it took; fail after `deadline` s."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > deadline:
            raise AssertionError(f"not within {deadline:g} s: {what}")
        await asyncio.sleep(0.05)
    return time.monotonic() - start


def lock_holders(database_url: str, key: int) -> list[int]:
    high, low = lock_key_parts(key)
    with psycopg.connect(postgres_conninfo(database_url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid::int8 = %s AND objid::int8 = %s AND objsubid = 1",
            (high, low),
        ).fetchall()
    return [row[0] for row in rows]


def terminate(database_url: str, pid: int) -> None:
    with psycopg.connect(postgres_conninfo(database_url), autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_conninfo_is_libpq_uri_for_postgres_and_none_for_sqlite() -> None:
    assert (
        postgres_conninfo("postgresql+psycopg://u:p%40ss@db:5433/dcbot?sslmode=require")
        == "postgresql://u:p%40ss@db:5433/dcbot?sslmode=require"
    )
    assert postgres_conninfo("sqlite:///data/dcbot.sqlite3") is None


async def test_sqlite_always_leads_and_demotes_on_stop(tmp_path: Path) -> None:
    replica = Replica(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    await replica.election.start()
    assert replica.leads and replica.events == ["elected"]
    await replica.election.stop()
    assert not replica.leads and replica.events == ["elected", "demoted"]


@postgres_only
async def test_exactly_one_of_two_replicas_leads(database_url: str) -> None:
    key = 0x7E57_0001
    replicas = [Replica(database_url, key=key, retry_interval=0.2, heartbeat_interval=0.2)]
    replicas.append(Replica(database_url, key=key, retry_interval=0.2, heartbeat_interval=0.2))
    await asyncio.gather(*(r.election.start() for r in replicas))
    try:
        await eventually(lambda: any(r.leads for r in replicas), 10, "a leader is elected")
        # Many retry rounds of the follower: still exactly one leader, and one lock holder.
        for _ in range(30):
            assert sum(r.leads for r in replicas) == 1
            await asyncio.sleep(0.05)
        assert len(lock_holders(database_url, key)) == 1
        [follower] = [r for r in replicas if not r.leads]
        assert follower.events == []
    finally:
        await asyncio.gather(*(r.election.stop() for r in replicas))
    assert lock_holders(database_url, key) == []


@postgres_only
async def test_stop_hands_over_at_once_after_on_demoted(database_url: str) -> None:
    key = 0x7E57_0002
    first = Replica(database_url, key=key, retry_interval=0.2)
    await first.election.start()
    await eventually(lambda: first.leads, 10, "first leads")
    second = Replica(database_url, key=key, retry_interval=0.2)
    await second.election.start()
    try:
        await asyncio.sleep(0.5)
        assert not second.leads
        await first.election.stop()
        assert first.events == ["elected", "demoted"]
        await eventually(lambda: second.leads, 5, "second takes over after a clean stop")
        assert second.elected_at is not None and first.demoted_at is not None
        assert second.elected_at >= first.demoted_at  # the old leader stopped first
    finally:
        await second.election.stop()


@postgres_only
async def test_terminated_leader_session_hands_over_within_10s(
    database_url: str, record_property
) -> None:
    """pg_terminate_backend on the leader's session: it demotes, the other leads (defaults)."""
    key = 0x7E57_0003
    replicas = [Replica(database_url, key=key), Replica(database_url, key=key)]
    await asyncio.gather(*(r.election.start() for r in replicas))
    try:
        await eventually(lambda: any(r.leads for r in replicas), 10, "a leader is elected")
        [leader] = [r for r in replicas if r.leads]
        [follower] = [r for r in replicas if not r.leads]
        [pid] = lock_holders(database_url, key)
        killed_at = time.monotonic()
        terminate(database_url, pid)
        demote = await eventually(lambda: not leader.leads, 10, "the old leader demotes")
        takeover = await eventually(lambda: follower.leads, TAKEOVER_DEADLINE, "takeover")
        record_property("demote_seconds", round(demote, 3))
        record_property("takeover_seconds", round(time.monotonic() - killed_at, 3))
        print(f"demoted after {demote:.2f} s, taken over after {takeover + demote:.2f} s")
        assert leader.events == ["elected", "demoted"]
        # The old leader reconnects as a follower; there is still exactly one leader.
        await asyncio.sleep(2.5)
        assert sum(r.leads for r in replicas) == 1
        assert len(lock_holders(database_url, key)) == 1
    finally:
        await asyncio.gather(*(r.election.stop() for r in replicas))


LEADER_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from bot.leadership.election import LeaderElection

    async def elected():
        print("ELECTED", flush=True)

    async def main():
        election = LeaderElection(sys.argv[1], key=int(sys.argv[2]), on_elected=elected)
        await election.start()
        await asyncio.Event().wait()

    asyncio.run(main())
    """
)


@postgres_only
async def test_kill_9_of_the_leader_process_hands_over_within_10s(
    database_url: str, tmp_path: Path, record_property
) -> None:
    key = 0x7E57_0004
    script = tmp_path / "leader.py"
    script.write_text(LEADER_SCRIPT, encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(script), database_url, str(key),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    follower = Replica(database_url, key=key)
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        assert line.strip() == b"ELECTED"
        await follower.election.start()
        await asyncio.sleep(2.5)  # at least one failed attempt of the follower
        assert not follower.leads
        killed_at = time.monotonic()
        process.send_signal(signal.SIGKILL)
        await process.wait()
        took = await eventually(lambda: follower.leads, TAKEOVER_DEADLINE, "takeover")
        record_property("takeover_seconds", round(time.monotonic() - killed_at, 3))
        print(f"taken over {took:.2f} s after kill -9")
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await follower.election.stop()


@postgres_only
async def test_failing_on_elected_gives_the_lock_up(database_url: str) -> None:
    key = 0x7E57_0005
    calls: list[str] = []

    async def broken() -> None:
        calls.append("elected")
        raise RuntimeError("sender did not start")

    async def demoted() -> None:
        calls.append("demoted")

    bad = LeaderElection(
        database_url, key=key, on_elected=broken, on_demoted=demoted, retry_interval=0.3
    )
    await bad.start()
    await eventually(lambda: "demoted" in calls, 10, "the broken leader gives up")
    good = Replica(database_url, key=key, retry_interval=0.1)
    await bad.stop()  # stop retrying, so the good one gets the lock
    await good.election.start()
    try:
        await eventually(lambda: good.leads, 5, "a working replica leads")
        assert calls[:2] == ["elected", "demoted"] and not bad.is_leader
    finally:
        await good.election.stop()


async def test_database_outage_demotes_and_reelects(private_cluster, record_property) -> None:
    url = private_cluster.url
    key = 0x7E57_0006
    replicas = [Replica(url, key=key), Replica(url, key=key)]
    await asyncio.gather(*(r.election.start() for r in replicas))
    try:
        await eventually(lambda: any(r.leads for r in replicas), 10, "a leader is elected")
        [leader] = [r for r in replicas if r.leads]
        private_cluster.stop("fast")
        demote = await eventually(lambda: not leader.leads, 10, "the leader demotes")
        assert leader.events == ["elected", "demoted"]
        for _ in range(25):  # about one retry interval per replica while the database is down
            assert not any(r.leads for r in replicas)
            await asyncio.sleep(0.1)
        private_cluster.start()
        back = await eventually(lambda: any(r.leads for r in replicas), 10, "re-elected")
        record_property("demote_seconds", round(demote, 3))
        record_property("reelect_seconds", round(back, 3))
        print(f"outage: demoted after {demote:.2f} s; re-elected {back:.2f} s after restart")
        for _ in range(10):
            assert sum(r.leads for r in replicas) == 1
            await asyncio.sleep(0.1)
    finally:
        await asyncio.gather(*(r.election.stop() for r in replicas))


class FreezableProxy:
    """A TCP proxy in front of PostgreSQL that can go silent (a network partition)."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.frozen = False
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers += [writer, up_writer]
        await asyncio.gather(
            self._pump(reader, up_writer), self._pump(up_reader, writer), return_exceptions=True
        )

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            while self.frozen:  # silently hold everything back, like a dead link
                await asyncio.sleep(0.05)
            writer.write(data)
            await writer.drain()
        writer.close()

    async def close(self) -> None:
        for writer in self.writers:
            writer.close()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


@postgres_only
async def test_a_silent_connection_demotes_the_leader(database_url: str, record_property) -> None:
    """A partition: the leader's heartbeat gets no answer, so it demotes on its own; once the
    server drops that session, the follower takes over."""
    key = 0x7E57_0007
    url = make_url(database_url)
    proxy = FreezableProxy(url.host or "127.0.0.1", url.port or 5432)
    proxied = url.set(host="127.0.0.1", port=await proxy.start())
    leader = Replica(proxied.render_as_string(hide_password=False), key=key)
    follower = Replica(database_url, key=key)
    try:
        await leader.election.start()
        await eventually(lambda: leader.leads, 10, "the proxied replica leads")
        await follower.election.start()
        proxy.frozen = True
        took = await eventually(lambda: not leader.leads, 10, "the cut-off leader demotes")
        record_property("silent_demote_seconds", round(took, 3))
        assert leader.events == ["elected", "demoted"]
        assert not follower.leads  # the server still sees the old session holding the lock
        await proxy.close()  # the server side of the link goes away: the lock is released
        await eventually(lambda: follower.leads, TAKEOVER_DEADLINE, "takeover")
        print(f"silent link: demoted {took:.2f} s after the freeze")
    finally:
        await proxy.close()
        await asyncio.gather(leader.election.stop(), follower.election.stop())


# -- SingleInstanceGuard ------------------------------------------------------------------------

GUARD_SCRIPT = textwrap.dedent(
    """
    import sys
    from bot.leadership.single_instance import SingleInstanceGuard

    guard = SingleInstanceGuard(sys.argv[1], key=int(sys.argv[2]))
    guard.acquire()
    print("READY", flush=True)
    sys.stdin.read()  # hold the guard until the test closes stdin or kills us
    """
)


def start_guard_process(tmp_path: Path, database_url: str, key: int) -> subprocess.Popen:
    script = tmp_path / "guard.py"
    script.write_text(GUARD_SCRIPT, encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, str(script), database_url, str(key)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout.readline().strip() == "READY"
    return process


def acquire_eventually(guard: SingleInstanceGuard, deadline: float) -> float:
    start = time.monotonic()
    while True:
        try:
            guard.acquire()
            return time.monotonic() - start
        except AlreadyRunningError:
            if time.monotonic() - start > deadline:
                raise
            time.sleep(0.1)


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_second_polling_process_is_refused_until_the_first_dies(
    database_url: str, tmp_path: Path, caplog
) -> None:
    key = 0x7E57_0101
    process = start_guard_process(tmp_path, database_url, key)
    guard = SingleInstanceGuard(database_url, key=key)
    try:
        with pytest.raises(AlreadyRunningError) as refused:
            guard.acquire()
        message = str(refused.value)
        assert "Another dcbot process is already polling Telegram" in message
        assert "webhook mode" in message and "409 Conflict" in message
        assert message.isascii()
        if database_url.startswith("sqlite"):
            assert f"pid {process.pid}" in message
            assert "dcbot.sqlite3.polling.lock" in message
        else:
            assert f"advisory lock {key}" in message and f"pid={process.pid}" in message
        assert message in caplog.text  # the same text is logged
        assert not guard.held
        process.kill()
        process.wait()
        acquire_eventually(guard, 10)
        assert guard.held
    finally:
        guard.release()
        if process.poll() is None:
            process.kill()
            process.wait()


def test_sqlite_guard_in_one_process_and_release(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'bot.sqlite3'}"
    first = SingleInstanceGuard(url)
    second = SingleInstanceGuard(url)
    with first:
        assert (tmp_path / "sub" / "bot.sqlite3.polling.lock").read_text().strip() == str(
            os.getpid()
        )
        with pytest.raises(AlreadyRunningError):
            second.acquire()
    with second:
        assert second.held


@postgres_only
def test_postgres_guard_takes_the_lock_again_after_losing_its_session(database_url: str) -> None:
    key = 0x7E57_0102
    guard = SingleInstanceGuard(database_url, key=key, keepalive_interval=0.2)
    guard.acquire()
    try:
        [pid] = lock_holders(database_url, key)
        terminate(database_url, pid)
        start = time.monotonic()
        while True:
            holders = lock_holders(database_url, key)
            if holders and holders != [pid]:
                break
            assert time.monotonic() - start < 10, "the guard did not take its lock again"
            time.sleep(0.1)
        with pytest.raises(AlreadyRunningError):
            SingleInstanceGuard(database_url, key=key).acquire()
    finally:
        guard.release()
    assert lock_holders(database_url, key) == []
