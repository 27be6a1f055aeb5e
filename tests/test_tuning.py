"""`nnlab tune`: the real Keras Tuner, trials in the store and the report, resume, distributed mode."""
from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
import time

import pytest

from tests.conftest import cli_env, nnlab_command, run_cli
from tests.test_interrupt import interrupt_during

TUNE = ["tune", "fashion-mlp", "--quick", "--epochs", "1"]


def trials(workdir, experiment="search:random"):
    db = sqlite3.connect(workdir / "results.sqlite")
    rows = db.execute("SELECT variant, key, status FROM variants WHERE experiment = ? ORDER BY id",
                      (experiment,)).fetchall()
    db.close()
    return rows


def test_tiny_search_lands_in_the_store_and_the_report(tmp_path):
    workdir = tmp_path / "runs"
    result = run_cli(TUNE + ["--max-trials", "2", "--workdir", str(workdir)], cli_env(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    rows = trials(workdir)
    assert sorted(r[0] for r in rows) == ["trial-0", "trial-1"] and {r[2] for r in rows} == {"finished"}
    assert len(trials(workdir, "search:random:best")) == 1
    report = (workdir / "fashion-mlp" / "report.md").read_text()
    section = report.split("## Search: Keras Tuner `random`", 1)[1]
    for column in ("units", "layers", "activation", "dropout", "optimizer", "learning_rate", "val acc"):
        assert f" {column} " in section.splitlines()[4]
    assert "Best configuration (trial" in section and "test accuracy" in section
    assert (workdir / "fashion-mlp" / "search_random.png").read_bytes()[:4] == b"\x89PNG"
    assert any((workdir / "tensorboard" / "fashion-mlp").rglob("events.out.tfevents.*"))


def test_interrupted_search_resumes_without_rerunning_finished_trials(tmp_path):
    workdir = tmp_path / "runs"
    env = cli_env(tmp_path)
    args = TUNE + ["--max-trials", "3", "--workdir", str(workdir)]
    code, output = interrupt_during(args, env, "trial 0: val accuracy", signal.SIGINT)
    assert code == 130, output[-2000:]
    assert [r[0] for r in trials(workdir)] == ["trial-0"]
    result = run_cli(args, env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "trial 0:" not in result.stdout  # finished before the interrupt: not run again
    rows = trials(workdir)
    assert sorted(r[0] for r in rows) == ["trial-0", "trial-1", "trial-2"]
    assert len({r[1] for r in rows}) == 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_distributed_chief_and_two_workers_on_loopback(tmp_path):
    workdir, port = tmp_path / "runs", free_port()
    env = cli_env(tmp_path)
    common = TUNE + ["--max-trials", "4", "--workdir", str(workdir)]
    processes = []
    try:
        chief = subprocess.Popen(nnlab_command() + common + ["--chief", "--bind", "127.0.0.1", "--port", str(port)],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        processes.append(chief)
        deadline = time.time() + 120
        while time.time() < deadline:  # wait until the chief listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert chief.poll() is None, chief.stdout.read()
                time.sleep(0.5)
        for worker in ("1", "2"):
            processes.append(subprocess.Popen(
                nnlab_command() + common + ["--worker", worker, "--oracle", f"127.0.0.1:{port}"],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        outputs = [p.communicate(timeout=400)[0] for p in processes]
        assert [p.returncode for p in processes] == [0, 0, 0], "\n-----\n".join(o[-2000:] for o in outputs)
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
                p.wait()
    rows = trials(workdir)
    assert len(rows) == 4 and len({r[0] for r in rows}) == 4  # every trial recorded once
    db = sqlite3.connect(workdir / "results.sqlite")
    workers = {row[0] for row in db.execute(
        "SELECT json_extract(info, '$.worker') FROM variants WHERE experiment = 'search:random'")}
    best_in_store = db.execute(
        "SELECT v.variant FROM variants v JOIN metrics m ON m.variant_id = v.id AND m.split = 'val' "
        "AND m.name = 'accuracy' WHERE v.experiment = 'search:random' ORDER BY m.value DESC, v.id LIMIT 1"
    ).fetchone()[0]
    db.close()
    assert workers <= {"worker-1", "worker-2"}
    assert f"best trial {best_in_store.removeprefix('trial-')} " in outputs[0]


@pytest.mark.parametrize("args, expected", [
    (["--tuner", "grid"], "argument --tuner: invalid choice: 'grid'"),
    (["--max-trials", "0"], "--max-trials: expected a positive integer. Received: 0"),
    (["--worker", "1"], "--worker needs --oracle HOST:PORT"),
    (["--worker", "chief-2", "--oracle", "127.0.0.1:9"], "not 'chief'"),
    (["--oracle", "nowhere"], "expected HOST:PORT"),
])
def test_bad_tune_options_are_one_line_and_exit_2(tmp_path, args, expected):
    result = run_cli(["tune", "fashion-mlp"] + args + ["--workdir", str(tmp_path)], cli_env(tmp_path), timeout=60)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert expected in result.stderr


def test_a_worker_pointed_at_no_chief_fails_fast(tmp_path):
    start = time.time()
    result = run_cli(TUNE + ["--worker", "1", "--oracle", f"127.0.0.1:{free_port()}", "--workdir", str(tmp_path)],
                     cli_env(tmp_path), timeout=90)
    assert result.returncode == 2 and time.time() - start < 60
    assert "no tuning chief answers at 127.0.0.1:" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
