"""Benchmark: the full fashion-cnn lesson on real Fashion-MNIST.

Prints the headline CNN's (best validation accuracy) test accuracy against the COURSE.md target (≥ 93%), the dense net of lesson 7
beside it, the parameters and seconds per epoch of every CNN, and the wall time, with the conditions.
Pass --workdir of a finished fashion-mlp benchmark to compare with its best dense net (else a stand-in
is trained). On a 2-core CPU the full run takes hours (the widest net dominates); use a GPU machine.

    NNLAB_DATA_DIR=<offline copy, optional> python bench/fashion_cnn.py [--workdir DIR] [--seed 0]
"""
from __future__ import annotations

from common import conditions, run_full_lesson


def main() -> None:
    from lessons import fashion_cnn as lesson

    records, wall, workdir, seed = run_full_lesson(lesson, __doc__.splitlines()[0])
    cnns = [r for r in records if r.params.get("model") == "cnn"]
    for r in cnns:
        print(f"bench/fashion_cnn: {r.variant:<32} {100 * r.metric('test', 'accuracy'):.2f}%  "
              f"{r.info['parameters']:>9,} parameters  {r.info['seconds_per_epoch']:.1f} s/epoch")
    best = max(cnns, key=lambda r: r.metric("val", "accuracy"))  # the headline: chosen on validation
    dense = next(r for r in records if r.experiment == "dense")
    accuracy, target = best.metric("test", "accuracy"), lesson.TARGET_TEST_ACCURACY
    print(f"\nbench/fashion_cnn: headline {best.variant} (best validation accuracy): test accuracy "
          f"{100 * accuracy:.2f}%, target ≥ "
          f"{100 * target:.0f}%: {'met' if accuracy >= target else 'NOT met'}; dense net {dense.variant} "
          f"{100 * dense.metric('test', 'accuracy'):.2f}%")
    print(f"bench/fashion_cnn: wall time {wall:.0f} s for {len(cnns)} CNNs ({conditions(seed)}, up to "
          f"{lesson.Config().epochs} epochs with early stopping); report {workdir / lesson.SLUG / 'report.md'}")


if __name__ == "__main__":
    main()
