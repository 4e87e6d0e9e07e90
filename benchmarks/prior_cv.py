"""Cross-validated figures of the decision prior: the labelled questions of every prior source
(the dev split against the bundled FAQ whole, stripped to one variant per entry and half reduced
to its questions; the foreign FAQ's questions) are split in five folds; the prior is fitted
without a fold (`calibration.fit_prior_runs`), adapted to each FAQ as at load time
(`calibration.fit_decision`) and scored on that fold. The benchmark's dev and foreign figures
are in-sample for the shipped prior; these are not.

With --by-faq, leave one FAQ out instead: the prior is fitted without any question of that FAQ
(the bundled FAQ's three forms count as one), which is how a FAQ nobody labelled questions for
is served.

Run: python benchmarks/prior_cv.py [--folds 5] [--by-faq]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.knowledge import calibration  # noqa: E402
from bot.knowledge.calibration_cases import CaseRun, generate_cases, run_cases  # noqa: E402
from bot.knowledge.decision import Decision  # noqa: E402
from bot.knowledge.match_types import MatchStatus  # noqa: E402
from bot.knowledge.matcher import Matcher  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


def tally(decision: Decision, runs: list[CaseRun], counts: Counter) -> None:
    for run in runs:
        expected = run.case.expected
        status, first, top3 = MatchStatus.NONE, None, []
        if run.scored:
            scored = decision.rerank(list(run.scored), run.query)
            status, _ = decision.decide(scored, run.query)
            first, top3 = scored[0].entry, [s.entry for s in scored[:3]]
        answered = status is MatchStatus.ANSWER
        if expected is None:
            counts["out"] += 1
            counts["rejected"] += not answered
            continue
        counts["in"] += 1
        counts["rank1"] += first == expected
        counts["right"] += answered and first == expected
        counts["wrong"] += answered and first != expected
        counts["helpful"] += (answered and first == expected) or (
            status is MatchStatus.SUGGEST and expected in top3
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--by-faq", action="store_true", help="leave one FAQ out")
    args = parser.parse_args()
    setups = []
    sources = calibration.prior_sources(
        ROOT / "faq",
        tuple(ROOT / path for path in calibration.DEV_CASES),
        tuple((label, ROOT / d, ROOT / c) for label, d, c in calibration.FOREIGN_SOURCES),
    )
    for label, book, cases in sources:
        matcher = Matcher(book, decision=Decision())
        generated = run_cases(matcher, generate_cases(matcher))
        labelled = calibration.labelled_runs(matcher, cases)
        setups.append((label, generated, labelled))
    counts = [Counter() for _ in setups]
    if args.by_faq:
        leave_one_faq_out(setups, counts)
        report(setups, counts, "left out")
        return
    weights = [calibration.source_weight(label) for label, _, _ in setups]
    for fold in range(args.folds):
        train = [
            (generated, [r for i, r in enumerate(labelled) if i % args.folds != fold])
            for _, generated, labelled in setups
        ]
        prior = calibration.fit_prior_runs(
            train, calibration.ANSWER_THRESHOLD, calibration.SUGGEST_THRESHOLD, weights
        )
        for (_, generated, labelled), count in zip(setups, counts, strict=True):
            held = [r for i, r in enumerate(labelled) if i % args.folds == fold]
            tally(calibration.fit_decision(generated, prior), held, count)
    report(setups, counts, f"{args.folds}-fold")


def faq_of(label: str) -> str:
    """The bundled FAQ's three forms are one FAQ."""
    return "bundled" if label in calibration.BUNDLED_FORMS else label


def leave_one_faq_out(setups: list, counts: list[Counter]) -> None:
    for faq in dict.fromkeys(faq_of(label) for label, _, _ in setups):
        kept = [setup for setup in setups if faq_of(setup[0]) != faq]
        prior = calibration.fit_prior_runs(
            [(generated, labelled) for _, generated, labelled in kept],
            calibration.ANSWER_THRESHOLD,
            calibration.SUGGEST_THRESHOLD,
            [calibration.source_weight(label) for label, _, _ in kept],
        )
        for (label, generated, labelled), count in zip(setups, counts, strict=True):
            if faq_of(label) == faq:
                tally(calibration.fit_decision(generated, prior), labelled, count)


def report(setups: list, counts: list[Counter], how: str) -> None:
    print(
        f"| FAQ | questions ({how}) | overall (strict) | helpful | rank@1 "
        "| confidently wrong | out of scope rejected |"
    )
    print("|" + "---|" * 7)
    for (label, _, _), c in zip(setups, counts, strict=True):
        n = c["in"] + c["out"]
        print(
            f"| {label} | {c['in']}+{c['out']} | {(c['right'] + c['rejected']) / n:.1%} "
            f"| {c['helpful'] / c['in']:.1%} | {c['rank1'] / c['in']:.1%} "
            f"| {c['wrong'] / c['in']:.1%} | {c['rejected'] / max(c['out'], 1):.1%} |"
        )


if __name__ == "__main__":
    main()
