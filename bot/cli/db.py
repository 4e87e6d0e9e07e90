"""`dcbot db upgrade` and `dcbot report unanswered`."""

from __future__ import annotations

import typer

from bot.cli.common import db_app, load_settings, open_engine, print_table, report_app
from bot.texts import admins as texts


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations (also done automatically at start)."""
    from bot.db import database_revision

    engine = open_engine()
    typer.echo(texts.DB_OK.format(revision=database_revision(engine)))


@report_app.command("unanswered")
def report_unanswered(
    since: str | None = typer.Option(None, "--since", help=texts.HELP_SINCE),
    limit: int = typer.Option(50, "--limit", help=texts.HELP_GROUP_LIMIT),
) -> None:
    """Unanswered questions grouped by similarity, most frequent first."""
    from datetime import datetime

    from bot.insight import unanswered_report

    settings = load_settings()
    start = None
    if since:
        try:
            start = datetime.fromisoformat(since).replace(tzinfo=settings.zone)
        except ValueError as exc:
            typer.echo(texts.DATE_INVALID.format(value=since), err=True)
            raise typer.Exit(2) from exc
    from bot.db import in_session

    groups = in_session(open_engine(), unanswered_report, since=start)
    if not groups:
        typer.echo(texts.NO_UNANSWERED)
        return
    print_table(
        texts.UNANSWERED_TITLE,
        list(texts.UNANSWERED_COLUMNS),
        [
            [
                str(number),
                str(group.count),
                group.last_asked.strftime("%Y-%m-%d %H:%M"),
                "\n".join([group.representative, *(f"~ {e}" for e in group.examples[1:])]),
            ]
            for number, group in enumerate(groups[:limit], start=1)
        ],
    )
