"""`dcbot broadcast create | status | report`."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.cli.common import broadcast_app, load_settings, open_engine, print_table
from bot.texts import admins as texts


@broadcast_app.command("create")
def broadcast_create(
    topic: str = typer.Option("thongbao", "--topic", help="thongbao | sukien | khuyenmai"),
    text_file: Path = typer.Option(..., "--text-file", help=texts.HELP_TEXT_FILE),
) -> None:
    """Queue a broadcast in the database; the running bot sends it."""
    from bot.broadcast.content import Content
    from bot.broadcast.prepare import prepare_broadcast
    from bot.db import in_session
    from bot.storage.campaigns import create_campaign
    from bot.topics import parse_topic

    parsed = parse_topic(topic)
    if parsed is None:
        typer.echo(texts.TOPIC_INVALID.format(topic=topic), err=True)
        raise typer.Exit(2)
    try:
        text = text_file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(texts.FILE_UNREADABLE.format(file=text_file, error=exc), err=True)
        raise typer.Exit(2) from exc
    prepared = prepare_broadcast(parsed, Content(text=text))
    if not prepared.ok:
        # a text file, never urgent: refused only as empty or for what Telegram would reject
        problems = prepared.problems or [texts.BROADCAST_EMPTY]
        for problem in problems:
            typer.echo(texts.FILE_ERROR.format(file=text_file, problem=problem), err=True)
        raise typer.Exit(1)
    campaign = in_session(
        open_engine(), create_campaign, topic=parsed, text=prepared.final.text, created_by=None
    )
    typer.echo(texts.CAMPAIGN_QUEUED.format(id=campaign.id, total=campaign.total))


@broadcast_app.command("status")
def broadcast_status(
    campaign_id: int | None = typer.Argument(None, help=texts.HELP_CAMPAIGN_ID),
) -> None:
    """Numbers of one campaign, or of the recent ones."""
    from bot.db import in_session
    from bot.storage.campaigns import campaign_report, recent_campaigns

    engine = open_engine()
    if campaign_id is None:
        reports = in_session(engine, recent_campaigns, 10)
    else:
        report = in_session(engine, campaign_report, campaign_id)
        if report is None:
            typer.echo(texts.CAMPAIGN_NOT_FOUND.format(id=campaign_id), err=True)
            raise typer.Exit(1)
        reports = [report]
    print_table(
        texts.CAMPAIGNS_TITLE,
        list(texts.CAMPAIGN_COLUMNS),
        [
            [
                str(r.campaign_id),
                f"{r.kind}/{r.topic}",
                r.status,
                f"{r.sent}/{r.total}",
                str(r.unreachable),
                str(r.failed),
                str(r.skipped),
                str(r.cancelled),
                str(r.pending),
                f"{r.duration.total_seconds():.1f}",
            ]
            for r in reports
        ],
        empty=texts.NO_CAMPAIGNS,
    )


@broadcast_app.command("report")
def broadcast_report(
    campaign_id: int = typer.Argument(..., help=texts.HELP_CAMPAIGN_ID),
    as_csv: bool = typer.Option(False, "--csv", help=texts.HELP_REPORT_CSV),
    out: Path | None = typer.Option(None, "--out", help=texts.HELP_REPORT_OUT),
) -> None:
    """One campaign's numbers; with --csv, the per-chat file officials get in Telegram."""
    from bot.broadcast.csv_report import campaign_csv, csv_name
    from bot.db import in_session
    from bot.storage.campaigns import campaign_report, delivery_outcomes

    engine = open_engine()
    report = in_session(engine, campaign_report, campaign_id)
    if report is None:
        typer.echo(texts.CAMPAIGN_NOT_FOUND.format(id=campaign_id), err=True)
        raise typer.Exit(1)
    typer.echo(
        texts.CAMPAIGN_SUMMARY.format(
            id=report.campaign_id,
            topic=report.topic,
            status=report.status,
            sent=report.sent,
            total=report.total,
            unreachable=report.unreachable,
            failed=report.failed,
            skipped=report.skipped,
        )
    )
    if as_csv:
        path = out or Path(csv_name(campaign_id))
        try:
            rows = in_session(engine, delivery_outcomes, campaign_id)
            path.write_bytes(campaign_csv(rows, load_settings().zone))
        except OSError as exc:
            typer.echo(texts.FILE_NOT_WRITTEN.format(path=path, error=exc), err=True)
            raise typer.Exit(1) from exc
        typer.echo(texts.FILE_WRITTEN.format(path=path))
