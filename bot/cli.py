"""The command line: run, chat, ask, faq, db, report, broadcast, schedules."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from bot.config import Settings
from bot.knowledge.faq_files import FaqBook, load_faq_dir, stale_entries, unsourced_entries
from bot.knowledge.matcher import Matcher
from bot.texts import admins as texts
from bot.texts import teaching as teaching_texts

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


def _print_table(
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


def _settings() -> Settings:
    try:
        return Settings()
    except Exception as exc:  # pydantic's message is clear; a traceback is not
        typer.echo(texts.CONFIG_INVALID.format(error=exc), err=True)
        raise typer.Exit(2) from exc


def _load_book(faq_dir: Path | None) -> FaqBook:
    directory = faq_dir or _settings().faq_dir
    book, problems = load_faq_dir(directory)
    for problem in problems:
        typer.echo(texts.WARNING.format(problem=problem), err=True)
    if not book.entries:
        typer.echo(texts.FAQ_NOT_LOADED.format(directory=directory), err=True)
        raise typer.Exit(1)
    return book


@app.command()
def ask(
    question: str | None = typer.Argument(None, help=texts.HELP_ASK_QUESTION),
    faq_dir: Path | None = FaqDirOption,
    as_json: bool = typer.Option(False, "--json", help=texts.HELP_ASK_JSON),
) -> None:
    """Match one question, or one question per stdin line (JSON lines out)."""
    matcher = Matcher(_load_book(faq_dir))
    if question is None:
        for line in sys.stdin:
            query = line.rstrip("\r\n")
            sys.stdout.write(json.dumps(matcher.match(query).as_dict(), ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return
    result = matcher.match(question)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    from bot.chat_console import render_plain
    from bot.replies import reply_for_match

    typer.echo(f"[{result.status.value} {result.score:.2f}]")
    typer.echo(render_plain(reply_for_match(matcher.book, result)))


@app.command()
def chat(faq_dir: Path | None = FaqDirOption) -> None:
    """Chat in the terminal with the same replies the Telegram bot gives (no token needed)."""
    from bot.chat_console import run_console

    run_console(Matcher(_load_book(faq_dir)))


@faq_app.command("check")
def faq_check(faq_dir: Path | None = FaqDirOption, today: str | None = TodayOption) -> None:
    """Validate the FAQ files; exit 1 naming every bad file and entry."""
    directory = faq_dir or _settings().faq_dir
    book, problems = load_faq_dir(directory)
    for problem in problems:
        typer.echo(texts.ERROR.format(problem=problem), err=True)
    if problems:
        typer.echo(texts.PROBLEM_COUNT.format(count=len(problems), directory=directory), err=True)
        raise typer.Exit(1)
    for entry in unsourced_entries(book):
        typer.echo(texts.ENTRY_UNSOURCED.format(file=entry.source_file, entry=entry.id), err=True)
    for entry in stale_entries(book, _today(today)):
        typer.echo(
            texts.ENTRY_STALE_WARNING.format(
                file=entry.source_file, entry=entry.id, staleness=_staleness(entry)
            ),
            err=True,
        )
    typer.echo(
        texts.FAQ_OK.format(
            entries=len(book.entries),
            categories=len(book.categories),
            synonyms=len(book.synonyms),
        )
    )


def _today(value: str | None):
    from datetime import date, datetime

    if value:
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            typer.echo(texts.DATE_INVALID.format(value=value), err=True)
            raise typer.Exit(2) from exc
    return datetime.now(_settings().zone).date()


def _staleness(entry) -> str:
    if entry.checked is None:
        return texts.NEVER_CHECKED
    return texts.CHECKED_LONG_AGO.format(checked=entry.checked)


@faq_app.command("stale")
def faq_stale(faq_dir: Path | None = FaqDirOption, today: str | None = TodayOption) -> None:
    """Entries whose facts were last checked more than 12 months ago (or never)."""
    book = _load_book(faq_dir)
    stale = stale_entries(book, _today(today))
    for entry in stale:
        typer.echo(f"{entry.source_file} [{entry.id}]: {_staleness(entry)}")
    typer.echo(texts.STALE_COUNT.format(stale=len(stale), total=len(book.entries)))


EVAL_METRICS = (
    ("overall", "strict: in scope answered right, out of scope not answered"),
    ("helpful", "in scope answered right or the right entry suggested"),
    ("accuracy_at_1", "in scope answered with the right entry"),
    ("rank_at_1", "right entry ranked first"),
    ("recall_at_3", "right entry among the first three"),
    ("confidently_wrong", "in scope answered with a wrong entry"),
    ("out_of_scope_rejected", "out of scope not answered"),
)


def _print_summary(summary: dict) -> None:
    typer.echo(
        f"{'cases':<22} {summary['cases']} ({summary['in_scope']} in scope, "
        f"{summary['out_of_scope']} out of scope)"
    )
    for key, meaning in EVAL_METRICS:
        typer.echo(f"{key:<22} {summary[key] * 100:6.1f}%   {meaning}")


@faq_app.command("eval")
def faq_eval(
    cases_file: Path | None = typer.Argument(None, help=texts.HELP_EVAL_CASES),
    faq_dir: Path | None = FaqDirOption,
    self_check: bool = typer.Option(False, "--self", help=texts.HELP_EVAL_SELF),
    show_misses: bool = typer.Option(False, "--show-misses", help=texts.HELP_EVAL_SHOW_MISSES),
    as_json: bool = typer.Option(False, "--json", help=texts.HELP_EVAL_JSON),
) -> None:
    """Accuracy of the matcher on labelled cases, or on cases generated from the FAQ (--self)."""
    from bot.knowledge.evaluation import CasesFormatError, evaluate, read_cases, unknown_ids

    if cases_file is None and not self_check:
        typer.echo(texts.EVAL_NEEDS_CASES, err=True)
        raise typer.Exit(2)
    matcher = Matcher(_load_book(faq_dir))
    if self_check:
        _faq_self_check(matcher, show_misses, as_json)
        if cases_file is None:
            return
    try:
        cases = read_cases(cases_file)
    except (OSError, CasesFormatError) as exc:
        typer.echo(texts.CASES_UNREADABLE.format(error=exc), err=True)
        raise typer.Exit(1) from exc
    for case in unknown_ids(cases, matcher):
        typer.echo(texts.CASE_UNKNOWN_ENTRY.format(line=case.line, entry=case.expected), err=True)
    report = evaluate(matcher, cases)
    summary = report.summary()
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        _print_summary(summary)
    if show_misses:
        for outcome in report.misses():
            r = outcome.result
            top = ", ".join(f"{c.id}:{c.score:.2f}" for c in r.candidates)
            typer.echo(
                f"MISS line {outcome.case.line}: expected {outcome.case.expected} got "
                f"{r.status.value}/{r.entry_id} [{top}] :: {outcome.case.query}"
            )


def _faq_self_check(matcher: Matcher, show_misses: bool, as_json: bool) -> None:
    """Health report from self-supervised cases: figures and the entries confused together."""
    from bot.knowledge.calibration import self_check

    report = self_check(matcher)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    **report.summary,
                    "confusions": [
                        {"entry": a, "ranked_first": b, "count": n} for a, b, n in report.confusions
                    ],
                },
                ensure_ascii=False,
            )
        )
        return
    typer.echo(texts.SELF_EVAL_INTRO_1)
    typer.echo(texts.SELF_EVAL_INTRO_2)
    _print_summary(report.summary)
    decision = matcher.decision.report
    if decision:
        typer.echo(
            f"{'answer_threshold':<22} {decision.get('answer_threshold', 0):6.3f}    "
            f"fitted on {decision.get('cases', 0)} cases"
        )
    shown = report.confusions if show_misses else report.confusions[:15]
    if shown:
        typer.echo(texts.CONFUSIONS_TITLE)
        for a, b, n in shown:
            typer.echo(f"  {a} -> {b}: {n}")


def _engine():
    from bot.db import create_db_engine, upgrade_database

    settings = _settings()
    try:
        engine = create_db_engine(settings.database_url)
        upgrade_database(engine)
    except Exception as exc:
        typer.echo(texts.DB_UNAVAILABLE.format(error=exc), err=True)
        raise typer.Exit(1) from exc
    return engine


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations (also done automatically at start)."""
    from bot.db import database_revision

    engine = _engine()
    typer.echo(texts.DB_OK.format(revision=database_revision(engine)))


@report_app.command("unanswered")
def report_unanswered(
    since: str | None = typer.Option(None, "--since", help=texts.HELP_SINCE),
    limit: int = typer.Option(50, "--limit", help=texts.HELP_GROUP_LIMIT),
) -> None:
    """Unanswered questions grouped by similarity, most frequent first."""
    from datetime import datetime

    from bot.insight import unanswered_report

    settings = _settings()
    start = None
    if since:
        try:
            start = datetime.fromisoformat(since).replace(tzinfo=settings.zone)
        except ValueError as exc:
            typer.echo(texts.DATE_INVALID.format(value=since), err=True)
            raise typer.Exit(2) from exc
    from bot.db import in_session

    groups = in_session(_engine(), unanswered_report, since=start)
    if not groups:
        typer.echo(texts.NO_UNANSWERED)
        return
    _print_table(
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


@broadcast_app.command("create")
def broadcast_create(
    topic: str = typer.Option("thongbao", "--topic", help="thongbao | sukien | khuyenmai"),
    text_file: Path = typer.Option(..., "--text-file", help=texts.HELP_TEXT_FILE),
) -> None:
    """Queue a broadcast in the database; the running bot sends it."""
    from bot.broadcast import create_campaign
    from bot.broadcast.promotion_rules import labelled
    from bot.telegram_html import html_problems
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
    text = labelled(parsed, text)
    problems = html_problems(text)
    if problems:
        for problem in problems:
            typer.echo(texts.FILE_ERROR.format(file=text_file, problem=problem), err=True)
        raise typer.Exit(1)
    campaign = create_campaign(_engine(), topic=parsed, text=text, created_by=None)
    typer.echo(texts.CAMPAIGN_QUEUED.format(id=campaign.id, total=campaign.total))


@broadcast_app.command("status")
def broadcast_status(
    campaign_id: int | None = typer.Argument(None, help=texts.HELP_CAMPAIGN_ID),
) -> None:
    """Numbers of one campaign, or of the recent ones."""
    from bot.broadcast import campaign_report, recent_campaigns

    engine = _engine()
    if campaign_id is None:
        reports = recent_campaigns(engine, 10)
    else:
        report = campaign_report(engine, campaign_id)
        if report is None:
            typer.echo(texts.CAMPAIGN_NOT_FOUND.format(id=campaign_id), err=True)
            raise typer.Exit(1)
        reports = [report]
    _print_table(
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
    campaign_id: int = typer.Argument(..., help="Số chiến dịch"),
    as_csv: bool = typer.Option(False, "--csv", help="Ghi tệp CSV: chat, trạng thái, lỗi, giờ"),
    out: Path | None = typer.Option(
        None, "--out", help="Đường dẫn tệp (mặc định chien-dich-ID.csv)"
    ),
) -> None:
    """One campaign's numbers; with --csv, the per-chat file officials get in Telegram."""
    from bot.broadcast import campaign_report
    from bot.broadcast.csv_report import campaign_csv, csv_name

    engine = _engine()
    report = campaign_report(engine, campaign_id)
    if report is None:
        typer.echo(f"Không có chiến dịch #{campaign_id}.", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"#{report.campaign_id} {report.topic} {report.status}: gửi {report.sent}/{report.total}, "
        f"không liên lạc được {report.unreachable}, lỗi {report.failed}, bỏ qua {report.skipped}"
    )
    if as_csv:
        path = out or Path(csv_name(campaign_id))
        try:
            path.write_bytes(campaign_csv(engine, campaign_id, _settings().zone))
        except OSError as exc:
            typer.echo(f"Không ghi được {path}: {exc}", err=True)
            raise typer.Exit(1) from exc
        typer.echo(f"Đã ghi {path}.")


def _facts() -> dict[str, str]:
    from bot.facts import FACTS_FILE, FactsError, load_facts

    try:
        return load_facts(_settings().faq_dir / FACTS_FILE)
    except FactsError as exc:
        typer.echo(texts.ERROR.format(problem=exc), err=True)
        raise typer.Exit(1) from exc


SchedulesDirOption = typer.Option(None, "--dir", help=texts.HELP_SCHEDULES_DIR)


@schedules_app.command("check")
def schedules_check(directory: Path | None = SchedulesDirOption) -> None:
    """Validate the schedule files; exit 1 naming every bad file and notice."""
    from bot.schedule import check_schedules, load_schedules

    directory = directory or _settings().schedules_dir
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

    settings = _settings()
    directory = directory or settings.schedules_dir
    facts = _facts()
    for problem in check_schedules(directory, facts):
        typer.echo(texts.ERROR.format(problem=problem), err=True)
    rows = describe_next_fires(directory, datetime.now(UTC), settings.zone, count, facts)
    _print_table(
        texts.NEXT_FIRES_TITLE.format(tz=settings.tz),
        list(texts.NEXT_FIRES_COLUMNS),
        [[r.notice_id, r.topic, r.label, fire_times_text(r)] for r in rows],
        empty=texts.NO_NOTICES,
    )


@app.command()
def run() -> None:
    """Run the Telegram bot (long polling, or a webhook when WEBHOOK_URL is set)."""
    settings = _settings()
    if not settings.token_is_valid():
        what = (
            texts.TOKEN_MISSING
            if not settings.telegram_bot_token.strip()
            else texts.TOKEN_MALFORMED
        )
        typer.echo(
            texts.TOKEN_INVALID.format(what=what),
            err=True,
        )
        raise typer.Exit(2)
    from bot.leadership.single_instance import AlreadyRunningError
    from bot.runner import run_bot

    try:
        run_bot(settings)
    except AlreadyRunningError as exc:
        typer.echo(
            texts.ALREADY_RUNNING.format(error=exc),
            err=True,
        )
        raise typer.Exit(1) from exc


def main() -> None:
    app()


# --- FAQ editing: spreadsheets, audit history, teaching (bot/faq_admin) ---------------------

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
        count = export_spreadsheet(faq_dir or _settings().faq_dir, file)
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

    directory = faq_dir or _settings().faq_dir

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
    engine = _engine()  # before writing: the audit rows need their database
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

    settings = _settings()
    with session_scope(_engine()) as session:
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

    settings = _settings()
    directory = faq_dir or settings.faq_dir
    engine = _engine()
    who = Actor.cli(_actor_name(actor))
    matcher = Matcher(_load_book(directory))
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
            matcher = Matcher(_load_book(directory))
