"""A campaign's per-chat outcome as CSV (chat, status, error, time): sent to the official with
the final report and written by `dcbot broadcast report ID --csv`, byte for byte the same."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.clock import to_local

HEADER = ("chat_id", "status", "error", "time")


def csv_name(campaign_id: int) -> str:
    return f"chien-dich-{campaign_id}.csv"


def campaign_csv(
    rows: Iterable[tuple[int, str, str | None, datetime | None]], zone: ZoneInfo
) -> bytes:
    """`rows` (chat, status, error, sent_at; `storage.campaigns.delivery_outcomes`) as UTF-8
    with a BOM (spreadsheets then show Vietnamese right); times in the bot's zone."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for chat_id, status, error, sent_at in rows:
        when = to_local(sent_at, zone).isoformat(timespec="seconds") if sent_at else ""
        writer.writerow((chat_id, status, _cell(error or ""), when))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(value: str) -> str:
    """No formula injection when the file is opened in a spreadsheet."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
