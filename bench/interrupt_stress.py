"""Stress test: Ctrl-C or SIGTERM at a random moment of a quick run always ends in exit 130, one line.

Starts `nnlab run LESSON --quick` RUNS times, each in a fresh workdir, each time sending SIGINT or
SIGTERM (chosen at random) after a random delay drawn from the whole length of a run (start-up, TensorFlow import, data
loading, training, report compiling), and checks what a user would: the exit status is 130, stderr has no
traceback and no replay of TensorFlow's start-up log, and the store is consistent (`PRAGMA quick_check`
ok, no variant left 'running', no key finished twice). A run that ends before its signal lands counts as
finished (exit 0). Target: every interrupted run exits 130; 0 crashes (the issue saw one SIGSEGV, -11).

By default the lesson's data is the digits fallback (NNLAB_DATA_DIR unset, empty Keras cache, no
download), as on the fresh clone where the crash was seen: epochs last 0.1 s, so signals land everywhere.

    python bench/interrupt_stress.py [--runs 50] [--lesson fashion-mlp] [--seed 0] [--keep-data]
"""
from __future__ import annotations

import argparse
import collections
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def nnlab() -> list[str]:
    script = Path(sys.executable).with_name("nnlab")
    return [str(script)] if script.exists() else [sys.executable, "-m", "nnlab"]


def store_problems(workdir: Path) -> list[str]:
    path = workdir / "results.sqlite"
    if not path.exists():
        return []
    db = sqlite3.connect(path)
    try:
        problems = [] if db.execute("PRAGMA quick_check").fetchone()[0] == "ok" else ["quick_check failed"]
        running = db.execute("SELECT count(*) FROM variants WHERE status = 'running'").fetchone()[0]
        twice = db.execute("SELECT count(*) FROM (SELECT key FROM variants WHERE status = 'finished' "
                           "GROUP BY key HAVING count(*) > 1)").fetchone()[0]
    finally:
        db.close()
    return problems + ([f"{running} variants left 'running'"] if running else []) + \
        ([f"{twice} keys finished twice"] if twice else [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--lesson", default="fashion-mlp")
    parser.add_argument("--seed", type=int, default=0, help="seeds the signal times and kinds")
    parser.add_argument("--keep-data", action="store_true", help="keep NNLAB_DATA_DIR (real data, slower epochs)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="nnlab-stress-"))
    env = dict(os.environ, KERAS_HOME=str(tmp / "keras-home"), NNLAB_OFFLINE="1", PYTHONUNBUFFERED="1")
    if not args.keep_data:
        env.pop("NNLAB_DATA_DIR", None)
    def command(workdir: Path) -> list[str]:
        return nnlab() + ["run", args.lesson, "--quick", "--workdir", str(workdir)]

    start = time.perf_counter()
    whole = subprocess.run(command(tmp / "whole"), env=env, capture_output=True, text=True)
    length = time.perf_counter() - start
    if whole.returncode != 0:
        raise SystemExit(f"an uninterrupted run failed (exit {whole.returncode}):\n{whole.stderr[-3000:]}")
    print(f"{args.lesson} --quick, uninterrupted: {length:.1f} s; signals drawn from 0..{length:.1f} s", flush=True)

    outcomes: collections.Counter[str] = collections.Counter()
    bad = []
    for i in range(1, args.runs + 1):
        signum = rng.choice((signal.SIGINT, signal.SIGTERM))
        delay = rng.uniform(0.0, length)
        workdir = tmp / f"run-{i}"
        process = subprocess.Popen(command(workdir), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                   preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        time.sleep(delay)
        if process.poll() is None:
            process.send_signal(signum)
        stderr = process.communicate(timeout=300)[1]
        code = process.returncode
        problems = store_problems(workdir)
        # The digits fallback's two WARNING lines are expected; the interruption itself is one line.
        lines = [line for line in stderr.strip().splitlines() if line.strip() and not line.startswith("WARNING:")]
        if code == 130 and ("Traceback" in stderr or len(lines) != 1):
            problems.append(f"stderr is {len(lines)} lines")
        kind = "finished" if code == 0 else "interrupted (130)" if code == 130 else f"exit {code}"
        outcomes[kind] += 1
        status = "ok" if not problems and code in (0, 130) else "BAD"
        print(f"[{i}/{args.runs}] {signal.Signals(signum).name} at {delay:5.2f} s -> {kind}  {status}"
              + (f": {'; '.join(problems)}" if problems else ""), flush=True)
        if status == "BAD":
            bad.append((i, code, problems, stderr[-1500:]))
    print(f"\nfigure: {outcomes['interrupted (130)']} of {args.runs} runs interrupted with exit 130, "
          f"{outcomes['finished']} finished before the signal, {len(bad)} bad "
          f"({dict(outcomes)}); target: 0 bad")
    print(f"conditions: {args.lesson} --quick, {'real data' if args.keep_data else 'digits fallback'}, "
          f"{os.cpu_count()} CPUs, seed {args.seed}")
    for i, code, problems, tail in bad:
        print(f"\n--- run {i}: exit {code}; {problems}\n{tail}")
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
