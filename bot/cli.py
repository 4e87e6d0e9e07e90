"""The command line: run, chat, ask, faq, db, report, broadcast, schedules."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from bot.config import Settings
from bot.knowledge.faq_files import FaqBook, load_faq_dir, stale_entries, unsourced_entries
from bot.knowledge.matcher import Matcher

app = typer.Typer(help="Công Dân Số Bot", no_args_is_help=True, add_completion=False)
faq_app = typer.Typer(help="Kiểm tra và đánh giá bộ câu hỏi (FAQ).", no_args_is_help=True)
app.add_typer(faq_app, name="faq")
db_app = typer.Typer(help="Cơ sở dữ liệu.", no_args_is_help=True)
app.add_typer(db_app, name="db")
schedules_app = typer.Typer(help="Lịch thông báo (schedules/).", no_args_is_help=True)
app.add_typer(schedules_app, name="schedules")
broadcast_app = typer.Typer(help="Gửi thông báo tới người đăng ký.", no_args_is_help=True)
app.add_typer(broadcast_app, name="broadcast")
report_app = typer.Typer(help="Báo cáo cho quản trị viên.", no_args_is_help=True)
app.add_typer(report_app, name="report")

FaqDirOption = typer.Option(None, "--faq-dir", help="Thư mục FAQ (mặc định FAQ_DIR hoặc faq/)")
TodayOption = typer.Option(None, "--today", help="Ngày tham chiếu YYYY-MM-DD (mặc định hôm nay)")


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
        typer.echo(f"Cấu hình không hợp lệ: {exc}", err=True)
        raise typer.Exit(2) from exc


def _load_book(faq_dir: Path | None) -> FaqBook:
    directory = faq_dir or _settings().faq_dir
    book, problems = load_faq_dir(directory)
    for problem in problems:
        typer.echo(f"cảnh báo: {problem}", err=True)
    if not book.entries:
        typer.echo(f"Không nạp được FAQ từ {directory}.", err=True)
        raise typer.Exit(1)
    return book


@app.command()
def ask(
    question: str | None = typer.Argument(None, help="Câu hỏi; bỏ trống để đọc từng dòng từ stdin"),
    faq_dir: Path | None = FaqDirOption,
    as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON"),
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
        typer.echo(f"LỖI {problem}", err=True)
    if problems:
        typer.echo(f"{len(problems)} lỗi trong {directory}.", err=True)
        raise typer.Exit(1)
    for entry in unsourced_entries(book):
        typer.echo(f"cảnh báo {entry.source_file} [{entry.id}]: chưa có 'sources'", err=True)
    for entry in stale_entries(book, _today(today)):
        typer.echo(f"cảnh báo {entry.source_file} [{entry.id}]: {_staleness(entry)}", err=True)
    typer.echo(
        f"OK: {len(book.entries)} mục, {len(book.categories)} chủ đề, {len(book.synonyms)} từ viết tắt."
    )


def _today(value: str | None):
    from datetime import date, datetime

    if value:
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            typer.echo(f"Ngày không hợp lệ: {value!r} (cần dạng YYYY-MM-DD)", err=True)
            raise typer.Exit(2) from exc
    return datetime.now(_settings().zone).date()


def _staleness(entry) -> str:
    if entry.checked is None:
        return "chưa ghi 'checked' (tháng kiểm tra gần nhất)"
    return f"kiểm tra lần cuối {entry.checked:%Y-%m}, đã quá 12 tháng"


@faq_app.command("stale")
def faq_stale(faq_dir: Path | None = FaqDirOption, today: str | None = TodayOption) -> None:
    """Entries whose facts were last checked more than 12 months ago (or never)."""
    book = _load_book(faq_dir)
    stale = stale_entries(book, _today(today))
    for entry in stale:
        typer.echo(f"{entry.source_file} [{entry.id}]: {_staleness(entry)}")
    typer.echo(f"{len(stale)}/{len(book.entries)} mục cần kiểm tra lại.")


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
    cases_file: Path | None = typer.Argument(
        None, help="Tệp TSV: mã_mục<TAB>câu hỏi ('-' = ngoài phạm vi)"
    ),
    faq_dir: Path | None = FaqDirOption,
    self_check: bool = typer.Option(
        False, "--self", help="Tự kiểm tra bằng câu hỏi sinh từ chính FAQ (không cần tệp nhãn)"
    ),
    show_misses: bool = typer.Option(False, "--show-misses", help="In các câu trả lời sai"),
    as_json: bool = typer.Option(False, "--json", help="In số liệu dạng JSON"),
) -> None:
    """Accuracy of the matcher on labelled cases, or on cases generated from the FAQ (--self)."""
    from bot.knowledge.evaluation import CasesFormatError, evaluate, read_cases, unknown_ids

    if cases_file is None and not self_check:
        typer.echo("Cần tệp nhãn (CASES.tsv) hoặc --self.", err=True)
        raise typer.Exit(2)
    matcher = Matcher(_load_book(faq_dir))
    if self_check:
        _faq_self_check(matcher, show_misses, as_json)
        if cases_file is None:
            return
    try:
        cases = read_cases(cases_file)
    except (OSError, CasesFormatError) as exc:
        typer.echo(f"Không đọc được tệp nhãn: {exc}", err=True)
        raise typer.Exit(1) from exc
    for case in unknown_ids(cases, matcher):
        typer.echo(f"cảnh báo: dòng {case.line}: mã '{case.expected}' không có trong FAQ", err=True)
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
    typer.echo(
        "Tự kiểm tra: mỗi cách hỏi được giấu đi rồi hỏi lại (gõ không dấu, viết tắt, sai chính tả...),"
    )
    typer.echo("kèm câu ngoài phạm vi và mục bị giấu hẳn.")
    _print_summary(report.summary)
    decision = matcher.decision.report
    if decision:
        typer.echo(
            f"{'answer_threshold':<22} {decision.get('answer_threshold', 0):6.3f}    "
            f"fitted on {decision.get('cases', 0)} cases"
        )
    shown = report.confusions if show_misses else report.confusions[:15]
    if shown:
        typer.echo("Các mục hay bị nhầm (mục bị giấu -> mục xếp đầu, số lần):")
        for a, b, n in shown:
            typer.echo(f"  {a} -> {b}: {n}")


def _engine():
    from bot.db import create_db_engine, upgrade_database

    settings = _settings()
    try:
        engine = create_db_engine(settings.database_url)
        upgrade_database(engine)
    except Exception as exc:
        typer.echo(f"Không kết nối/nâng cấp được cơ sở dữ liệu: {exc}", err=True)
        raise typer.Exit(1) from exc
    return engine


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations (also done automatically at start)."""
    from bot.db import database_revision

    engine = _engine()
    typer.echo(f"OK: cơ sở dữ liệu ở phiên bản {database_revision(engine)}.")


@report_app.command("unanswered")
def report_unanswered(
    since: str | None = typer.Option(None, "--since", help="Từ ngày (YYYY-MM-DD), giờ địa phương"),
    limit: int = typer.Option(50, "--limit", help="Số nhóm tối đa"),
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
            typer.echo(f"Ngày không hợp lệ: {since!r} (cần dạng YYYY-MM-DD)", err=True)
            raise typer.Exit(2) from exc
    from bot.db import in_session

    groups = in_session(_engine(), unanswered_report, since=start)
    if not groups:
        typer.echo("Không có câu hỏi nào chưa được trả lời.")
        return
    _print_table(
        "Câu hỏi chưa trả lời được",
        ["#", "Số lần", "Gần nhất (UTC)", "Câu hỏi (và cách hỏi khác)"],
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
    text_file: Path = typer.Option(..., "--text-file", help="Tệp nội dung (HTML của Telegram)"),
) -> None:
    """Queue a broadcast in the database; the running bot sends it."""
    from bot.broadcast import create_campaign
    from bot.broadcast.promotion_rules import labelled
    from bot.telegram_html import html_problems
    from bot.topics import parse_topic

    parsed = parse_topic(topic)
    if parsed is None:
        typer.echo(f"Chủ đề không hợp lệ: {topic!r} (thongbao | sukien | khuyenmai)", err=True)
        raise typer.Exit(2)
    try:
        text = text_file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"Không đọc được {text_file}: {exc}", err=True)
        raise typer.Exit(2) from exc
    text = labelled(parsed, text)
    problems = html_problems(text)
    if problems:
        for problem in problems:
            typer.echo(f"LỖI {text_file}: {problem}", err=True)
        raise typer.Exit(1)
    campaign = create_campaign(_engine(), topic=parsed, text=text, created_by=None)
    typer.echo(f"Đã xếp hàng chiến dịch #{campaign.id}: {campaign.total} người nhận.")


@broadcast_app.command("status")
def broadcast_status(campaign_id: int | None = typer.Argument(None, help="Số chiến dịch")) -> None:
    """Numbers of one campaign, or of the recent ones."""
    from bot.broadcast import campaign_report, recent_campaigns

    engine = _engine()
    if campaign_id is None:
        reports = recent_campaigns(engine, 10)
    else:
        report = campaign_report(engine, campaign_id)
        if report is None:
            typer.echo(f"Không có chiến dịch #{campaign_id}.", err=True)
            raise typer.Exit(1)
        reports = [report]
    _print_table(
        "Chiến dịch",
        [
            "#",
            "Loại/chủ đề",
            "Trạng thái",
            "Đã gửi",
            "Không tới",
            "Lỗi",
            "Bỏ qua",
            "Hủy",
            "Chờ",
            "Giây",
        ],
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
        empty="Chưa có chiến dịch nào.",
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
        typer.echo(f"LỖI {exc}", err=True)
        raise typer.Exit(1) from exc


SchedulesDirOption = typer.Option(None, "--dir", help="Thư mục lịch (mặc định SCHEDULES_DIR)")


@schedules_app.command("check")
def schedules_check(directory: Path | None = SchedulesDirOption) -> None:
    """Validate the schedule files; exit 1 naming every bad file and notice."""
    from bot.schedule import check_schedules, load_schedules

    directory = directory or _settings().schedules_dir
    facts = _facts()
    problems = check_schedules(directory, facts)
    for problem in problems:
        typer.echo(f"LỖI {problem}", err=True)
    if problems:
        typer.echo(f"{len(problems)} lỗi trong {directory}.", err=True)
        raise typer.Exit(1)
    notices, _ = load_schedules(directory, facts)
    typer.echo(f"OK: {len(notices)} thông báo hợp lệ.")


@schedules_app.command("list")
def schedules_list(
    directory: Path | None = SchedulesDirOption,
    count: int = typer.Option(3, "--count", help="Số lần gửi tới cho mỗi thông báo"),
) -> None:
    """Each notice's next fire times in the bot's time zone."""
    from datetime import UTC, datetime

    from bot.schedule import check_schedules, describe_next_fires, fire_times_text

    settings = _settings()
    directory = directory or settings.schedules_dir
    facts = _facts()
    for problem in check_schedules(directory, facts):
        typer.echo(f"LỖI {problem}", err=True)
    rows = describe_next_fires(directory, datetime.now(UTC), settings.zone, count, facts)
    _print_table(
        f"Lần gửi tới (giờ {settings.tz})",
        ["Thông báo", "Chủ đề", "Loại", "Lần gửi tới"],
        [[r.notice_id, r.topic, r.label, fire_times_text(r)] for r in rows],
        empty="(không có thông báo nào)",
    )


@app.command()
def run() -> None:
    """Run the Telegram bot (long polling, or a webhook when WEBHOOK_URL is set)."""
    settings = _settings()
    if not settings.token_is_valid():
        what = "thiếu" if not settings.telegram_bot_token.strip() else "không đúng định dạng"
        typer.echo(
            f"TELEGRAM_BOT_TOKEN {what}: đặt mã bot từ @BotFather vào .env "
            "(TELEGRAM_BOT_TOKEN=123456:ABC...).",
            err=True,
        )
        raise typer.Exit(2)
    from bot.leadership import AlreadyRunningError
    from bot.runner import run_bot

    try:
        run_bot(settings)
    except AlreadyRunningError as exc:
        typer.echo(
            "Bot đang chạy ở một tiến trình khác (chế độ long polling chỉ chạy được một bản; "
            f"nhiều bản thì dùng webhook): {exc}",
            err=True,
        )
        raise typer.Exit(1) from exc


def main() -> None:
    app()


# --- FAQ editing: spreadsheets, audit history, teaching (bot/faq_admin) ---------------------

NowOption = typer.Option(None, "--now", hidden=True, help="Thời điểm ISO 8601 thay cho đồng hồ")
ActorOption = typer.Option(
    None, "--actor", help="Tên người sửa ghi vào lịch sử (mặc định tên đăng nhập)"
)
ACTION_NAMES = {
    "add_variant": "thêm cách hỏi",
    "add_entry": "thêm mục",
    "update_entry": "sửa mục",
    "skip": "bỏ qua",
}


def _clock(value: str | None):
    """The moment to act at: `--now` when given (tests), else the wall clock, aware UTC."""
    from datetime import UTC, datetime

    if not value:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        typer.echo(f"Thời điểm không hợp lệ: {value!r} (cần ISO 8601)", err=True)
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
    file: Path = typer.Argument(..., help="Tệp .xlsx (Excel) hoặc .csv"),
    faq_dir: Path | None = FaqDirOption,
) -> None:
    """Write every FAQ entry to a spreadsheet, one row per entry."""
    from bot.faq_admin.spreadsheet import SpreadsheetError, export_spreadsheet

    try:
        count = export_spreadsheet(faq_dir or _settings().faq_dir, file)
    except SpreadsheetError as exc:
        typer.echo(f"LỖI {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Đã xuất {count} mục ra {file}.")


@faq_app.command("import")
def faq_import(
    file: Path = typer.Argument(..., help="Tệp .xlsx hoặc .csv (như `dcbot faq export` ghi ra)"),
    faq_dir: Path | None = FaqDirOption,
    dry_run: bool = typer.Option(False, "--dry-run", help="Chỉ kiểm tra và in thay đổi"),
    actor: str | None = ActorOption,
    now: str | None = NowOption,
) -> None:
    """Update the FAQ files from a spreadsheet; every bad row is reported and nothing written."""
    from bot.db import session_scope
    from bot.faq_admin.spreadsheet import ImportRejected, import_spreadsheet
    from bot.faq_admin.yaml_editor import FaqEditError
    from bot.storage.faq_changes import Actor, record_change

    directory = faq_dir or _settings().faq_dir

    def run_import(check_only: bool):
        try:
            return import_spreadsheet(directory, file, dry_run=check_only)
        except ImportRejected as exc:
            for problem in exc.problems:
                typer.echo(f"LỖI {problem}", err=True)
            typer.echo(f"{len(exc.problems)} lỗi trong {file.name}; chưa ghi gì.", err=True)
            raise typer.Exit(1) from exc
        except FaqEditError as exc:
            typer.echo(f"LỖI {exc}", err=True)
            raise typer.Exit(1) from exc

    report = run_import(check_only=True)
    for sheet in report.skipped_sheets:
        typer.echo(f"bỏ qua trang tính '{sheet}' (không có cột 'id')", err=True)
    if not report.changed:
        typer.echo(f"Không có thay đổi ({report.unchanged} mục giống hệt): {directory} giữ nguyên.")
        return
    if dry_run:
        typer.echo(report.edit.diff(), nl=False)
        typer.echo(f"Sẽ sửa {len(report.entries)} mục trong {len(report.edit.files)} tệp.")
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
        what = "thêm" if entry.action == "add_entry" else "sửa"
        typer.echo(f"{what} {entry.entry_id} ({entry.file}): {', '.join(entry.fields)}")
    if report.missing:
        typer.echo(f"{len(report.missing)} mục không có trong bảng tính: giữ nguyên.")
    typer.echo(
        f"Đã cập nhật {len(report.entries)} mục trong {len(report.edit.files)} tệp: "
        f"{', '.join(report.edit.files)}."
    )


def _change_summary(change) -> str:
    from bot.storage.faq_changes import change_detail

    detail = change_detail(change)
    if change.action == "add_variant":
        return detail.get("variant") or change.question or ""
    if change.action == "update_entry":
        return "trường: " + ", ".join(detail.get("fields", []))
    if change.action == "add_entry":
        return detail.get("question_text") or change.question or ", ".join(detail.get("fields", []))
    return change.question or ""


@faq_app.command("history")
def faq_history(
    limit: int = typer.Option(50, "--limit", help="Số dòng tối đa"),
    entry: str | None = typer.Option(None, "--entry", help="Chỉ các thay đổi của một mục"),
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
        typer.echo("Chưa có thay đổi nào.")
        return
    table = Table(title=f"Lịch sử sửa FAQ (giờ {settings.tz})")
    for column in ("Thời gian", "Người", "Nguồn", "Thao tác", "Mục", "Tệp", "Nội dung"):
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
    typer.echo("Chủ đề:")
    for number, category in enumerate(categories, 1):
        typer.echo(f"  [{number}] {category}")
    choice = _read_line("Chọn số, hoặc gõ tên chủ đề mới (bỏ trống để quay lại): ")
    if not choice or not choice.strip():
        return None
    choice = choice.strip()
    if choice.isdigit() and 1 <= int(choice) <= len(categories):
        category = categories[int(choice) - 1]
    else:
        category = choice
    if item.suggested_answer:
        typer.echo(f"Câu trả lời của cán bộ: {item.suggested_answer}")
    answer = _read_block(
        "Câu trả lời (HTML của Telegram), kết thúc bằng một dòng chỉ có dấu chấm '.':"
    )
    if answer is None:
        return None
    if not answer:
        typer.echo("Câu trả lời trống: quay lại.")
        return {}
    with open_workspace(directory) as workspace:
        suggested = workspace.suggest_id(item.text, category)
    entry_id = _read_line(f"Mã mục [{suggested}]: ")
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
    from bot.faq_admin import teaching
    from bot.faq_admin.yaml_editor import FaqEditError, FaqValidationError
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
            item = teaching.next_question(session, matcher, now=moment)
        if item is None:
            typer.echo(f"Không còn câu hỏi nào cần dạy. Đã xử lý {taught} câu.")
            return
        typer.echo("")
        for line in teaching.describe_item(item, matcher, settings.zone):
            typer.echo(line)
        for number, choice in enumerate(item.candidates, 1):
            typer.echo(f"  [{number}] {choice.label(200)} ({choice.entry_id})")
        typer.echo(f"  [m] {teaching.NEW_ENTRY_LABEL}")
        typer.echo(f"  [b] {teaching.SKIP_LABEL}")
        typer.echo("  [q] Thoát")
        answer = _read_line("Chọn: ")
        if answer is None or answer.strip().lower() in ("q", "thoat", "thoát"):
            typer.echo(f"Tạm dừng. Đã xử lý {taught} câu.")
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
                    typer.echo(f"✅ Đã thêm vào mục {target.entry_id} ({outcome.file}).")
                else:
                    typer.echo(f"✅ Mục {target.entry_id} đã có cách hỏi này; đánh dấu đã xử lý.")
            elif answer == "m":
                values = _learn_new_entry(directory, item)
                if values is None:
                    typer.echo(f"Tạm dừng. Đã xử lý {taught} câu.")
                    return
                if not values:
                    continue
                with session_scope(engine) as session:
                    outcome = teaching.teach_new_entry(
                        session, directory, item, actor=who, now=moment, **values
                    )
                typer.echo(f"✅ Đã tạo mục {outcome.entry_id} trong {outcome.file}.")
            elif answer == "b":
                with session_scope(engine) as session:
                    outcome = teaching.teach_skip(session, item, actor=who, now=moment)
                typer.echo("Đã bỏ qua câu này.")
            else:
                typer.echo("Không hiểu lựa chọn; gõ số của mục, m, b hoặc q.")
                continue
        except QuestionAlreadyHandled:
            typer.echo("Câu này vừa được người khác xử lý.")
            continue
        except FaqValidationError as exc:
            typer.echo("LỖI bản sửa không hợp lệ, chưa ghi gì:")
            for problem in exc.problems:
                typer.echo(f"  {problem}")
            continue
        except FaqEditError as exc:
            typer.echo(f"LỖI {exc}")
            continue
        taught += 1
        for change in outcome.edit.changes:
            for line in change.diff().splitlines()[2:]:
                if line.startswith("+"):
                    typer.echo(f"   {line}")
        if outcome.answers_now is False:
            typer.echo("⚠️ Bot vẫn chưa trả lời chắc câu này bằng mục đó; có thể cần thêm từ khóa.")
        if outcome.edit.changed:
            matcher = Matcher(_load_book(directory))
