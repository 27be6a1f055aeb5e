"""Benchmark: the full attention-translation lesson on Multi30K English→German.

Prints every model's test BLEU (sacreBLEU, greedy decoding) against the no-attention baseline (the
COURSE.md target: attention beats it), the copy-the-source floor, seconds per epoch and the wall time.

    NNLAB_DATA_DIR=<offline copy, optional> python bench/attention_translation.py [--workdir DIR] [--seed 0]

The workdir keeps the trained models: `nnlab translate --workdir DIR "a man is riding a bike"`.
"""
from __future__ import annotations

from common import conditions, run_full_lesson


def main() -> None:
    from lessons import attention_translation as lesson

    records, wall, workdir, seed = run_full_lesson(lesson, __doc__.splitlines()[0])
    for r in records:
        extra = (f"  {r.info['parameters']:>9,} parameters  {r.info['epochs_run']} epochs  "
                 f"{r.info['seconds_per_epoch']:.0f} s/epoch" if "parameters" in r.info else "")
        print(f"bench/attention_translation: {r.variant:<13} test BLEU {r.metric('test', 'bleu'):6.2f}  "
              f"val BLEU {r.metric('val', 'bleu'):6.2f}{extra}")
    by_name = {r.variant: r for r in records}
    baseline = by_name["no-attention"].metric("test", "bleu")
    best = max((by_name[k] for k in lesson.ATTENTION_KINDS), key=lambda r: r.metric("test", "bleu"))
    bleu = best.metric("test", "bleu")
    print(f"\nbench/attention_translation: best attention {best.variant} test BLEU {bleu:.2f} vs no attention "
          f"{baseline:.2f}: target (attention beats the baseline) {'met' if bleu > baseline else 'NOT met'}")
    print(f"bench/attention_translation: wall time {wall:.0f} s ({conditions(seed)}, up to "
          f"{lesson.Config().epochs} epochs with early stopping); report {workdir / lesson.SLUG / 'report.md'}")


if __name__ == "__main__":
    main()
