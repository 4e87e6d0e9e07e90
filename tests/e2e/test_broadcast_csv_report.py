"""The final report comes with a CSV document; `dcbot broadcast report ID --csv` writes the same."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from official_steps import OFFICIAL, press, preview, subscribe

from bot_harness import make_settings, running_bot, write_test_faq

pytestmark = pytest.mark.clock_sensitive
ROOT = Path(__file__).resolve().parents[2]


async def test_final_report_csv_matches_the_cli(standin, tmp_path: Path) -> None:
    write_test_faq(tmp_path / "faq")
    settings = make_settings(standin, tmp_path)
    async with running_bot(settings) as application:
        subscribe(application, [6101, 6102, 6103])
        standin.blocked_chats.add(6102)
        _, confirm = await preview(standin, "/broadcast Tin có báo cáo")
        press(standin, confirm, "Gửi ngay")
        await standin.wait_for(lambda s: "đã xong" in (confirm["text"] or ""), timeout=20)
        press(standin, confirm, "CSV")
        await standin.wait_for(
            lambda s: any(m["media"] == "document" for m in s.messages_to(OFFICIAL)), timeout=20
        )
        [document] = [m for m in standin.messages_to(OFFICIAL) if m["media"] == "document"]
        campaign_id = confirm["text"].split("#")[1].split()[0]
        before = len(standin.messages_to(OFFICIAL))
        standin.push_command(OFFICIAL, f"/baocao {campaign_id}", user_id=OFFICIAL)
        [again] = (await standin.wait_for_messages(OFFICIAL, before + 1))[before:]
        assert again["media"] == "document"
    assert document["message"]["document"]["file_name"] == f"chien-dich-{campaign_id}.csv"
    sent = standin._files[document["message"]["document"]["file_id"]]["content"]
    rows = list(csv.reader(io.StringIO(sent.decode("utf-8-sig"))))
    assert rows[0] == ["chat_id", "status", "error", "time"]
    by_chat = {row[0]: row for row in rows[1:]}
    assert by_chat["6101"][1] == "sent" and by_chat["6101"][3].endswith("+07:00")
    assert by_chat["6102"][1] == "unreachable" and "blocked" in by_chat["6102"][2]
    out = tmp_path / "report.csv"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "broadcast",
            "report",
            campaign_id,
            "--csv",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": settings.database_url, "BOT_TZ": "Asia/Ho_Chi_Minh"},
    )
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == sent
    missing = subprocess.run(
        [sys.executable, "-m", "bot", "broadcast", "report", "999", "--csv"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": settings.database_url},
    )
    assert missing.returncode == 1 and "Không có chiến dịch #999" in missing.stderr
