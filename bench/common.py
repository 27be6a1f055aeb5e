"""What every lesson benchmark does: run the full lesson once, time it, hand back its records."""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from types import ModuleType


def run_full_lesson(module: ModuleType, description: str):
    """Parse --workdir/--seed, run the whole lesson (fresh unless --workdir is given), return
    (finished records of this seed's full run, wall seconds, workdir, seed)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="default: a fresh temporary folder (so nothing is skipped)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="nnlab-bench-"))

    from nnlab.runner import RunOptions, run_lesson
    from reports.store import Store

    start = time.perf_counter()
    run_lesson(module, RunOptions(workdir=workdir, seed=args.seed))
    wall = time.perf_counter() - start
    store = Store.in_workdir(workdir)
    records = store.records(module.SLUG, seed=args.seed, quick=False)
    store.close()
    return records, wall, workdir, args.seed


def conditions(seed: int) -> str:
    import keras

    return f"{os.cpu_count()} CPUs, backend {keras.backend.backend()}, seed {seed}"
