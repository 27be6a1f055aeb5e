"""Benchmark: each lesson's headline network against its classical peer, from one run of each lesson.

For boston-regression, lstm-airline, notmnist, unet, fashion-mlp and fashion-cnn (or `--lessons`), runs
the lesson in full into one workdir (resuming what is already there), then prints the lesson's own
`showdown`: the headline network (chosen on validation, or fixed before the run where the lesson has no
validation data) and the peer it is set against (chosen the same way), their test scores, the verdict
(wins / ties within the band / loses), the ratio (net / peer for an error; peer error / net error for
an accuracy, so above 1 is the net ahead for an accuracy and below 1 for an error), the seeds, and the
wall times of both and of the lesson's run.

`--only peers,baseline` trains just the peers (and baselines) of each lesson; a network of an earlier
full run in the same workdir (same seed and data) still enters the comparison, and a lesson with none
prints its peers alone.

    NNLAB_DATA_DIR=<offline copy, optional> python bench/peers.py [--workdir DIR] [--seed 0]
        [--lessons boston-regression,lstm-airline] [--only peers,baseline]
"""
from __future__ import annotations

import argparse
import importlib
import os
import tempfile
import time
from pathlib import Path

LESSONS = {"boston-regression": "boston_regression", "lstm-airline": "lstm_airline", "notmnist": "notmnist",
           "unet": "unet", "fashion-mlp": "fashion_mlp", "fashion-cnn": "fashion_cnn"}


def lesson_view(module, workdir: Path, seed: int):
    """The ReportView of the lesson's latest full run of this seed (what its report and conclusions read)."""
    from reports.report import ReportView
    from reports.store import Store

    store = Store.in_workdir(workdir, readonly=True)
    run = store.latest_run(module.SLUG, kind="run")
    records = store.records(module.SLUG, seed=seed, quick=False, dataset_sha256=run["dataset_sha256"],
                            backend=run["backend"])
    return ReportView(module.SLUG, run, records, store, Path(tempfile.mkdtemp(prefix="nnlab-peers-view-")))


def seeds_of(record, seed: int) -> str:
    seeds = record.info.get("seeds") or [seed]
    return ",".join(map(str, seeds))


def main() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None, help="default: a fresh temporary folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lessons", default=",".join(LESSONS), help="comma-separated slugs")
    parser.add_argument("--only", default="", help="train just these variants or experiments of each lesson")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="nnlab-bench-"))

    from common import conditions

    from nnlab.runner import RunOptions, run_lesson
    from nnlab.recipes.peers import PEERS

    only = tuple(name for name in args.only.split(",") if name)
    rows = []
    for slug in args.lessons.split(","):
        module = importlib.import_module(f"lessons.{LESSONS[slug]}")
        start = time.perf_counter()
        run_lesson(module, RunOptions(workdir=workdir, seed=args.seed, only=only))
        wall = time.perf_counter() - start
        view = lesson_view(module, workdir, args.seed)
        duel = module.showdown(view)
        if duel is None:
            peers = ", ".join(f"{r.variant} {r.metrics.get('test', r.metrics.get('val'))}"
                              for r in view.experiment(PEERS))
            rows.append(f"{slug}: no network of a full run of seed {args.seed} in {workdir}; peers: {peers}; "
                        f"run {wall:.0f} s")
            continue
        s = duel.score
        rows.append(f"{slug}: net `{duel.net.variant}` {s.show(s.get(duel.net))} (seeds {seeds_of(duel.net, args.seed)}, "
                    f"{duel.net.wall_seconds:.0f} s) vs peer `{duel.peer.variant}` {s.show(s.get(duel.peer))} "
                    f"({duel.peer.wall_seconds:.0f} s), {s.label}: the net {duel.verdict}"
                    + (f" (band ±{s.gap(duel.noise, 0)})" if duel.noise is not None else "")
                    + f"; ratio {duel.ratio:.2f} ({'peer error / net error' if s.higher_is_better else 'net / peer'})"
                    f"; {duel.rule}; run {wall:.0f} s")
        view.store.close()
    print()
    for row in rows:
        print(f"bench/peers: {row}")
    print(f"bench/peers: {conditions(args.seed)}; workdir {workdir}"
          + (f"; trained only {','.join(only)}" if only else ""))


if __name__ == "__main__":
    main()
