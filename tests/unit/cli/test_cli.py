"""The command line, run as a subprocess like an admin would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot_harness import write_test_faq

ROOT = Path(__file__).resolve().parents[3]


def dcbot(*args: str, stdin: str | None = None, env: dict | None = None, cwd: Path = ROOT):
    environment = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        cwd=cwd,
    )


def test_ask_batch_mode_keeps_order_and_answers_every_line(tmp_path: Path) -> None:
    faq = write_test_faq(tmp_path / "faq")
    lines = ["lam sao dang ky tk dvc", "", "xin chao", "bong da hom nay", "vneid"]
    result = dcbot("ask", "--faq-dir", str(faq), stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["query"] for o in out] == lines
    assert [o["status"] for o in out] == ["answer", "none", "smalltalk", "none", "suggest"]
    assert out[0]["id"] == "dvc-dang-ky" and out[0]["candidates"][0]["id"] == "dvc-dang-ky"
    assert out[1]["id"] is None and out[1]["candidates"] == []
    assert set(out[0]) == {"query", "status", "id", "score", "candidates"}


def test_ask_single_question_json(tmp_path: Path) -> None:
    faq = write_test_faq(tmp_path / "faq")
    result = dcbot("ask", "quên mk vneid", "--faq-dir", str(faq), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["id"] == "vneid-quen-mat-khau"


def test_faq_eval_prints_the_metrics_and_misses(tmp_path: Path) -> None:
    faq = write_test_faq(tmp_path / "faq")
    cases = tmp_path / "cases.tsv"
    cases.write_text(
        "# comment\ndvc-dang-ky\ttao tk dvc\n-\tthoi tiet hom nay\nqr-thanh-toan\tbong da\n",
        encoding="utf-8",
    )
    result = dcbot("faq", "eval", str(cases), "--faq-dir", str(faq), "--show-misses")
    assert result.returncode == 0, result.stderr
    for metric in ("overall", "accuracy_at_1", "confidently_wrong", "out_of_scope_rejected"):
        assert metric in result.stdout
    [overall] = [line for line in result.stdout.splitlines() if " overall " in line]
    assert "66.7%" in overall
    assert "MISS line 4: expected qr-thanh-toan" in result.stdout


def test_faq_eval_bad_cases_file(tmp_path: Path) -> None:
    faq = write_test_faq(tmp_path / "faq")
    cases = tmp_path / "cases.tsv"
    cases.write_text("no tab here\n", encoding="utf-8")
    result = dcbot("faq", "eval", str(cases), "--faq-dir", str(faq))
    assert result.returncode == 1
    assert "cases.tsv:1" in result.stderr and "Traceback" not in result.stderr


def test_chat_works_without_a_token(tmp_path: Path) -> None:
    faq = write_test_faq(tmp_path / "faq")
    result = dcbot("chat", "--faq-dir", str(faq), stdin="tao tk dvc\n1\n/thoat\n")
    assert result.returncode == 0, result.stderr
    assert "dichvucong.gov.vn" in result.stdout
    assert "[1] ➡️ Đăng ký định danh điện tử VNeID mức 2" in result.stdout
    # pressing [1] opens the related question
    assert "Mang căn cước gắn chip" in result.stdout


def test_run_without_token_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    result = dcbot("run", env={"TELEGRAM_BOT_TOKEN": ""}, cwd=tmp_path)
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "Traceback" not in result.stderr
    result = dcbot("run", env={"TELEGRAM_BOT_TOKEN": "not-a-token"}, cwd=tmp_path)
    assert result.returncode == 2 and "không đúng định dạng" in result.stderr
    assert "not-a-token" not in result.stderr


def test_db_upgrade_and_unanswered_report(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    result = dcbot("db", "upgrade", env=env)
    from bot.db import create_db_engine, database_revision, in_session
    from bot.storage import citizens

    engine = create_db_engine(env["DATABASE_URL"])
    assert result.returncode == 0 and f"phiên bản {database_revision(engine)}." in result.stdout
    for text in ["giá vàng hôm nay", "gia vang hom nay", "giá vàng hôm nay?", "xổ số"]:
        in_session(engine, citizens.log_question, 1, text, "none", None, 0.1)
    engine.dispose()
    result = dcbot("report", "unanswered", env=env)
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("│")]
    cells = [cell.strip() for cell in rows[0].strip("│").split("│")]
    assert cells[:2] == ["1", "3"] and "giá vàng hôm nay" in cells[3]  # most asked group first
    assert dcbot("report", "unanswered", "--since", "hôm qua", env=env).returncode == 2


def test_schedules_check_and_list_on_the_shipped_files() -> None:
    result = dcbot("schedules", "check", "--dir", "schedules")
    assert result.returncode == 0, result.stderr
    result = dcbot("schedules", "list", "--dir", "schedules", env={"BOT_TZ": "Asia/Ho_Chi_Minh"})
    assert result.returncode == 0, result.stderr
    line = next(
        x for x in result.stdout.splitlines() if "ngay-chuyen-doi-so-10-10" in x and "notice" in x
    )
    assert "-10-10 08:00+07:00" in line


def test_schedules_check_names_file_and_notice(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        'notices:\n  - id: hoi-nghi\n    topic: events\n    cron: "99 8 * * *"\n    text: hi\n',
        encoding="utf-8",
    )
    result = dcbot("schedules", "check", "--dir", str(tmp_path))
    assert result.returncode == 1
    assert "bad.yaml" in result.stderr and "hoi-nghi" in result.stderr
    assert "Traceback" not in result.stderr
