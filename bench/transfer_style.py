"""Benchmark: the full transfer-style lesson (two pairs × three label counts × four regimes × 3 seeds, the
failure grid; VGG16 on CIFAR-10 and style transfer where the ImageNet weights can be had).

Prints the targets' figures: at 10 labels per class on both pairs and at 100 on the related pair, the gain
of fine-tuned over scratch against the seed spread (target: larger); every cell as mean ± std; VGG16's
CIFAR-10 test accuracy (target ≥ 85%) or the line saying why it could not run; wall time and conditions.

    python bench/transfer_style.py [--workdir DIR] [--seed 0]
"""
from __future__ import annotations

from common import conditions, run_full_lesson


def main() -> None:
    from lessons import transfer_style as lesson
    from nnlab.runner import write_report
    from reports.report import ReportView
    from reports.store import Store

    records, wall, workdir, seed = run_full_lesson(lesson, __doc__.splitlines()[0])
    store = Store.in_workdir(workdir)
    run = store.latest_run(lesson.SLUG)
    view = ReportView(lesson.SLUG, run, records, store, workdir / lesson.SLUG)

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    checks = []
    for pair, labels in (("related", 10), ("distant", 10), ("related", 100)):
        delta, spread, paired = lesson.gain(view, pair, labels)
        checks.append(delta > spread)
        print(f"bench/transfer_style: {pair} pair, {labels} labels/class: fine-tuned − scratch {100 * delta:+.1f} "
              f"points, seed spread ±{100 * spread:.1f} (paired ±{100 * paired:.1f}); target (gain > spread): "
              f"{met(delta > spread)}")
    print(f"bench/transfer_style: target overall (all three): {met(all(checks))}")
    for r in view.experiment("transfer"):
        print(f"bench/transfer_style:   {r.variant:<28} test accuracy {lesson.shown(r)}%  ({r.wall_seconds:.0f} s)")
    for r in view.experiment("failure"):
        print(f"bench/transfer_style:   {r.variant:<36} test accuracy {lesson.shown(r)}%  source val acc "
              f"{100 * r.info.get('source_val_accuracy', float('nan')):.1f}%")
    vgg = [r for r in view.experiment("vgg16") if r.params["regime"] == "fine-tuned"]
    if vgg:
        accuracy = vgg[0].metric("test", "accuracy")
        print(f"bench/transfer_style: VGG16 fine-tuned CIFAR-10 test accuracy {100 * accuracy:.2f}% "
              f"(target ≥ {100 * lesson.TARGET_VGG16_ACCURACY:.0f}%: {met(accuracy >= lesson.TARGET_VGG16_ACCURACY)})")
    else:
        why = lesson.unavailable_lines(view).get("vgg16-cifar10", "not run")
        print(f"bench/transfer_style: VGG16 on CIFAR-10 (target ≥ 85%): not measurable here: {why.split('. Fix:')[0]}")
    write_report(lesson, store, workdir)
    config = lesson.Config()
    print(f"bench/transfer_style: wall time {wall:.0f} s for {len(records)} variants ({conditions(seed)}; CNN "
          f"{config.filters} + dense {config.dense}, target cells {config.epochs} epochs of ≥ {config.min_epoch_size} "
          f"images, sources ≤ {config.source_epochs} epochs with early stopping); report "
          f"{workdir / lesson.SLUG / 'report.md'}")
    store.close()


if __name__ == "__main__":
    main()
