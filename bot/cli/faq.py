"""`dcbot faq check | stale | eval`: validating the FAQ files and measuring the matcher."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from bot.cli.common import (
    FaqDirOption,
    TodayOption,
    faq_app,
    load_book,
    load_settings,
    print_table,
)
from bot.knowledge.faq_files import load_faq_dir, stale_entries, unsourced_entries
from bot.knowledge.matcher import Matcher
from bot.knowledge.query_analysis import bundled_abbreviations
from bot.texts import admins as texts


@faq_app.command("check")
def faq_check(faq_dir: Path | None = FaqDirOption, today: str | None = TodayOption) -> None:
    """Validate the FAQ files; exit 1 naming every bad file and entry."""
    directory = faq_dir or load_settings().faq_dir
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
            bundled=len(bundled_abbreviations().keys() - book.synonyms.keys()),
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
    return datetime.now(load_settings().zone).date()


def _staleness(entry) -> str:
    if entry.checked is None:
        return texts.NEVER_CHECKED
    return texts.CHECKED_LONG_AGO.format(checked=entry.checked)


@faq_app.command("stale")
def faq_stale(faq_dir: Path | None = FaqDirOption, today: str | None = TodayOption) -> None:
    """Entries whose facts were last checked more than 12 months ago (or never)."""
    book = load_book(faq_dir)
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


def _print_summary(summary: dict, extra: list[list[str]] | None = None) -> None:
    cases = f"{summary['cases']} ({summary['in_scope']} in scope, {summary['out_of_scope']} out)"
    rows = [["cases", cases, ""]]
    rows += [[key, f"{summary[key] * 100:.1f}%", meaning] for key, meaning in EVAL_METRICS]
    print_table(texts.EVAL_TITLE, list(texts.EVAL_COLUMNS), rows + (extra or []))


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
    matcher = Matcher(load_book(faq_dir))
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
    decision = matcher.decision.report
    threshold = [
        [
            "answer_threshold",
            f"{decision.get('answer_threshold', 0):.3f}",
            f"fitted on {decision.get('cases', 0)} cases",
        ]
    ]
    _print_summary(report.summary, threshold if decision else None)
    shown = report.confusions if show_misses else report.confusions[:15]
    if shown:
        print_table(
            texts.CONFUSIONS_TITLE,
            list(texts.CONFUSION_COLUMNS),
            [[a, b, str(n)] for a, b, n in shown],
        )
