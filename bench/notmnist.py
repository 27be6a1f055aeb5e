"""Benchmark: the full notmnist lesson on the notMNIST_small sample (850/150 images per letter).

Prints the headline CNN's (best accuracy on the early-stopping split) accuracy on the held-out letters against the COURSE.md target
(≥ 93%), the MLP beside it, and the wall time of the whole lesson, with the conditions.

    NNLAB_DATA_DIR=<offline copy, optional> python bench/notmnist.py [--workdir DIR] [--seed 0]
"""
from __future__ import annotations

from common import conditions, run_full_lesson


def main() -> None:
    from lessons import notmnist as lesson

    records, wall, workdir, seed = run_full_lesson(lesson, __doc__.splitlines()[0])
    models = [r for r in records if r.experiment == "models"]
    cnn = max((r for r in models if r.params["model"] == "cnn"), key=lambda r: r.metric("val", "accuracy"))
    mlp = next(r for r in models if r.params["model"] == "mlp")
    accuracy, target = cnn.metric("test", "accuracy"), lesson.TARGET_CNN_ACCURACY
    print(f"\nbench/notmnist: headline CNN `{cnn.variant}` {100 * accuracy:.2f}% on the 1,500 validation letters, "
          f"target ≥ {100 * target:.0f}%: {'met' if accuracy >= target else 'NOT met'}; "
          f"MLP {100 * mlp.metric('test', 'accuracy'):.2f}%")
    print(f"bench/notmnist: wall time {wall:.0f} s for {len(models)} trained models ({conditions(seed)}, up to "
          f"{lesson.Config().epochs} epochs with early stopping); report {workdir / lesson.SLUG / 'report.md'}")


if __name__ == "__main__":
    main()
