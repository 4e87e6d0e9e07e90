"""What every command group shares: the Typer apps, common options, settings, the database."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from bot.config import Settings
from bot.knowledge.faq_files import FaqBook, load_faq_dir
from bot.texts import admins as texts

app = typer.Typer(help=texts.HELP_APP, no_args_is_help=True, add_completion=False)
faq_app = typer.Typer(help=texts.HELP_FAQ, no_args_is_help=True)
app.add_typer(faq_app, name="faq")
db_app = typer.Typer(help=texts.HELP_DB, no_args_is_help=True)
app.add_typer(db_app, name="db")
schedules_app = typer.Typer(help=texts.HELP_SCHEDULES, no_args_is_help=True)
app.add_typer(schedules_app, name="schedules")
broadcast_app = typer.Typer(help=texts.HELP_BROADCAST, no_args_is_help=True)
app.add_typer(broadcast_app, name="broadcast")
report_app = typer.Typer(help=texts.HELP_REPORT, no_args_is_help=True)
app.add_typer(report_app, name="report")

FaqDirOption = typer.Option(None, "--faq-dir", help=texts.HELP_FAQ_DIR)
TodayOption = typer.Option(None, "--today", help=texts.HELP_TODAY)


def print_table(
    title: str, columns: list[str], rows: list[list[str]], empty: str | None = None
) -> None:
    """A rich table on stdout; wide enough when piped that no row wraps."""
    from rich.console import Console
    from rich.table import Table

    if not rows and empty is not None:
        typer.echo(empty)
        return
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    console = Console(width=None if sys.stdout.isatty() else 200)
    console.print(table)


def load_settings() -> Settings:
    try:
        return Settings()
    except Exception as exc:  # pydantic's message is clear; a traceback is not
        typer.echo(texts.CONFIG_INVALID.format(error=exc), err=True)
        raise typer.Exit(2) from exc


def load_book(faq_dir: Path | None) -> FaqBook:
    directory = faq_dir or load_settings().faq_dir
    book, problems = load_faq_dir(directory)
    for problem in problems:
        typer.echo(texts.WARNING.format(problem=problem), err=True)
    if not book.entries:
        typer.echo(texts.FAQ_NOT_LOADED.format(directory=directory), err=True)
        raise typer.Exit(1)
    return book


def open_engine():
    from bot.db import create_db_engine, upgrade_database

    settings = load_settings()
    try:
        engine = create_db_engine(settings.database_url)
        upgrade_database(engine)
    except Exception as exc:
        typer.echo(texts.DB_UNAVAILABLE.format(error=exc), err=True)
        raise typer.Exit(1) from exc
    return engine
