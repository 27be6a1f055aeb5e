"""Benchmark: the full kaggle-fashion lesson on real Fashion-MNIST.

Prints the submitted model's accuracy on the labelled test set against the COURSE.md target (≥ 90%),
the course's baseline MLP beside it, whether the submission file validated, and the wall time.

    NNLAB_DATA_DIR=<offline copy, optional> python bench/kaggle_fashion.py [--workdir DIR] [--seed 0]
"""
from __future__ import annotations

from common import conditions, run_full_lesson


def main() -> None:
    from lessons import kaggle_fashion

    records, wall, workdir, seed = run_full_lesson(kaggle_fashion, __doc__.splitlines()[0])
    models = {r.variant: r for r in records if r.experiment == "models"}
    chosen = max(models.values(), key=lambda r: r.metric("val", "accuracy"))
    accuracy, target = chosen.metric("test", "accuracy"), kaggle_fashion.TARGET_TEST_ACCURACY
    submission = workdir / kaggle_fashion.SLUG / "submission.csv"
    kaggle_fashion.validate_submission(submission, 10000)
    print(f"\nbench/kaggle_fashion: submitted `{chosen.variant}` scores {100 * accuracy:.2f}% on the test labels, "
          f"target ≥ {100 * target:.0f}%: {'met' if accuracy >= target else 'NOT met'}; baseline MLP "
          f"{100 * models['mlp-baseline'].metric('test', 'accuracy'):.2f}%; {submission} valid (10,000 rows)")
    print(f"bench/kaggle_fashion: wall time {wall:.0f} s ({conditions(seed)})")


if __name__ == "__main__":
    main()
