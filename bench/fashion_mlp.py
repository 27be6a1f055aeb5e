"""Benchmark: the full fashion-mlp lesson on real Fashion-MNIST.

Prints the headline's test accuracy (the network with the best validation accuracy) against the COURSE.md target (≥ 89.5%), the variant that reached it,
and the wall time of the whole lesson, with the conditions (CPUs, backend, epochs, seed).
Not a unit test: it trains 15 networks on 54,000 images and takes minutes.

    NNLAB_DATA_DIR=<offline copy, optional> python bench/fashion_mlp.py [--workdir DIR] [--seed 0]
"""
from __future__ import annotations

from common import conditions, run_full_lesson


def main() -> None:
    from lessons import fashion_mlp
    from reports.peers import VAL_ACCURACY

    records, wall, workdir, seed = run_full_lesson(fashion_mlp, __doc__.splitlines()[0])
    trained = [r for r in records if r.experiment in fashion_mlp.EXPERIMENTS]
    best = VAL_ACCURACY.ranked(trained)[0]
    accuracy, target = best.metric("test", "accuracy"), fashion_mlp.TARGET_TEST_ACCURACY
    print(f"\nbench/fashion_mlp: headline (best validation accuracy) {best.experiment}/{best.variant}: test "
          f"accuracy {100 * accuracy:.2f}%, "
          f"target ≥ {100 * target:.1f}%: {'met' if accuracy >= target else 'NOT met'}")
    print(f"bench/fashion_mlp: wall time {wall:.0f} s for {len(trained)} trained variants "
          f"({conditions(seed)}, up to {fashion_mlp.Config().epochs} epochs with early stopping); "
          f"report {workdir / fashion_mlp.SLUG / 'report.md'}")


if __name__ == "__main__":
    main()
