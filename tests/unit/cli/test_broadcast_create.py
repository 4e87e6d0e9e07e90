"""`dcbot broadcast create`: the same checks as /broadcast, clear errors, nothing half-queued."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app
from bot.db import create_db_engine, in_session, session_scope, upgrade_database
from bot.models import Campaign, Delivery, Topic
from bot.storage.citizens import subscribe

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    engine = create_db_engine(url)
    upgrade_database(engine)
    yield engine
    engine.dispose()


def _campaigns(engine) -> list[Campaign]:
    with session_scope(engine) as session:
        return list(session.exec(select(Campaign)).all())


def test_a_promotion_is_queued_with_its_label(database, tmp_path: Path) -> None:
    for chat in (1, 2):
        in_session(database, subscribe, chat, Topic.PROMOTIONS)
    text = tmp_path / "promo.txt"
    text.write_text("Giảm 10% khi thanh toán bằng QR\n", encoding="utf-8")
    result = runner.invoke(
        app, ["broadcast", "create", "--topic", "khuyenmai", "--text-file", str(text)]
    )
    assert result.exit_code == 0, result.output
    [campaign] = _campaigns(database)
    assert campaign.text == "[QC] Giảm 10% khi thanh toán bằng QR"
    assert campaign.total == 2
    with session_scope(database) as session:
        assert sorted(d.chat_id for d in session.exec(select(Delivery))) == [1, 2]


@pytest.mark.parametrize(
    ("content", "expected"),
    [("   \n", "không có nội dung"), ("<b>chưa đóng thẻ", "LỖI"), ("a" * 5000, "LỖI")],
)
def test_bad_files_are_refused_by_name_and_nothing_is_queued(
    database, tmp_path: Path, content: str, expected: str
) -> None:
    text = tmp_path / "bad.txt"
    text.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["broadcast", "create", "--text-file", str(text)])
    assert result.exit_code == 1
    assert expected in result.output and "bad.txt" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert _campaigns(database) == []
