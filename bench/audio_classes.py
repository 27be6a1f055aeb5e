"""Benchmark: the full audio-classes lesson (FSDD, 3,000 clips; take split and leave-one-speaker-out).

Prints the targets' figures: the CNN on log-mel's test accuracy on the take split (target ≥ 99%); the best
network's leave-one-speaker-out mean against the MFCC-statistics + logistic-regression peer's, per fold,
and the spread over folds (target: above the peer by more than that spread); the majority class (10%);
the gap between the two splits; wall time and conditions.

    python bench/audio_classes.py [--workdir DIR] [--seed 0]
"""
from __future__ import annotations

from common import conditions, run_full_lesson


def main() -> None:
    import numpy as np

    from lessons import audio_classes as lesson
    from nnlab.runner import write_report
    from reports.report import ReportView
    from reports.store import Store

    records, wall, workdir, seed = run_full_lesson(lesson, __doc__.splitlines()[0])
    store = Store.in_workdir(workdir)
    view = ReportView(lesson.SLUG, store.latest_run(lesson.SLUG), records, store, workdir / lesson.SLUG)
    by_name = {r.variant: r for r in records}

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    def pct(value: float) -> str:
        return f"{100 * value:.1f}%"

    cnn, majority = lesson.chosen_cnn(view), by_name["majority"]
    target = lesson.Config().target_take_accuracy
    print(f"\nbench/audio_classes: take split (takes 0-4 test, 300 clips): CNN on log-mel chosen on validation "
          f"`{cnn.variant}` {pct(cnn.metric('test', 'accuracy'))} "
          f"(target ≥ {pct(target)}: {met(cnn.metric('test', 'accuracy') >= target)}); peer "
          f"{pct(by_name['mfcc-stats-logreg'].metric('test', 'accuracy'))}; majority {pct(majority.metric('test', 'accuracy'))}")
    for r in sorted((r for r in records if r.params.get("split") == "take" and r.params.get("task") == "digit"),
                    key=lambda r: -r.metric("test", "accuracy")):
        stop = f", stop {pct(r.metric('stop', 'accuracy'))}" if "stop" in r.metrics else ""
        print(f"bench/audio_classes:   {r.variant:<62} take-split test {pct(r.metric('test', 'accuracy'))} "
              f"(val {pct(r.metric('val', 'accuracy'))}{stop}), {r.info.get('epochs_run') or 0} epochs, "
              f"{r.wall_seconds:.0f} s")
    from lessons.audio_classes import new_voice_networks, new_voice_pair

    top, peer = new_voice_pair(view)   # the network chosen on validation (a new voice), never on the test folds
    voices = new_voice_networks(view)
    differences = np.array([top.info["fold_accuracy"][k] - peer.info["fold_accuracy"][k] for k in peer.info["fold_accuracy"]])
    print(f"bench/audio_classes: leave-one-speaker-out: network chosen on validation `{top.variant}` {pct(top.metric('test', 'accuracy'))} "
          f"± {pct(top.info['fold_std'])} vs peer {pct(peer.metric('test', 'accuracy'))} ± {pct(peer.info['fold_std'])}; "
          f"mean difference {100 * differences.mean():+.1f} points (target: more than the spread {pct(top.info['fold_std'])}: "
          f"{met(differences.mean() > top.info['fold_std'])})")
    for r in [peer] + sorted(voices, key=lambda r: -r.metric("test", "accuracy")):
        folds = ", ".join(f"{k} {pct(v)}" for k, v in r.info["fold_accuracy"].items())
        twin = lesson.take_twin(view, r)
        gap = f"; take split {pct(twin.metric('test', 'accuracy'))}" if twin is not None else ""
        print(f"bench/audio_classes:   {r.variant:<62} mean {pct(r.metric('test', 'accuracy'))} ({folds}){gap}, "
              f"{r.wall_seconds:.0f} s")
    for r in view.experiment("speaker-id"):
        print(f"bench/audio_classes: who is speaking: {r.variant:<36} {pct(r.metric('test', 'accuracy'))}")
    write_report(lesson, store, workdir)
    print(f"bench/audio_classes: wall time {wall:.0f} s for {len(records)} variants ({conditions(seed)}; at most "
          f"{lesson.Config().network.epochs} epochs, early stopping or a one-cycle rate); report {workdir / lesson.SLUG / 'report.md'}")
    store.close()


if __name__ == "__main__":
    main()
