"""A private PostgreSQL cluster we may stop and start at will (outage tests)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# The database we connect to in order to create and drop throwaway ones (tests/conftest.py).
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PG_BINDIR = Path(os.environ.get("PG_BINDIR", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateCluster:
    """A throwaway PostgreSQL cluster in a temp dir on a free port (trust auth, user postgres).

    `stop()` and `start()` simulate an outage: clients see their sessions terminated and new
    connections refused until the cluster is back on the same port.
    """

    def __init__(self, datadir: Path, port: int, run_as: list[str]):
        self.datadir = datadir
        self.port = port
        self._run_as = run_as

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _pg(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*self._run_as, str(PG_BINDIR / tool), *args],
            check=check,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def init(self) -> None:
        self._pg("initdb", "-D", str(self.datadir), "-A", "trust", "-U", "postgres", "-N")
        settings = {
            "port": str(self.port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.datadir}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "40",
            "shared_buffers": "16MB",
        }
        conf = "".join(f"{key} = {value}\n" for key, value in settings.items())
        with (self.datadir / "postgresql.conf").open("a", encoding="utf-8") as handle:
            handle.write(conf)

    def start(self) -> None:
        self._pg("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.datadir), "-l",
                 str(self.datadir / "server.log"))  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._pg("pg_ctl", "stop", "-w", "-t", "60", "-m", mode, "-D", str(self.datadir))

    def running(self) -> bool:
        return self._pg("pg_ctl", "status", "-D", str(self.datadir), check=False).returncode == 0


@contextmanager
def private_cluster_running() -> Iterator[PrivateCluster]:
    """A private cluster, started; stopped and deleted afterwards. Skips the test where the
    server binaries (or, as root, a 'postgres' user to run them as) are missing."""
    if not (PG_BINDIR / "initdb").exists() or not (PG_BINDIR / "pg_ctl").exists():
        pytest.skip(f"PostgreSQL server binaries (initdb, pg_ctl) not found in {PG_BINDIR}")
    run_as: list[str] = []
    owner: pwd.struct_passwd | None = None
    if os.geteuid() == 0:  # the server refuses to run as root
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run a cluster as")
        if shutil.which("runuser") is None:
            pytest.skip("running as root and runuser is not available")
        run_as = ["runuser", "-u", "postgres", "--"]
    base = Path(tempfile.mkdtemp(prefix="dcbot-pg-"))
    datadir = base / "data"
    datadir.mkdir(mode=0o700)
    if owner is not None:
        os.chown(base, owner.pw_uid, owner.pw_gid)
        os.chown(datadir, owner.pw_uid, owner.pw_gid)
    cluster = PrivateCluster(datadir, free_port(), run_as)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        if cluster.running():
            cluster.stop("immediate")
        shutil.rmtree(base, ignore_errors=True)
