"""Benchmark: does distributed tuning scale? The same quick search with one worker, then two.

Runs `nnlab tune fashion-mlp --quick` as a chief plus N worker processes on loopback (Keras Tuner's
own chief/worker mode), each worker limited to one CPU thread (NNLAB_THREADS=1), for a fixed trial
count, and prints trials per minute for N = 1 and N = 2 and their ratio. Target on a 2-core machine:
ratio ≥ 1.6. The clock runs from the first worker's start to the last worker's exit, so process
start-up (importing TensorFlow) is counted, as a user would wait for it.

    NNLAB_DATA_DIR=<offline copy, optional> python bench/tune_scaling.py [--trials 24] [--epochs 2]
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def nnlab() -> list[str]:
    script = Path(sys.executable).with_name("nnlab")
    return [str(script)] if script.exists() else [sys.executable, "-m", "nnlab"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the chief exited early:\n{process.stdout.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("the chief never listened")


def search(workers: int, trials: int, epochs: int) -> float:
    """Wall seconds for `trials` trials with `workers` worker processes."""
    workdir = Path(tempfile.mkdtemp(prefix=f"nnlab-scaling-{workers}-"))
    env = dict(os.environ, NNLAB_THREADS="1", OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="2")
    common = ["tune", "fashion-mlp", "--quick", "--epochs", str(epochs), "--max-trials", str(trials),
              "--workdir", str(workdir)]
    port = free_port()
    processes = []
    try:
        chief = subprocess.Popen(nnlab() + common + ["--chief", "--bind", "127.0.0.1", "--port", str(port)],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        processes.append(chief)
        wait_for_port(port, chief)
        start = time.perf_counter()
        pool = [subprocess.Popen(nnlab() + common + ["--worker", str(i), "--oracle", f"127.0.0.1:{port}"],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                for i in range(1, workers + 1)]
        processes += pool
        for p in pool:
            output = p.communicate(timeout=1800)[0]
            if p.returncode != 0:
                raise RuntimeError(f"a worker failed:\n{output[-3000:]}")
        wall = time.perf_counter() - start
        chief.communicate(timeout=300)
        return wall
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    rates = {}
    for workers in (1, 2):
        wall = search(workers, args.trials, args.epochs)
        rates[workers] = args.trials / (wall / 60)
        print(f"bench/tune_scaling: {workers} worker(s): {args.trials} trials in {wall:.1f} s = "
              f"{rates[workers]:.2f} trials/min", flush=True)
    ratio = rates[2] / rates[1]
    print(f"bench/tune_scaling: 2 workers / 1 worker = {ratio:.2f}x (target ≥ 1.6; {os.cpu_count()} CPUs, "
          f"one thread per worker, quick fashion-mlp search, {args.epochs} epochs per trial)")


if __name__ == "__main__":
    main()
