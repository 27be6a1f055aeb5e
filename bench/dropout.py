"""Benchmark: the full dropout lesson on its seeded noisy 1-D set.

Prints the dropout rate with the lowest validation loss against the no-dropout net (COURSE.md target:
the best rate's validation loss is below the no-dropout net's), the better L2 strength beside them,
and the wall time of the whole lesson, with the conditions.

    python bench/dropout.py [--workdir DIR] [--seed 0]
"""
from __future__ import annotations

from common import conditions, run_full_lesson


def main() -> None:
    from lessons import dropout as lesson

    records, wall, workdir, seed = run_full_lesson(lesson, __doc__.splitlines()[0])
    val = {r.variant: r.metric("val", "loss") for r in records}
    rates = [r for r in records if r.experiment == "dropout" and r.params["dropout"] > 0]
    best = min(rates, key=lambda r: val[r.variant])
    plain = val["dropout-0.0"]
    l2 = min((r for r in records if r.experiment == "l2"), key=lambda r: val[r.variant])
    print(f"\nbench/dropout: lowest validation MSE at p = {best.params['dropout']:g}: {val[best.variant]:.4f} vs "
          f"{plain:.4f} without dropout, target (below it): {'met' if val[best.variant] < plain else 'NOT met'}; "
          f"best L2 {l2.variant} {val[l2.variant]:.4f}; MC-dropout mean {best.metric('val', 'mc_loss'):.4f}")
    print(f"bench/dropout: wall time {wall:.0f} s for {len(records)} variants ({conditions(seed)}, "
          f"{lesson.Config().epochs} full-batch epochs each); report {workdir / lesson.SLUG / 'report.md'}")


if __name__ == "__main__":
    main()
