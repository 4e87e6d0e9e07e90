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


def _settings() -> Settings:
    try:
        return Settings()
    except Exception as exc:  # pydantic's message is clear; a traceback is not
        typer.echo(f"Cấu hình không hợp lệ: {exc}", err=True)
        raise typer.Exit(2) from exc


def _load_book(faq_dir: Path | None, *, strict: bool = False) -> FaqBook:
    directory = faq_dir or _settings().faq_dir
    book, problems = load_faq_dir(directory)
    for problem in problems:
        typer.echo(f"cảnh báo: {problem}", err=True)
    if not book.entries or (strict and problems):
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


@faq_app.command("eval")
def faq_eval(
    cases_file: Path = typer.Argument(
        ..., help="Tệp TSV: mã_mục<TAB>câu hỏi ('-' = ngoài phạm vi)"
    ),
    faq_dir: Path | None = FaqDirOption,
    show_misses: bool = typer.Option(False, "--show-misses", help="In các câu trả lời sai"),
    as_json: bool = typer.Option(False, "--json", help="In số liệu dạng JSON"),
) -> None:
    """Accuracy of the matcher on labelled cases."""
    from bot.knowledge.evaluation import CasesFormatError, evaluate, read_cases, unknown_ids

    matcher = Matcher(_load_book(faq_dir))
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
        typer.echo(f"cases                  {summary['cases']} ({summary['in_scope']} in scope)")
        for key in (
            "overall",
            "accuracy_at_1",
            "answered_correctly",
            "confidently_wrong",
            "out_of_scope_rejected",
            "answered_or_suggested",
        ):
            typer.echo(f"{key:<22} {summary[key] * 100:6.1f}%")
    if show_misses:
        for outcome in report.misses():
            r = outcome.result
            top = ", ".join(f"{c.id}:{c.score:.2f}" for c in r.candidates)
            typer.echo(
                f"MISS line {outcome.case.line}: expected {outcome.case.expected} got "
                f"{r.status.value}/{r.entry_id} [{top}] :: {outcome.case.query}"
            )


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
    groups = unanswered_report(_engine(), since=start)
    if not groups:
        typer.echo("Không có câu hỏi nào chưa được trả lời.")
        return
    for number, group in enumerate(groups[:limit], start=1):
        last = group.last_asked.strftime("%Y-%m-%d %H:%M")
        typer.echo(f"{number:>3}. [{group.count} lần, gần nhất {last} UTC] {group.representative}")
        for example in group.examples[1:]:
            typer.echo(f"       ~ {example}")


@broadcast_app.command("create")
def broadcast_create(
    topic: str = typer.Option("thongbao", "--topic", help="thongbao | sukien | khuyenmai"),
    text_file: Path = typer.Option(..., "--text-file", help="Tệp nội dung (HTML của Telegram)"),
) -> None:
    """Queue a broadcast in the database; the running bot sends it."""
    from bot.broadcast import create_campaign
    from bot.broadcast.promotion_rules import with_ad_prefix
    from bot.citizens import parse_topic
    from bot.models import Topic
    from bot.telegram_html import html_problems

    parsed = parse_topic(topic)
    if parsed is None:
        typer.echo(f"Chủ đề không hợp lệ: {topic!r} (thongbao | sukien | khuyenmai)", err=True)
        raise typer.Exit(2)
    try:
        text = text_file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"Không đọc được {text_file}: {exc}", err=True)
        raise typer.Exit(2) from exc
    if parsed is Topic.PROMOTIONS:
        text = with_ad_prefix(text)
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
    if not reports:
        typer.echo("Chưa có chiến dịch nào.")
    for r in reports:
        typer.echo(
            f"#{r.campaign_id} {r.kind}/{r.topic} {r.status}: gửi {r.sent}/{r.total}, "
            f"không liên lạc được {r.unreachable}, lỗi {r.failed}, bỏ qua {r.skipped}, "
            f"hủy {r.cancelled}, còn chờ {r.pending}, {r.duration.total_seconds():.1f} s"
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

    from bot.schedule import check_schedules, describe_next_fires, format_next_fires

    settings = _settings()
    directory = directory or settings.schedules_dir
    facts = _facts()
    for problem in check_schedules(directory, facts):
        typer.echo(f"LỖI {problem}", err=True)
    rows = describe_next_fires(directory, datetime.now(UTC), settings.zone, count, facts)
    typer.echo(f"Giờ theo {settings.tz}:")
    for line in format_next_fires(rows):
        typer.echo(line)


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
    from bot.runner import run_bot

    run_bot(settings)


def main() -> None:
    app()
