"""The command line: run, chat, ask, faq, db, report, broadcast, schedules.

One module per command group; importing them registers their commands on `app`, in the order
`dcbot --help` lists them.
"""

from __future__ import annotations

from bot.cli import broadcast, db, faq, faq_edit, run, schedules  # noqa: F401
from bot.cli.common import app

__all__ = ["app", "main"]


def main() -> None:
    app()
