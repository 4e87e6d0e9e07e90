"""Accuracy of the bundled FAQ on the labelled citizen questions, with a margin below the
measured numbers (README). "Overall" is strict: an in-scope question counts only when answered
with the right entry, an out-of-scope one only when not answered. The decision is fitted at load
time on cases generated from the FAQ; its few constants were chosen on the dev split only. The
held-out splits were written separately and are never used for tuning."""

import dataclasses
from pathlib import Path

import pytest

from bot.knowledge.evaluation import evaluate, read_cases
from bot.knowledge.faq_files import FaqBook, load_faq_strict
from bot.knowledge.matcher import Matcher

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data"

# split: (overall, confidently wrong at most, out-of-scope rejected, helpful) floors
FLOORS = {
    "cases_dev.tsv": (0.92, 0.015, 0.94, 0.97),
    "cases_heldout.tsv": (0.92, 0.015, 0.90, 0.97),
    "cases_heldout_v2.tsv": (0.91, 0.015, 0.90, 0.97),
}
# The same questions against the bundled FAQ stripped to its question and one variant per
# entry (how a busy admin writes a FAQ): the decision must stay careful there.
POOR_FLOORS = {
    "cases_dev.tsv": (0.72, 0.035, 0.95, 0.92),
    "cases_heldout.tsv": (0.66, 0.03, 0.86, 0.91),
}


def assert_floors(report, floors: tuple[float, float, float, float]) -> None:
    """(overall, confidently wrong at most, out-of-scope rejected, helpful) floors."""
    overall, wrong, rejected, helpful = floors
    summary = report.summary()
    assert report.overall >= overall, summary
    assert report.confidently_wrong <= wrong, summary
    assert report.out_of_scope_rejected >= rejected, summary
    assert report.helpful >= helpful, summary


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_faq_strict(ROOT / "faq"))


@pytest.fixture(scope="module")
def poor_matcher(matcher: Matcher) -> Matcher:
    book = matcher.book
    return Matcher(
        FaqBook(
            {k: dataclasses.replace(e, variants=e.variants[:1]) for k, e in book.entries.items()},
            book.synonyms,
            book.phrases,
        )
    )


@pytest.mark.parametrize("split", sorted(FLOORS))
def test_accuracy_on_labelled_questions(matcher: Matcher, split: str) -> None:
    cases = read_cases(DATA / split)
    assert len(cases) >= 150
    assert all(c.expected == "-" or c.expected in matcher.book.entries for c in cases)
    report = evaluate(matcher, cases)
    assert_floors(report, FLOORS[split])


def test_accuracy_with_half_the_entries_reduced_to_their_question(matcher: Matcher) -> None:
    """A FAQ being extended: new entries have a question and an answer, nothing else."""
    book = matcher.book
    mixed = Matcher(
        FaqBook(
            {
                k: dataclasses.replace(e, variants=(), keywords=()) if i % 2 else e
                for i, (k, e) in enumerate(book.entries.items())
            },
            book.synonyms,
            book.phrases,
        )
    )
    summary = evaluate(mixed, read_cases(DATA / "cases_dev.tsv")).summary()
    assert summary["overall"] >= 0.74, summary
    assert summary["confidently_wrong"] <= 0.045, summary
    assert summary["helpful"] >= 0.89, summary


@pytest.mark.parametrize("split", sorted(POOR_FLOORS))
def test_accuracy_with_one_variant_per_entry(poor_matcher: Matcher, split: str) -> None:
    report = evaluate(poor_matcher, read_cases(DATA / split))
    assert_floors(report, POOR_FLOORS[split])


def test_labelled_questions_are_written_like_citizens_type() -> None:
    import unicodedata

    cases = [
        c for split in ("cases_dev.tsv", "cases_heldout.tsv") for c in read_cases(DATA / split)
    ]
    unaccented = [
        c
        for c in cases
        if "đ" not in c.query.lower()
        and not any(unicodedata.combining(ch) for ch in unicodedata.normalize("NFD", c.query))
    ]
    assert len(cases) >= 250
    assert len(unaccented) / len(cases) >= 0.40
    assert sum(c.expected == "-" for c in cases) >= 30


# FAQs the team did not write, each with questions by another writer who saw only its
# questions and answers (README: 86.4% / 92.1% strict, December 3).
FOREIGN_FLOORS = {
    ("foreign_faq", "cases_foreign_heldout.tsv"): (0.80, 0.03, 0.88, 0.95),
    ("foreign_faq2", "cases_foreign2_heldout.tsv"): (0.87, 0.025, 0.85, 0.95),
}


@pytest.mark.parametrize(("faq", "split"), sorted(FOREIGN_FLOORS))
def test_accuracy_on_faqs_the_team_did_not_write(faq: str, split: str) -> None:
    foreign = Matcher(load_faq_strict(DATA / faq))
    cases = read_cases(DATA / split)
    assert len(cases) >= 200
    assert all(c.expected == "-" or c.expected in foreign.book.entries for c in cases)
    report = evaluate(foreign, cases)
    assert_floors(report, FOREIGN_FLOORS[(faq, split)])
