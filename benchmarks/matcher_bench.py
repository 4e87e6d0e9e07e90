"""Matcher benchmark: accuracy on the labelled cases, speed at the bundled size and with 5,000
distractor entries, side by side with brute-force `rapidfuzz.process.extractOne`.

Run: python benchmarks/matcher_bench.py [--faq-dir faq] [--extra 5000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process, utils

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.distractors import distractor_entries, with_distractors  # noqa: E402
from bot.knowledge.evaluation import OUT_OF_SCOPE, evaluate, read_cases  # noqa: E402
from bot.knowledge.faq_files import FaqBook, load_faq_dir  # noqa: E402
from bot.knowledge.matcher import Matcher  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
SPLITS = {"dev": DATA / "cases_dev.tsv", "held-out": DATA / "cases_heldout.tsv"}


def per_query_ms(function, queries: list[str], rounds: int = 3) -> float:
    """Median over rounds of the mean time per query, in milliseconds."""
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        for query in queries:
            function(query)
        timings.append((time.perf_counter() - start) * 1000 / len(queries))
    return statistics.median(timings)


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


def brute_force_top1(best, cases) -> float:
    in_scope = [c for c in cases if c.expected != OUT_OF_SCOPE]
    return sum(best(c.query) == c.expected for c in in_scope) / max(len(in_scope), 1)


def load_time_with_extra(faq_dir: Path, extra: int) -> tuple[float, int]:
    """Seconds to load and index the FAQ plus `extra` entries written as YAML files."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp)
        for path in faq_dir.glob("*.yaml"):
            (target / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
        entries = distractor_entries(extra)
        for part in range(0, extra, 1000):
            chunk = entries[part : part + 1000]
            data = {
                "category": "Thủ tục hành chính (giả lập)",
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
            (target / f"zz-distractors-{part}.yaml").write_text(
                yaml.safe_dump(data, allow_unicode=True), encoding="utf-8"
            )
        start = time.perf_counter()
        book, problems = load_faq_dir(target)
        Matcher(book)
        elapsed = time.perf_counter() - start
        assert not problems, problems[:3]
        return elapsed, len(book.entries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--faq-dir", type=Path, default=Path("faq"))
    parser.add_argument("--extra", type=int, default=5000)
    args = parser.parse_args()
    base, problems = load_faq_dir(args.faq_dir)
    if problems:
        sys.exit("FAQ has problems; run `dcbot faq check` first")
    splits = {name: read_cases(path) for name, path in SPLITS.items() if path.exists()}
    all_queries = [c.query for cases in splits.values() for c in cases]
    rows = []
    for label, book in (("bundled", base), (f"+{args.extra}", with_distractors(base, args.extra))):
        start = time.perf_counter()
        matcher = Matcher(book)
        build_s = time.perf_counter() - start
        best = brute_force(book)
        ours_ms = per_query_ms(matcher.match, all_queries)
        brute_ms = per_query_ms(best, all_queries, rounds=1)
        for name, cases in splits.items():
            summary = evaluate(matcher, cases).summary()
            rows.append(
                (
                    label,
                    len(book.entries),
                    name,
                    summary,
                    brute_force_top1(best, cases),
                    ours_ms,
                    brute_ms,
                    build_s,
                )
            )
    load_s, loaded = load_time_with_extra(args.faq_dir, args.extra)
    print(
        "| FAQ | entries | split | overall | acc@1 | confidently wrong | out-of-scope rejected "
        "| brute-force acc@1 | ms/query (ours) | ms/query (brute force) | speed-up | index build s |"
    )
    print("|" + "---|" * 12)
    for label, n, name, s, brute_acc, ours_ms, brute_ms, build_s in rows:
        print(
            f"| {label} | {n} | {name} | {s['overall']:.1%} | {s['accuracy_at_1']:.1%} "
            f"| {s['confidently_wrong']:.1%} | {s['out_of_scope_rejected']:.1%} | {brute_acc:.1%} "
            f"| {ours_ms:.2f} | {brute_ms:.2f} | {brute_ms / ours_ms:.1f}x | {build_s:.2f} |"
        )
    print(f"\nLoading {loaded} entries from YAML and building the index: {load_s:.2f} s")


if __name__ == "__main__":
    main()
