"""Top-level commands: ask, chat and run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from bot.cli.common import FaqDirOption, app, load_book, load_settings
from bot.knowledge.matcher import Matcher
from bot.texts import admins as texts


@app.command()
def ask(
    question: str | None = typer.Argument(None, help=texts.HELP_ASK_QUESTION),
    faq_dir: Path | None = FaqDirOption,
    as_json: bool = typer.Option(False, "--json", help=texts.HELP_ASK_JSON),
) -> None:
    """Match one question, or one question per stdin line (JSON lines out)."""
    matcher = Matcher(load_book(faq_dir))
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

    run_console(Matcher(load_book(faq_dir)))


@app.command()
def run() -> None:
    """Run the Telegram bot (long polling, or a webhook when WEBHOOK_URL is set)."""
    settings = load_settings()
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
