"""FAQ editing: `dcbot faq export | import | history | learn` (bot/faq_admin)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from bot.cli.common import FaqDirOption, faq_app, load_book, load_settings, open_engine
from bot.knowledge.matcher import Matcher
from bot.texts import admins as texts
from bot.texts import teaching as teaching_texts

NowOption = typer.Option(None, "--now", hidden=True, help=texts.HELP_NOW)
ActorOption = typer.Option(None, "--actor", help=texts.HELP_ACTOR)
ACTION_NAMES = texts.ACTION_NAMES


def _clock(value: str | None):
    """The moment to act at: `--now` when given (tests), else the wall clock, aware UTC."""
    from datetime import UTC, datetime

    if not value:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        typer.echo(texts.MOMENT_INVALID.format(value=value), err=True)
        raise typer.Exit(2) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _actor_name(actor: str | None) -> str:
    import getpass

    if actor:
        return actor
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "cli"


@faq_app.command("export")
def faq_export(
    file: Path = typer.Argument(..., help=texts.HELP_EXPORT_FILE),
    faq_dir: Path | None = FaqDirOption,
) -> None:
    """Write every FAQ entry to a spreadsheet, one row per entry."""
    from bot.faq_admin.spreadsheet import SpreadsheetError, export_spreadsheet

    try:
        count = export_spreadsheet(faq_dir or load_settings().faq_dir, file)
    except SpreadsheetError as exc:
        typer.echo(texts.ERROR.format(problem=exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(texts.EXPORTED.format(count=count, file=file))


@faq_app.command("import")
def faq_import(
    file: Path = typer.Argument(..., help=texts.HELP_IMPORT_FILE),
    faq_dir: Path | None = FaqDirOption,
    dry_run: bool = typer.Option(False, "--dry-run", help=texts.HELP_DRY_RUN),
    actor: str | None = ActorOption,
    now: str | None = NowOption,
) -> None:
    """Update the FAQ files from a spreadsheet; every bad row is reported and nothing written."""
    from bot.db import session_scope
    from bot.faq_admin.edit_outcomes import FaqEditError
    from bot.faq_admin.spreadsheet import ImportRejected, import_spreadsheet
    from bot.storage.faq_changes import Actor, record_change

    directory = faq_dir or load_settings().faq_dir

    def run_import(check_only: bool):
        try:
            return import_spreadsheet(directory, file, dry_run=check_only)
        except ImportRejected as exc:
            for problem in exc.problems:
                typer.echo(texts.ERROR.format(problem=problem), err=True)
            typer.echo(
                texts.IMPORT_REJECTED.format(count=len(exc.problems), file=file.name), err=True
            )
            raise typer.Exit(1) from exc
        except FaqEditError as exc:
            typer.echo(texts.ERROR.format(problem=exc), err=True)
            raise typer.Exit(1) from exc

    report = run_import(check_only=True)
    for sheet in report.skipped_sheets:
        typer.echo(texts.SHEET_SKIPPED.format(sheet=sheet), err=True)
    if not report.changed:
        typer.echo(texts.IMPORT_NO_CHANGE.format(unchanged=report.unchanged, directory=directory))
        return
    if dry_run:
        typer.echo(report.edit.diff(), nl=False)
        typer.echo(
            texts.IMPORT_WOULD_CHANGE.format(
                entries=len(report.entries), files=len(report.edit.files)
            )
        )
        return
    engine = open_engine()  # before writing: the audit rows need their database
    report = run_import(check_only=False)
    who = Actor(name=_actor_name(actor), source="import")
    moment = _clock(now)
    with session_scope(engine) as session:
        for entry in report.entries:
            record_change(
                session,
                actor=who,
                action=entry.action,
                now=moment,
                entry_id=entry.entry_id,
                file=entry.file,
                detail={
                    "fields": list(entry.fields),
                    "spreadsheet": file.name,
                    "sheet": entry.sheet,
                    "row": entry.row,
                },
            )
    for entry in report.entries:
        what = texts.IMPORT_ADDED if entry.action == "add_entry" else texts.IMPORT_UPDATED
        typer.echo(f"{what} {entry.entry_id} ({entry.file}): {', '.join(entry.fields)}")
    if report.missing:
        typer.echo(texts.IMPORT_MISSING.format(count=len(report.missing)))
    typer.echo(
        texts.IMPORT_DONE.format(
            entries=len(report.entries),
            count=len(report.edit.files),
            files=", ".join(report.edit.files),
        )
    )


def _change_summary(change) -> str:
    from bot.storage.faq_changes import change_detail

    detail = change_detail(change)
    if change.action == "add_variant":
        return detail.get("variant") or change.question or ""
    if change.action == "update_entry":
        return texts.CHANGED_FIELDS.format(fields=", ".join(detail.get("fields", [])))
    if change.action == "add_entry":
        return detail.get("question_text") or change.question or ", ".join(detail.get("fields", []))
    return change.question or ""


@faq_app.command("history")
def faq_history(
    limit: int = typer.Option(50, "--limit", help=texts.HELP_ROW_LIMIT),
    entry: str | None = typer.Option(None, "--entry", help=texts.HELP_ENTRY),
) -> None:
    """The FAQ audit trail, newest first: who changed what, when."""
    from datetime import UTC

    from rich.console import Console
    from rich.table import Table

    from bot.db import session_scope
    from bot.storage.faq_changes import list_changes

    settings = load_settings()
    with session_scope(open_engine()) as session:
        changes = list_changes(session, limit=limit, entry_id=entry)
    if not changes:
        typer.echo(texts.NO_CHANGES)
        return
    table = Table(title=texts.CHANGES_TITLE.format(tz=settings.tz))
    for column in texts.CHANGES_COLUMNS:
        table.add_column(column, overflow="fold")
    for change in changes:
        local = change.created_at.replace(tzinfo=UTC).astimezone(settings.zone)
        who = change.actor_name + (f" ({change.actor_id})" if change.actor_id is not None else "")
        table.add_row(
            f"{local:%d/%m/%Y %H:%M}",
            who,
            change.source,
            ACTION_NAMES.get(change.action, change.action),
            change.entry_id or "",
            change.file or "",
            _change_summary(change),
        )
    Console(width=None if sys.stdout.isatty() else 200).print(table)


def _read_line(prompt: str) -> str | None:
    """One line from stdin after `prompt`; None at the end of input."""
    typer.echo(prompt, nl=False)
    line = sys.stdin.readline()
    if not line:
        typer.echo()
        return None
    return line.rstrip("\r\n")


def _read_block(prompt: str) -> str | None:
    """Lines up to one holding only '.', joined; None at the end of input."""
    typer.echo(prompt)
    lines: list[str] = []
    while True:
        line = sys.stdin.readline()
        if not line:
            return None
        line = line.rstrip("\r\n")
        if line.strip() == ".":
            return "\n".join(lines).strip()
        lines.append(line)


def _learn_new_entry(directory: Path, item) -> dict | None:
    """Ask for the new entry's category, answer and id; None to go back (or at end of input)."""
    from bot.faq_admin.yaml_editor import open_workspace

    with open_workspace(directory) as workspace:
        categories = workspace.categories()
    typer.echo(texts.TEACH_CATEGORIES)
    for number, category in enumerate(categories, 1):
        typer.echo(f"  [{number}] {category}")
    choice = _read_line(texts.TEACH_PICK_CATEGORY)
    if not choice or not choice.strip():
        return None
    choice = choice.strip()
    if choice.isdigit() and 1 <= int(choice) <= len(categories):
        category = categories[int(choice) - 1]
    else:
        category = choice
    if item.suggested_answer:
        typer.echo(teaching_texts.ITEM_OFFICIAL_ANSWER.format(answer=item.suggested_answer))
    answer = _read_block(texts.TEACH_TYPE_ANSWER)
    if answer is None:
        return None
    if not answer:
        typer.echo(texts.TEACH_EMPTY_ANSWER)
        return {}
    with open_workspace(directory) as workspace:
        suggested = workspace.suggest_id(item.text, category)
    entry_id = _read_line(texts.TEACH_ENTRY_ID.format(suggested=suggested))
    if entry_id is None:
        return None
    return {"category": category, "answer": answer, "entry_id": entry_id.strip() or suggested}


@faq_app.command("learn")
def faq_learn(
    faq_dir: Path | None = FaqDirOption,
    actor: str | None = ActorOption,
    now: str | None = NowOption,
) -> None:
    """Teach the FAQ in the terminal, like /hoc: one question at a time, most asked first."""
    from bot.db import session_scope
    from bot.faq_admin import teaching, teaching_queue
    from bot.faq_admin.edit_outcomes import FaqEditError, FaqValidationError
    from bot.storage.faq_changes import Actor, QuestionAlreadyHandled

    settings = load_settings()
    directory = faq_dir or settings.faq_dir
    engine = open_engine()
    who = Actor.cli(_actor_name(actor))
    matcher = Matcher(load_book(directory))
    taught = 0
    while True:
        moment = _clock(now)
        with session_scope(engine) as session:
            item = teaching_queue.next_question(session, matcher, now=moment)
        if item is None:
            typer.echo(texts.TEACH_DONE.format(taught=taught))
            return
        typer.echo("")
        for line in teaching_queue.describe_item(item, matcher, settings.zone):
            typer.echo(line)
        for number, choice in enumerate(item.candidates, 1):
            typer.echo(f"  [{number}] {choice.label(200)} ({choice.entry_id})")
        typer.echo(f"  [m] {teaching.NEW_ENTRY_LABEL}")
        typer.echo(f"  [b] {teaching.SKIP_LABEL}")
        typer.echo(texts.TEACH_QUIT_CHOICE)
        answer = _read_line(texts.TEACH_CHOOSE)
        if answer is None or answer.strip().lower() in texts.TEACH_QUIT_WORDS:
            typer.echo(texts.TEACH_PAUSED.format(taught=taught))
            return
        answer = answer.strip().lower()
        try:
            if answer.isdigit() and 1 <= int(answer) <= len(item.candidates):
                target = item.candidates[int(answer) - 1]
                with session_scope(engine) as session:
                    outcome = teaching.teach_variant(
                        session, directory, item, target.entry_id, actor=who, now=moment
                    )
                if outcome.edit.changed:
                    typer.echo(
                        texts.TEACH_VARIANT_ADDED.format(entry=target.entry_id, file=outcome.file)
                    )
                else:
                    typer.echo(texts.TEACH_VARIANT_KNOWN.format(entry=target.entry_id))
            elif answer == "m":
                values = _learn_new_entry(directory, item)
                if values is None:
                    typer.echo(texts.TEACH_PAUSED.format(taught=taught))
                    return
                if not values:
                    continue
                with session_scope(engine) as session:
                    outcome = teaching.teach_new_entry(
                        session, directory, item, actor=who, now=moment, **values
                    )
                typer.echo(
                    texts.TEACH_ENTRY_CREATED.format(entry=outcome.entry_id, file=outcome.file)
                )
            elif answer == "b":
                with session_scope(engine) as session:
                    outcome = teaching.teach_skip(session, item, actor=who, now=moment)
                typer.echo(texts.TEACH_SKIPPED)
            else:
                typer.echo(texts.TEACH_UNKNOWN_CHOICE)
                continue
        except QuestionAlreadyHandled:
            typer.echo(texts.TEACH_TAKEN)
            continue
        except FaqValidationError as exc:
            typer.echo(texts.TEACH_EDIT_INVALID)
            for problem in exc.problems:
                typer.echo(f"  {problem}")
            continue
        except FaqEditError as exc:
            typer.echo(texts.ERROR.format(problem=exc))
            continue
        taught += 1
        for change in outcome.edit.changes:
            for line in change.diff().splitlines()[2:]:
                if line.startswith("+"):
                    typer.echo(f"   {line}")
        if outcome.answers_now is False:
            typer.echo(texts.TEACH_STILL_UNSURE)
        if outcome.edit.changed:
            matcher = Matcher(load_book(directory))
