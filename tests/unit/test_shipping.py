"""Shipping files: compose.yaml against the Compose Specification schema, the Dockerfile's
conventions, and the container's entry point and healthcheck as plain processes (no Docker
daemon here)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from fnmatch import fnmatch
from pathlib import Path

import jsonschema
import pytest
import yaml

from bot.health import HealthServer

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "tests" / "data" / "compose-spec" / "compose-spec.json"
COMPOSE = ROOT / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
BIN = Path(sys.executable).parent


def uncomment_examples(text: str) -> str:
    """compose.yaml with every commented "BEGIN/END replica example" block switched on."""
    out, inside = [], False
    for line in text.splitlines():
        if "BEGIN replica example" in line:
            inside = True
            continue
        if "END replica example" in line:
            inside = False
            continue
        if inside:
            match = re.match(r"^(\s*)#(?: (.*)|$)", line)
            assert match, f"uncommented line inside the example: {line!r}"
            line = match.group(1) + (match.group(2) or "")
        out.append(line)
    assert not inside, "unterminated example block"
    return "\n".join(out) + "\n"


def validate(document: dict) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.Draft7Validator(schema).validate(document)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def test_compose_file_matches_the_compose_specification(compose: dict) -> None:
    validate(compose)


def test_the_schema_does_reject_a_broken_compose_file(compose: dict) -> None:
    broken = json.loads(json.dumps(compose))
    broken["services"]["bot"]["healthcheck"]["retries"] = "three"
    broken["services"]["db"]["restrt"] = "always"
    with pytest.raises(jsonschema.ValidationError):
        validate(broken)


def test_compose_runs_the_bot_on_postgres_16_with_a_named_volume(compose: dict) -> None:
    services = compose["services"]
    assert set(services) == {"bot", "db"}
    db, bot = services["db"], services["bot"]
    assert db["image"] == "postgres:16"
    [volume] = db["volumes"]
    name, target = volume.split(":")
    assert target == "/var/lib/postgresql/data" and name in compose["volumes"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])

    assert bot["build"] == "."
    assert bot["env_file"] == [{"path": ".env", "required": False}]
    database_url = bot["environment"]["DATABASE_URL"]
    assert database_url.startswith("postgresql+psycopg://dcbot:") and "@db:5432/dcbot" in (
        database_url
    )
    assert bot["environment"]["HEALTH_PORT"] == "8080"
    assert bot["healthcheck"]["test"] == ["CMD", "python", "-m", "bot.healthcheck"]
    assert bot["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert "TELEGRAM_BOT_TOKEN" not in json.dumps(compose)  # the token comes from .env only


def test_the_commented_replica_example_is_valid_too() -> None:
    document = yaml.safe_load(uncomment_examples(COMPOSE.read_text(encoding="utf-8")))
    validate(document)
    services = document["services"]
    assert set(services) == {"bot", "bot-2", "db", "proxy"}
    assert services["bot-2"]["environment"] == services["bot"]["environment"]
    assert services["proxy"]["configs"][0]["source"] == "caddyfile"
    caddyfile = document["configs"]["caddyfile"]["content"]
    assert "reverse_proxy bot:8443 bot-2:8443" in caddyfile
    assert "caddy_data" in document["volumes"]


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), " ".join(rest.split())))
    return instructions


def test_dockerfile_conventions() -> None:
    instructions = dockerfile_instructions()
    keywords = [keyword for keyword, _ in instructions]
    assert instructions[0] == ("FROM", "python:3.11-slim")
    last = dict(instructions)  # Docker uses the last ENTRYPOINT and CMD
    user = [rest for keyword, rest in instructions if keyword == "USER"][-1]
    assert user.split(":")[0] not in ("root", "0")
    assert keywords.index("USER") > max(
        i for i, (keyword, rest) in enumerate(instructions) if keyword == "RUN"
    ), "every RUN happens before switching to the unprivileged user"
    assert any(k == "RUN" and "pip install ." in rest for k, rest in instructions)
    env = " ".join(rest for keyword, rest in instructions if keyword == "ENV")
    assert "HEALTH_PORT=8080" in env
    healthcheck = [rest for keyword, rest in instructions if keyword == "HEALTHCHECK"]
    assert len(healthcheck) == 1
    assert healthcheck[0].endswith('CMD ["python", "-m", "bot.healthcheck"]')
    assert json.loads(last["ENTRYPOINT"]) == ["dcbot"]
    assert json.loads(last["CMD"]) == ["run"]
    for keyword, rest in instructions:
        if keyword == "COPY":
            *sources, _target = rest.split()
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: no such file"
                assert not dockerignored(source), f"COPY {source} is excluded by .dockerignore"


def dockerignored(path: str) -> bool:
    ignored = False
    for pattern in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        pattern = pattern.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").removeprefix("**/")
        if fnmatch(path, pattern) or fnmatch(Path(path).name, pattern):
            ignored = not negate
    return ignored


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    for path in (".env", ".env.production", ".git", ".venv", "data", "tests", "bot.sqlite3"):
        assert dockerignored(path), path
    for path in ("bot", "pyproject.toml", "README.md", "faq", "schedules", ".env.example"):
        assert not dockerignored(path), path


def test_the_wheel_has_what_the_image_runs(tmp_path: Path) -> None:
    """`pip install .` from exactly what the Dockerfile copies into its build directory yields
    the package, its migrations, the healthcheck module and the `dcbot` command."""
    source = tmp_path / "src"
    copies = [rest.split() for keyword, rest in dockerfile_instructions() if keyword == "COPY"]
    for *sources, target in copies:
        if not target.startswith("/tmp/src"):
            continue
        destination = source / target.removeprefix("/tmp/src").strip("/")
        for name in sources:
            if (ROOT / name).is_dir():
                shutil.copytree(
                    ROOT / name, destination, ignore=shutil.ignore_patterns("__pycache__")
                )
            else:
                destination.mkdir(parents=True, exist_ok=True)
                shutil.copy(ROOT / name, destination / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-2000:]
    [wheel] = tmp_path.glob("cong_dan_so_bot-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert "dcbot = bot.cli:main" in archive.read(entry_points).decode()
        metadata = archive.read(next(n for n in names if n.endswith("METADATA"))).decode()
    for module in (
        "bot/healthcheck.py",
        "bot/health.py",
        "bot/metrics.py",
        "bot/leadership/election.py",
    ):
        assert module in names
    assert "bot/migrations/versions/0001_initial.py" in names
    assert {"bot/migrations/env.py", "bot/migrations/script.py.mako"} <= names
    assert "Requires-Dist: aiohttp>=3.10" in metadata
    assert "Requires-Dist: prometheus-client" in metadata


# -- the entry point and the healthcheck as plain processes -----------------------------------


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("HEALTH_PORT", "HEALTHCHECK_URL")}
    environ.update(env)
    return subprocess.run(
        args, capture_output=True, text=True, timeout=60, env=environ, cwd=ROOT / "tests"
    )


def test_entry_point_is_the_dcbot_command(tmp_path: Path) -> None:
    dcbot = BIN / "dcbot"
    assert dcbot.exists(), "the dcbot console script is installed next to python"
    shown = run([str(dcbot), "--help"])
    assert shown.returncode == 0 and "run" in shown.stdout
    # `dcbot run` (the image's CMD) without a token: one clear line and exit code 2.
    missing = run(
        [str(dcbot), "run"],
        TELEGRAM_BOT_TOKEN="",
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
    )
    assert missing.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in missing.stderr and "Traceback" not in missing.stderr


async def healthcheck(**env: str) -> subprocess.CompletedProcess:
    return await asyncio.to_thread(run, [sys.executable, "-m", "bot.healthcheck"], **env)


async def test_healthcheck_exits_0_against_a_running_health_server() -> None:
    server = HealthServer(0, "127.0.0.1")
    await server.start()
    try:
        result = await healthcheck(HEALTH_PORT=str(server.port))
        assert result.returncode == 0, result.stderr
    finally:
        await server.stop()


async def test_healthcheck_exits_1_when_nothing_listens(unused_port: int) -> None:
    result = await healthcheck(HEALTH_PORT=str(unused_port))
    assert result.returncode == 1
    assert f"127.0.0.1:{unused_port}/healthz" in result.stderr


async def test_healthcheck_exits_1_on_an_error_status_or_no_port() -> None:
    async def failing() -> str | None:
        return "database unreachable"

    server = HealthServer(0, "127.0.0.1", {"database": failing})
    await server.start()
    try:
        url = f"http://127.0.0.1:{server.port}/readyz"
        result = await healthcheck(HEALTHCHECK_URL=url)
        assert result.returncode == 1 and "HTTP 503" in result.stderr
    finally:
        await server.stop()
    for port in ("", "0", "not-a-port"):
        result = await healthcheck(HEALTH_PORT=port)
        assert result.returncode == 1 and "HEALTH_PORT is not set" in result.stderr
