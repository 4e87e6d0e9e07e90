from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import copy_real_faq


@pytest.fixture
def real_faq(tmp_path: Path) -> tuple[Path, Path]:
    """(pristine copy, working copy) of the real faq/ directory."""
    return copy_real_faq(tmp_path / "before"), copy_real_faq(tmp_path / "faq")
