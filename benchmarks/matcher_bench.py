"""Matcher benchmark: every figure on every labelled split, for the bundled FAQ and the bundled
FAQ stripped to one variant per entry (the variant-poor harness), each alone and with 5,000
distractor entries in ten YAML files of 500; a FAQ the team did not write
(tests/data/foreign_faq, with its own questions; tests/data/foreign_faq2, never tuned on;
tests/data/foreign_faq4, its questions in the prior, its held-out ones never tuned on),
alone and with the distractors; load + index + calibrate time; the whole
`dcbot ask` batch (a subprocess, loading included) against brute-force rapidfuzz over every
phrasing for the same batch.

Run: python benchmarks/matcher_bench.py [--faq-dir faq] [--extra 5000] [--no-brute-force] [--only foreign]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process, utils

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.distractors import distractor_entries  # noqa: E402
from bot.knowledge.calibration import variant_poor  # noqa: E402
from bot.knowledge.evaluation import evaluate, read_cases  # noqa: E402
from bot.knowledge.faq_files import FaqBook, load_faq_dir  # noqa: E402
from bot.knowledge.matcher import Matcher  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SPLITS = {
    "dev": DATA / "cases_dev.tsv",
    "held-out": DATA / "cases_heldout.tsv",
    "held-out v2": DATA / "cases_heldout_v2.tsv",
}
FOREIGN_FAQ = DATA / "foreign_faq"  # a FAQ the team did not write, with its own questions
FOREIGN_CASES = DATA / "cases_foreign.tsv"  # in the decision prior's training data
FOREIGN_HELDOUT = DATA / "cases_foreign_heldout.tsv"  # never tuned on
FOREIGN2_FAQ = DATA / "foreign_faq2"  # a second one, newer than the prior: never tuned on
FOREIGN2_CASES = DATA / "cases_foreign2_heldout.tsv"
FOREIGN4_FAQ = DATA / "foreign_faq4"  # in the prior since December 4, with cases_foreign4.tsv
FOREIGN4_CASES = DATA / "cases_foreign4.tsv"
FOREIGN4_HELDOUT = DATA / "cases_foreign4_heldout.tsv"  # by a third writer, never tuned on
DISTRACTOR_FILES = 10


def write_faq_dir(book: FaqBook, target: Path, extra: int) -> None:
    """The book as YAML files (one per source file) plus `extra` distractors in ten files."""
    target.mkdir(parents=True, exist_ok=True)
    files: dict[str, dict] = {}
    for entry in book.entries.values():
        data = files.setdefault(entry.source_file, {"category": entry.category, "entries": []})
        data["entries"].append(
            {
                "id": entry.id,
                "question": entry.question,
                "variants": list(entry.variants),
                "keywords": list(entry.keywords),
                "answer": entry.answer,
            }
        )
    distractors = distractor_entries(extra) if extra else []
    size = max(1, -(-len(distractors) // DISTRACTOR_FILES))
    for part in range(0, len(distractors), size):
        chunk = distractors[part : part + size]
        files[f"zz-distractors-{part // size:02d}.yaml"] = {
            "category": chunk[0].category,
            "entries": [
                {
                    "id": e.id,
                    "question": e.question,
                    "variants": list(e.variants),
                    "answer": e.answer,
                }
                for e in chunk
            ],
        }
    for name, data in files.items():
        (target / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    synonyms = {"synonyms": book.synonyms or {"ko": "không"}}
    if book.phrases:
        synonyms["phrases"] = book.phrases
    (target / "_synonyms.yaml").write_text(
        yaml.safe_dump(synonyms, allow_unicode=True), encoding="utf-8"
    )


def brute_force(book: FaqBook):
    choices, owners = [], []
    for entry in book.entries.values():
        for phrasing in entry.phrasings:
            choices.append(phrasing)
            owners.append(entry.id)

    def best(query: str) -> str | None:
        hit = process.extractOne(
            query, choices, scorer=fuzz.WRatio, processor=utils.default_process
        )
        return owners[hit[2]] if hit else None

    return best


def ask_batch_seconds(directory: Path, queries: list[str]) -> float:
    """Wall time of `dcbot ask --faq-dir DIR` answering every query from stdin, loading included."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--faq-dir", str(directory)],
        input="\n".join(queries) + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    elapsed = time.perf_counter() - start
    assert len(result.stdout.splitlines()) == len(queries), result.stderr[-500:]
    return elapsed


def timed_load(directory: Path) -> tuple[Matcher, float, float, float]:
    """(matcher, load s, index s, calibrate s), wall clock."""
    from bot.knowledge import calibration

    start = time.perf_counter()
    book, problems = load_faq_dir(directory)
    assert not problems, problems[:3]
    loaded = time.perf_counter()
    matcher = Matcher(book, calibrate=False)
    indexed = time.perf_counter()
    matcher.decision = calibration.calibrate(matcher)
    calibrated = time.perf_counter()
    return matcher, loaded - start, indexed - loaded, calibrated - indexed


def per_query_ms(function, queries: list[str], rounds: int = 3) -> float:
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        for query in queries:
            function(query)
        timings.append((time.perf_counter() - start) * 1000 / len(queries))
    return statistics.median(timings)


def other_faq_setups(label: str, directory: Path, splits: dict[str, Path], extra: int) -> list:
    """A FAQ the team did not write, alone and with `extra` distractors, on its own question
    files (those that exist); none if it or its first file is missing."""
    first = next(iter(splits.values()))
    if not directory.is_dir() or not first.exists():
        return []
    book, problems = load_faq_dir(directory)
    assert not problems, problems[:3]
    own = {name: read_cases(path) for name, path in splits.items() if path.exists()}
    return [(label, book, 0, own), (f"{label} + {extra}", book, extra, own)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--faq-dir", type=Path, default=ROOT / "faq")
    parser.add_argument("--extra", type=int, default=5000)
    parser.add_argument("--no-brute-force", action="store_true")
    parser.add_argument("--only", help="run the setups whose name starts with this (foreign...)")
    args = parser.parse_args()
    base, problems = load_faq_dir(args.faq_dir)
    if problems:
        sys.exit("FAQ has problems; run `dcbot faq check` first")
    splits = {name: read_cases(path) for name, path in SPLITS.items() if path.exists()}
    setups = [
        ("bundled", base, 0, splits),
        ("variant-poor", variant_poor(base), 0, splits),
        (f"bundled + {args.extra}", base, args.extra, splits),
        (f"variant-poor + {args.extra}", variant_poor(base), args.extra, splits),
    ]
    foreign_splits = {"foreign questions": FOREIGN_CASES, "foreign held-out": FOREIGN_HELDOUT}
    setups += other_faq_setups("foreign", FOREIGN_FAQ, foreign_splits, args.extra)
    foreign2_splits = {"foreign 2 held-out": FOREIGN2_CASES}
    setups += other_faq_setups("foreign 2", FOREIGN2_FAQ, foreign2_splits, args.extra)
    foreign4_splits = {
        "foreign 4 questions": FOREIGN4_CASES,
        "foreign 4 held-out": FOREIGN4_HELDOUT,
    }
    setups += other_faq_setups("foreign 4", FOREIGN4_FAQ, foreign4_splits, args.extra)
    if args.only:
        setups = [s for s in setups if s[0].startswith(args.only)]
    figure_rows, speed_rows = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for label, book, extra, splits in setups:
            queries = [c.query for cases in splits.values() for c in cases]
            directory = Path(tmp) / label.replace(" ", "_").replace("+", "plus")
            write_faq_dir(book, directory, extra)
            matcher, load_s, index_s, calibrate_s = timed_load(directory)
            for name, cases in splits.items():
                s = evaluate(matcher, cases).summary()
                figure_rows.append((label, name, s))
            ours_ms = per_query_ms(matcher.match, queries, rounds=1)
            batch_s = ask_batch_seconds(directory, queries)
            brute_s = None
            if not args.no_brute_force:
                best = brute_force(matcher.book)
                start = time.perf_counter()
                for query in queries:
                    best(query)
                brute_s = time.perf_counter() - start
            speed_rows.append(
                (label, len(matcher.book.entries), load_s, index_s, calibrate_s, ours_ms, batch_s,
                 brute_s)
            )  # fmt: skip
            print(f"... {label} done", file=sys.stderr)
    print(
        "| FAQ | split | overall (strict) | helpful | accuracy@1 | rank@1 | recall@3 "
        "| confidently wrong | out of scope rejected |"
    )
    print("|" + "---|" * 9)
    for label, name, s in figure_rows:
        print(
            f"| {label} | {name} ({s['in_scope']}+{s['out_of_scope']}) | {s['overall']:.1%} "
            f"| {s['helpful']:.1%} | {s['accuracy_at_1']:.1%} | {s['rank_at_1']:.1%} "
            f"| {s['recall_at_3']:.1%} | {s['confidently_wrong']:.1%} "
            f"| {s['out_of_scope_rejected']:.1%} |"
        )
    print()
    print(
        "| FAQ | entries | load s | index s | calibrate s | ms/query | `dcbot ask` batch s "
        "(all its split's questions, loading included) | brute-force rapidfuzz s "
        "| batch / brute force |"
    )
    print("|" + "---|" * 9)
    for label, n, load_s, index_s, calibrate_s, ms, batch_s, brute_s in speed_rows:
        brute = f"{brute_s:.1f}" if brute_s is not None else "–"
        ratio = f"1/{brute_s / batch_s:.1f}" if brute_s else "–"
        print(
            f"| {label} | {n} | {load_s:.2f} | {index_s:.2f} | {calibrate_s:.2f} | {ms:.2f} "
            f"| {batch_s:.1f} | {brute} | {ratio} |"
        )


if __name__ == "__main__":
    main()
