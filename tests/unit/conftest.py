"""Fixtures for the ops modules (the private PostgreSQL cluster is in tests/conftest.py)."""

from __future__ import annotations

import pytest

from pg_cluster import free_port


@pytest.fixture
def unused_port() -> int:
    """A TCP port nothing listens on (bound and released just now)."""
    return free_port()
