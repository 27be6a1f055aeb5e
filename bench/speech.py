"""Benchmark: the full speech lesson (ready engines, the vocoder on real clips, two baselines and two
decoders on all 3,000 FSDD recordings, judged by the audio-classes listener).

Prints the target's figure: the share of the best network's synthesised digits (every digit in every one
of the six voices) that the listener hears as the digit asked for (target: at least 90%), beside the same
figure for the real held-out recordings, for them after the vocoder alone, for espeak-ng's digits and for
the baselines; epochs, wall time and conditions.

    python bench/speech.py [--workdir DIR] [--seed 0]
"""
from __future__ import annotations

from common import conditions, run_full_lesson


def main() -> None:
    from lessons import speech as lesson
    from nnlab.runner import write_report
    from reports.report import ReportView
    from reports.store import Store

    records, wall, workdir, seed = run_full_lesson(lesson, __doc__.splitlines()[0])
    store = Store.in_workdir(workdir)
    view = ReportView(lesson.SLUG, store.latest_run(lesson.SLUG), records, store, workdir / lesson.SLUG)
    best = lesson.best_network(view)
    share = best.metric("synthesised", "recognised")
    print(f"\nbench/speech: `{best.variant}` synthesised digits recognised as asked: "
          f"{lesson.recognised(best, 'synthesised')} (target ≥ 90%: {'met' if share >= 0.9 else 'NOT met'})")
    for row in lesson.recognition_rows(view):
        print(f"bench/speech:   {row['source']:<28} {row['recognised as the digit asked for']:<20} {row['clips']}")
    for r in lesson.synthesisers(view):
        print(f"bench/speech:   {r.variant:<28} held-out dB RMSE {r.metric('test', 'rmse_db'):.2f}, Griffin-Lim "
              f"convergence {r.metric('synthesised', 'griffin_lim_convergence'):.3f}, {r.info.get('epochs_run', '–')} "
              f"epochs, {r.wall_seconds:.0f} s")
    write_report(lesson, store, workdir)
    print(f"bench/speech: wall time {wall:.0f} s for {len(records)} variants ({conditions(seed)}; "
          f"{lesson.Config().epochs} epochs per decoder, {lesson.Config().griffin_lim_iterations} Griffin-Lim "
          f"iterations); report {workdir / lesson.SLUG / 'report.md'}")
    store.close()


if __name__ == "__main__":
    main()
