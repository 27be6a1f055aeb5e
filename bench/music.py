"""Benchmark: the full music lesson (Nottingham melodies, Markov baselines, seven LSTM variants).

Prints the target's figures: the test pitch NLL of the LSTM chosen on validation against the best Markov
chain's, their paired difference and its standard error over test tunes (target: the LSTM lower by more
than that error); every generated .mid file parsing as MIDI; epochs, wall time and conditions.

    python bench/music.py [--workdir DIR] [--seed 0]
"""
from __future__ import annotations

from common import conditions, run_full_lesson


def main() -> None:
    from lessons import music as lesson
    from nnlab.data.midi import summary
    from nnlab.runner import write_report
    from reports.report import ReportView
    from reports.store import Store

    records, wall, workdir, seed = run_full_lesson(lesson, __doc__.splitlines()[0])
    store = Store.in_workdir(workdir)
    run = store.latest_run(lesson.SLUG)
    view = ReportView(lesson.SLUG, run, records, store, workdir / lesson.SLUG)
    best, chain = lesson.best_network(view), lesson.best_chain(view)
    gap, se = lesson.paired_gap(view, best, chain)

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print(f"\nbench/music: `{best.variant}` (chosen on validation) test pitch NLL {lesson.with_se(best, 'nll_pitch')} "
          f"vs best chain `{chain.variant}` {lesson.with_se(chain, 'nll_pitch')}; paired difference {gap:+.3f} ± "
          f"{se:.3f} nats/note (target: below by more than its sampling error: {met(gap < 0 and -gap > se)}); "
          f"pitch accuracy {100 * best.metric('test', 'accuracy_pitch'):.1f}% vs "
          f"{100 * chain.metric('test', 'accuracy_pitch'):.1f}%")
    for r in sorted(lesson.learned(view), key=lambda r: r.metric("test", "nll_pitch")):
        print(f"bench/music:   {r.variant:<28} test pitch NLL {lesson.with_se(r, 'nll_pitch')}, note NLL "
              f"{r.metric('test', 'nll'):.3f}, {r.info['epochs_run']} epochs, {r.wall_seconds:.0f} s")
    write_report(lesson, store, workdir)
    files = [view.figure(f"generated_T{float(t):g}.mid") for t in view.artifact(best, "generated")]
    parsed = [summary(f)["notes"] for f in files]
    print(f"bench/music: generated files parse as MIDI: {len(parsed)} of {len(files)} ({met(len(parsed) == len(files))}), "
          f"notes {parsed}")
    print(f"bench/music: wall time {wall:.0f} s for {len(records)} variants ({conditions(seed)}; at most "
          f"{lesson.Config().epochs} epochs with early stopping); report {workdir / lesson.SLUG / 'report.md'}")
    store.close()


if __name__ == "__main__":
    main()
