"""`dcbot schedules check | list`."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.cli.common import load_settings, print_table, schedules_app
from bot.texts import admins as texts


def _facts() -> dict[str, str]:
    from bot.facts import FACTS_FILE, FactsError, load_facts

    try:
        return load_facts(load_settings().faq_dir / FACTS_FILE)
    except FactsError as exc:
        typer.echo(texts.ERROR.format(problem=exc), err=True)
        raise typer.Exit(1) from exc


SchedulesDirOption = typer.Option(None, "--dir", help=texts.HELP_SCHEDULES_DIR)


@schedules_app.command("check")
def schedules_check(directory: Path | None = SchedulesDirOption) -> None:
    """Validate the schedule files; exit 1 naming every bad file and notice."""
    from bot.schedule import check_schedules, load_schedules

    directory = directory or load_settings().schedules_dir
    facts = _facts()
    problems = check_schedules(directory, facts)
    for problem in problems:
        typer.echo(texts.ERROR.format(problem=problem), err=True)
    if problems:
        typer.echo(texts.PROBLEM_COUNT.format(count=len(problems), directory=directory), err=True)
        raise typer.Exit(1)
    notices, _ = load_schedules(directory, facts)
    typer.echo(texts.SCHEDULES_OK.format(count=len(notices)))


@schedules_app.command("list")
def schedules_list(
    directory: Path | None = SchedulesDirOption,
    count: int = typer.Option(3, "--count", help=texts.HELP_FIRE_COUNT),
) -> None:
    """Each notice's next fire times in the bot's time zone."""
    from datetime import UTC, datetime

    from bot.schedule import check_schedules, describe_next_fires, fire_times_text

    settings = load_settings()
    directory = directory or settings.schedules_dir
    facts = _facts()
    for problem in check_schedules(directory, facts):
        typer.echo(texts.ERROR.format(problem=problem), err=True)
    rows = describe_next_fires(directory, datetime.now(UTC), settings.zone, count, facts)
    print_table(
        texts.NEXT_FIRES_TITLE.format(tz=settings.tz),
        list(texts.NEXT_FIRES_COLUMNS),
        [[r.notice_id, r.topic, r.label, fire_times_text(r)] for r in rows],
        empty=texts.NO_NOTICES,
    )
