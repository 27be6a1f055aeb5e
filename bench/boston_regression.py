"""Benchmark: the full boston-regression lesson on Keras's Boston housing file.

Prints the headline network's test MAE (the network with the best validation MAE) against the COURSE.md
target (≤ 2.5 k$), the two baselines beside it, and the wall time of the whole lesson, with the conditions.

    NNLAB_DATA_DIR=<offline copy, optional> python bench/boston_regression.py [--workdir DIR] [--seed 0]
"""
from __future__ import annotations

from common import conditions, run_full_lesson


def main() -> None:
    from lessons import boston_regression as lesson

    records, wall, workdir, seed = run_full_lesson(lesson, __doc__.splitlines()[0])
    score = lesson.test_mae()
    trained = [r for r in records if r.experiment == "variants"]
    best = lesson.val_mae().ranked(trained)[0]
    mae, target = score.get(best), lesson.TARGET_TEST_MAE
    baselines = ", ".join(f"{r.variant} {score.get(r):.2f}" for r in records if r.experiment == "baseline")
    print(f"\nbench/boston_regression: headline {best.variant} (best validation MAE): test MAE {mae:.2f} k$ (R² "
          f"{best.metric('test', 'r2'):.3f}), target ≤ {target} k$: {'met' if mae <= target else 'NOT met'}; "
          f"baselines: {baselines}")
    print(f"bench/boston_regression: wall time {wall:.0f} s for {len(trained)} trained variants "
          f"({conditions(seed)}, up to {lesson.Config().epochs} epochs with early stopping); "
          f"report {workdir / lesson.SLUG / 'report.md'}")


if __name__ == "__main__":
    main()
