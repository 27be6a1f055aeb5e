"""Benchmark: the full unet lesson on the ISBI-2012 membrane slices.

Prints the best validation pixel accuracy against the COURSE.md target (≥ 90%) beside the trivial
all-cell-interior predictor's, the membrane Dice, and the wall time with the conditions.

    NNLAB_DATA_DIR=<offline copy, optional> python bench/unet.py [--workdir DIR] [--seed 0]
"""
from __future__ import annotations

from common import conditions, run_full_lesson


def main() -> None:
    from lessons import unet

    records, wall, workdir, seed = run_full_lesson(unet, __doc__.splitlines()[0])
    trained = [r for r in records if r.experiment in ("architecture", "augmentation")]
    trivial = next(r for r in records if r.variant == "all-cell-interior")
    best = unet.PIXEL_ACCURACY.ranked(trained)[0]
    value, target = best.metric("val", "pixel_accuracy"), unet.TARGET_PIXEL_ACCURACY
    print(f"\nbench/unet: best validation pixel accuracy {100 * value:.2f}% ({best.variant}), target ≥ "
          f"{100 * target:.0f}%: {'met' if value >= target else 'NOT met'}; trivial all-cell-interior "
          f"{100 * trivial.metric('val', 'pixel_accuracy'):.2f}%; membrane Dice {best.metric('val', 'dice'):.3f}, "
          f"IoU {best.metric('val', 'iou'):.3f}")
    config = unet.Config()
    print(f"bench/unet: wall time {wall:.0f} s for {len(trained)} trained U-Nets ({conditions(seed)}, "
          f"{config.size}x{config.size} inputs, {config.epochs} epochs of {config.repeats} augmented passes); "
          f"report {workdir / unet.SLUG / 'report.md'}")


if __name__ == "__main__":
    main()
