"""Benchmark: the full cifar10 ablation on real CIFAR-10 (needs the 163 MiB archive: internet once).

Prints each step's test accuracy, the last step's against the COURSE.md target (≥ 85%) and the wall
time, with the conditions. A full run never falls back: without the archive it stops with the fix.
On a CPU it takes many hours; run it on a GPU machine (e.g. KERAS_BACKEND=jax with jax[cuda]).

    python bench/cifar10.py [--workdir DIR] [--seed 0]
"""
from __future__ import annotations

from common import conditions, run_full_lesson


def main() -> None:
    from lessons import cifar10 as lesson

    records, wall, workdir, seed = run_full_lesson(lesson, __doc__.splitlines()[0])
    steps = sorted((r for r in records if r.experiment == "ablation"), key=lambda r: r.params["step"])
    for r in steps:
        print(f"bench/cifar10: {r.variant:<16} {100 * r.metric('test', 'accuracy'):.2f}%  "
              f"{r.info['epochs_run']} epochs  {r.info['seconds_per_epoch']:.1f} s/epoch")
    accuracy, target = steps[-1].metric("test", "accuracy"), lesson.TARGET_TEST_ACCURACY
    print(f"\nbench/cifar10: full recipe {100 * accuracy:.2f}% test accuracy, target ≥ {100 * target:.0f}%: "
          f"{'met' if accuracy >= target else 'NOT met'}")
    print(f"bench/cifar10: wall time {wall:.0f} s ({conditions(seed)}, up to {lesson.Config().epochs} epochs); "
          f"report {workdir / lesson.SLUG / 'report.md'}")


if __name__ == "__main__":
    main()
