"""Benchmark: the full fashion-mlp lesson on real Fashion-MNIST.

Prints the best test accuracy against the COURSE.md target (≥ 89.5%), the variant that reached it,
and the wall time of the whole lesson, with the conditions (CPU count, backend, epochs, seed).
Not a unit test: it trains 12 networks on 54,000 images and takes minutes.

    NNLAB_DATA_DIR=<offline copy, optional> python bench/fashion_mlp.py [--workdir DIR] [--seed 0]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None, help="default: a fresh temporary folder")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="nnlab-bench-"))

    import keras

    from lessons import fashion_mlp
    from lessons.runner import RunOptions, run_lesson
    from reports.conclusions import TEST_ACCURACY
    from reports.store import Store

    start = time.perf_counter()
    run_lesson(fashion_mlp, RunOptions(workdir=workdir, seed=args.seed, rerun=args.workdir is None))
    wall = time.perf_counter() - start
    store = Store.in_workdir(workdir)
    records = [r for r in store.records(fashion_mlp.SLUG, seed=args.seed, quick=False) if r.experiment != "baseline"]
    best = TEST_ACCURACY.ranked(records)[0]
    accuracy = best.metric("test", "accuracy")
    print(f"\nbench/fashion_mlp: best test accuracy {100 * accuracy:.2f}% ({best.experiment}/{best.variant}), "
          f"target ≥ {100 * fashion_mlp.TARGET_TEST_ACCURACY:.1f}%: {'met' if accuracy >= fashion_mlp.TARGET_TEST_ACCURACY else 'NOT met'}")
    print(f"bench/fashion_mlp: wall time {wall:.0f} s for {len(records)} trained variants "
          f"({os.cpu_count()} CPUs, backend {keras.backend.backend()}, up to {fashion_mlp.Config().epochs} epochs "
          f"with early stopping, seed {args.seed}); report {workdir / fashion_mlp.SLUG / 'report.md'}")


if __name__ == "__main__":
    main()
