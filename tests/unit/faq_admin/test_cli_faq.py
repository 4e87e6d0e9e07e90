"""`dcbot faq export/import/history/learn` run as subprocesses, like an admin runs them."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.db import create_db_engine, session_scope, upgrade_database
from bot.models import FaqChange, QuestionLog, TaughtQuestion

from .helpers import git_diff, snapshot
from bot_harness import write_test_faq

NOW = "2025-03-10T01:00:00+00:00"  # 08:00 in Hà Nội
NICK = "trang dichvucong cho người già"  # suggested (dvc-dang-ky first), not answered: listed
GOLD = "giá vàng hôm nay"
HOTLINE = "đường dây nóng của xã là số nào"


def dcbot(*args: str, cwd: Path, database: Path, stdin: str | None = None):
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "TZ": "Asia/Ho_Chi_Minh",  # the bot's zone setting, whatever the machine's
        "PYTHONIOENCODING": "utf-8",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        cwd=cwd,  # no .env from the repository
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    faq = write_test_faq(tmp_path / "faq")
    shutil.copytree(faq, tmp_path / "before")
    return tmp_path


def seed_questions(database: Path) -> None:
    engine = create_db_engine(f"sqlite:///{database}")
    upgrade_database(engine)
    with session_scope(engine) as session:
        rows = [(NICK, 3), (GOLD, 2), (HOTLINE, 1)]
        session.add_all(
            QuestionLog(chat_id=n, text=text, status="none", created_at=datetime(2025, 3, 9, 12, n))
            for text, count in rows
            for n in range(count)
        )
    engine.dispose()


def test_export_then_import_changes_nothing_and_needs_no_database(workdir: Path):
    database = workdir / "db.sqlite3"
    for name in ("faq.xlsx", "faq.csv"):
        exported = dcbot("faq", "export", name, "--faq-dir", "faq", cwd=workdir, database=database)
        assert exported.returncode == 0, exported.stderr
        assert "Đã xuất 4 mục" in exported.stdout
        imported = dcbot("faq", "import", name, "--faq-dir", "faq", cwd=workdir, database=database)
        assert imported.returncode == 0, imported.stderr
        assert "Không có thay đổi" in imported.stdout
    assert snapshot(workdir / "faq") == snapshot(workdir / "before")
    assert not database.exists()


def test_import_of_an_edited_cell_writes_it_and_the_history_shows_it(workdir: Path):
    database = workdir / "db.sqlite3"
    assert (
        dcbot(
            "faq", "export", "faq.csv", "--faq-dir", "faq", cwd=workdir, database=database
        ).returncode
        == 0
    )
    path = workdir / "faq.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[3][5] = "Chọn <b>Quên mật khẩu</b> trên màn hình đăng nhập VNeID."
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    dry = dcbot(
        "faq", "import", "faq.csv", "--faq-dir", "faq", "--dry-run", cwd=workdir, database=database
    )
    assert dry.returncode == 0, dry.stderr
    assert "+    answer: Chọn <b>Quên mật khẩu</b>" in dry.stdout
    assert snapshot(workdir / "faq") == snapshot(workdir / "before")
    result = dcbot(
        "faq", "import", "faq.csv", "--faq-dir", "faq", "--actor", "chi-ha", "--now", NOW,
        cwd=workdir, database=database,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "sửa vneid-quen-mat-khau (dich-vu-cong.yaml): answer" in result.stdout
    removed, added = git_diff(workdir / "before", workdir / "faq")
    assert removed == ["    answer: Chọn Quên mật khẩu trên màn hình đăng nhập VNeID."]
    assert added == ["    answer: Chọn <b>Quên mật khẩu</b> trên màn hình đăng nhập VNeID."]
    history = dcbot("faq", "history", cwd=workdir, database=database)
    assert history.returncode == 0, history.stderr
    row = next(line for line in history.stdout.splitlines() if "vneid-quen-mat-khau" in line)
    for text in ("10/03/2025 08:00", "chi-ha", "import", "sửa mục", "dich-vu-cong.yaml", "answer"):
        assert text in row


def test_import_reports_every_bad_row_and_writes_nothing(workdir: Path):
    database = workdir / "db.sqlite3"
    path = workdir / "bad.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(
            [
                ["category", "id", "question", "answer"],
                ["Thanh toán số", "Sai Mã", "Mã sai?", "x"],
                ["Thanh toán số", "qr-moi", "Câu mới?", "<i>chưa đóng"],
            ]
        )
    result = dcbot("faq", "import", "bad.csv", "--faq-dir", "faq", cwd=workdir, database=database)
    assert result.returncode == 1
    assert "LỖI Trang 'bad.csv', dòng 2 [Sai Mã]: id chỉ gồm" in result.stderr
    assert "LỖI Trang 'bad.csv', dòng 3 [qr-moi]: answer:" in result.stderr
    assert "2 lỗi trong bad.csv; chưa ghi gì." in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(workdir / "faq") == snapshot(workdir / "before")


def test_learn_through_stdin_end_to_end(workdir: Path):
    database = workdir / "db.sqlite3"
    seed_questions(database)
    answers = [
        "z",  # not a choice: asked again
        "1",  # NICK: a variant of the first likely entry (dvc-dang-ky)
        "b",  # GOLD: skip
        "m",  # HOTLINE: a new entry...
        "Liên hệ",  # ...in a new category
        "Gọi <b>1022</b> hoặc",
        "",
        "đến bộ phận một cửa.",
        ".",
        "",  # accept the suggested id
    ]
    args = ("faq", "learn", "--faq-dir", "faq", "--actor", "chi-ha", "--now", NOW)
    result = dcbot(*args, cwd=workdir, database=database, stdin="\n".join(answers) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.index(f"❓ «{NICK}»") < out.index(f"❓ «{GOLD}»") < out.index(f"❓ «{HOTLINE}»")
    assert "Bot chưa trả lời được · 3 lần · gần nhất 09/03/2025 19:02" in out
    assert (
        "[1] ➕ Làm thế nào để đăng ký tài khoản Cổng Dịch vụ công quốc gia? (dvc-dang-ky)" in out
    )
    assert "Không hiểu lựa chọn" in out
    assert "✅ Đã thêm vào mục dvc-dang-ky (dich-vu-cong.yaml)." in out
    assert "Đã bỏ qua câu này." in out
    assert "Mã mục [duong-day-nong-cua-xa-so]: " in out
    assert "✅ Đã tạo mục duong-day-nong-cua-xa-so trong lien-he.yaml." in out
    assert "Không còn câu hỏi nào cần dạy. Đã xử lý 3 câu." in out

    removed, added = git_diff(workdir / "before", workdir / "faq")
    assert removed == ["    variants: [Tạo tài khoản dịch vụ công, Đăng ký tài khoản dichvucong]"]
    assert (
        added[0]
        == f"    variants: [Tạo tài khoản dịch vụ công, Đăng ký tài khoản dichvucong, {NICK}]"
    )
    assert (workdir / "faq" / "lien-he.yaml").read_text(encoding="utf-8") == (
        "category: Liên hệ\n"
        "entries:\n"
        "  - id: duong-day-nong-cua-xa-so\n"
        f"    question: {HOTLINE}\n"
        "    answer: |\n"
        "      Gọi <b>1022</b> hoặc\n"
        "\n"
        "      đến bộ phận một cửa.\n"
    )

    engine = create_db_engine(f"sqlite:///{database}")
    with Session(engine) as session:
        changes = session.exec(select(FaqChange).order_by(FaqChange.id)).all()
        assert [(c.action, c.entry_id, c.actor_name, c.source) for c in changes] == [
            ("add_variant", "dvc-dang-ky", "chi-ha", "cli"),
            ("skip", None, "chi-ha", "cli"),
            ("add_entry", "duong-day-nong-cua-xa-so", "chi-ha", "cli"),
        ]
        assert all(c.created_at == datetime(2025, 3, 10, 1, 0) for c in changes)
        marks = session.exec(select(TaughtQuestion).order_by(TaughtQuestion.id)).all()
        assert [(m.text, m.action) for m in marks] == [
            (NICK, "variant"),
            (GOLD, "skip"),
            (HOTLINE, "new_entry"),
        ]
    engine.dispose()

    again = dcbot(*args, cwd=workdir, database=database, stdin="")
    assert again.returncode == 0, again.stderr
    assert (
        "❓" not in again.stdout
        and "Không còn câu hỏi nào cần dạy. Đã xử lý 0 câu." in again.stdout
    )

    history = dcbot("faq", "history", cwd=workdir, database=database)
    assert history.returncode == 0, history.stderr
    lines = [line for line in history.stdout.splitlines() if "chi-ha" in line]
    assert ["thêm mục" in lines[0], "bỏ qua" in lines[1], "thêm cách hỏi" in lines[2]] == [True] * 3
    assert all("10/03/2025 08:00" in line for line in lines)


def test_learn_stops_cleanly_at_the_end_of_input(workdir: Path):
    database = workdir / "db.sqlite3"
    seed_questions(database)
    args = ("faq", "learn", "--faq-dir", "faq", "--now", NOW)
    result = dcbot(*args, cwd=workdir, database=database, stdin="m\n2\nchưa xong")
    assert result.returncode == 0, result.stderr
    assert "Tạm dừng. Đã xử lý 0 câu." in result.stdout and "Traceback" not in result.stderr
    assert snapshot(workdir / "faq") == snapshot(workdir / "before")
