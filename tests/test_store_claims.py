"""Crashed runs are reconciled and a variant is claimed atomically (issue 24, items 4-5), and a store
of schema 1 migrates to schema 2 with every record intact."""
from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from reports.store import SCHEMA_VERSION, RunContext, Store, process_start
from tests.conftest import cli_env, nnlab_command, run_cli

CTX = RunContext(lesson="demo", seed=0, quick=True, backend="tensorflow", dataset="d", dataset_sha256="abc")


def claim(store, run_id, key="k1", **kw):
    return store.claim_variant(run_id, CTX, experiment="e", variant=key, ordinal=1, key=key, params={},
                               config={}, **kw)


def running_row(store, run_id, key, *, pid, host=None, started=None, stamp=None):
    """A 'running' row as another process would have left it."""
    with store.transaction() as db:
        db.execute("INSERT INTO variants (run_id, lesson, experiment, variant, key, params, config, seed, backend,"
                   " dataset, dataset_sha256, quick, versions, started_at, status, pid, host, process_started)"
                   " VALUES (?, 'demo', 'e', ?, ?, '{}', '{}', 0, 'tensorflow', 'd', 'abc', 1, '{}', ?, 'running',"
                   " ?, ?, ?)", (run_id, key, key, stamp or datetime.now(timezone.utc).isoformat(), pid,
                                 host or socket.gethostname(), started))


def status(store, key):
    return [row[0] for row in store.db.execute("SELECT status FROM variants WHERE key = ? ORDER BY id", (key,))]


@pytest.fixture
def store(tmp_path):
    s = Store.in_workdir(tmp_path)
    yield s
    s.close()


def test_a_live_claim_is_respected_and_a_dead_one_is_crashed(store):
    run_id = store.start_run(CTX, [])
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        running_row(store, run_id, "k1", pid=holder.pid, started=process_start(holder.pid))
        answer = claim(store, run_id)
        assert answer.variant_id is None and f"pid {holder.pid}" in answer.holder
    finally:
        holder.kill()
        holder.wait()
    assert store.reconcile() == 1
    assert status(store, "k1") == ["crashed"]
    answer = claim(store, run_id)
    assert answer.variant_id is not None and status(store, "k1") == ["crashed", "running"]


def test_a_reused_pid_does_not_keep_a_claim_alive(store):
    run_id = store.start_run(CTX, [])
    running_row(store, run_id, "k1", pid=subprocess.os.getpid(), started="1")  # our pid, another start time
    assert claim(store, run_id).variant_id is not None
    assert status(store, "k1") == ["crashed", "running"]


def test_claims_of_another_host_are_trusted_for_a_day(store):
    run_id = store.start_run(CTX, [])
    running_row(store, run_id, "fresh", pid=1, host="elsewhere")
    old = (datetime.now(timezone.utc) - timedelta(hours=30)).isoformat()
    running_row(store, run_id, "stale", pid=1, host="elsewhere", stamp=old)
    assert store.reconcile() == 1
    assert status(store, "fresh") == ["running"] and status(store, "stale") == ["crashed"]


def test_finished_keys_are_skipped_unless_rerun(store):
    run_id = store.start_run(CTX, [])
    first = claim(store, run_id)
    store.finish_variant(first.variant_id, wall_seconds=1.0, metrics={"test": {"accuracy": 0.5}})
    assert claim(store, run_id).finished
    assert claim(store, run_id, rerun=True).variant_id is not None


V1_RUNS = """CREATE TABLE runs (id INTEGER PRIMARY KEY, lesson TEXT NOT NULL, kind TEXT NOT NULL DEFAULT 'run',
 started_at TEXT NOT NULL, ended_at TEXT, status TEXT NOT NULL, seed INTEGER NOT NULL, quick INTEGER NOT NULL,
 backend TEXT NOT NULL, dataset TEXT NOT NULL, dataset_sha256 TEXT NOT NULL, fallback INTEGER NOT NULL DEFAULT 0,
 data_info TEXT NOT NULL DEFAULT '{}', config TEXT NOT NULL DEFAULT '{}', versions TEXT NOT NULL DEFAULT '{}',
 argv TEXT NOT NULL DEFAULT '[]')"""
V1_VARIANTS = """CREATE TABLE variants (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id),
 lesson TEXT NOT NULL, experiment TEXT NOT NULL, variant TEXT NOT NULL, ordinal INTEGER NOT NULL DEFAULT 0,
 key TEXT NOT NULL, params TEXT NOT NULL, config TEXT NOT NULL, seed INTEGER NOT NULL, backend TEXT NOT NULL,
 dataset TEXT NOT NULL, dataset_sha256 TEXT NOT NULL, quick INTEGER NOT NULL, versions TEXT NOT NULL,
 started_at TEXT NOT NULL, ended_at TEXT, wall_seconds REAL,
 status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'interrupted', 'failed')),
 info TEXT NOT NULL DEFAULT '{}')"""


def test_a_schema_1_store_migrates_with_every_record(tmp_path):
    """Build a store as nnlab 0.1 wrote it (schema 1: no owner columns, no 'crashed'), then open it."""
    path = tmp_path / Store.FILENAME
    store = Store(path)
    run_id = store.start_run(CTX, [])
    for i in range(3):
        variant = claim(store, run_id, key=f"k{i}").variant_id
        store.finish_variant(variant, wall_seconds=float(i), metrics={"test": {"accuracy": i / 10}},
                             history={"loss": [1.0, 0.5]}, artifacts={"predictions": [i]})
    before = store.records("demo")
    left_running = claim(store, run_id, key="killed-under-schema-1").variant_id
    store.close()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA foreign_keys=OFF")
    db.execute("BEGIN")
    db.execute("CREATE TABLE old AS SELECT * FROM variants")
    db.execute("DROP TABLE variants")
    db.execute(V1_VARIANTS)
    columns = [row[1] for row in db.execute("PRAGMA table_info(variants)")]
    db.execute(f"INSERT INTO variants SELECT {', '.join(columns)} FROM old")
    db.execute("DROP TABLE old")
    run_columns = ("id, lesson, kind, started_at, ended_at, status, seed, quick, backend, dataset, dataset_sha256,"
                   " fallback, data_info, config, versions, argv")
    db.execute("ALTER TABLE runs RENAME TO runs_v2")
    db.execute(V1_RUNS)
    db.execute(f"INSERT INTO runs SELECT {run_columns} FROM runs_v2")
    db.execute("DROP TABLE runs_v2")
    db.execute("PRAGMA user_version=1")
    db.execute("COMMIT")
    db.close()

    assert Store(path, readonly=True).records("demo") == before  # a report reads schema 1 as it is
    store = Store(path)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.records("demo") == before
    assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert status(store, "killed-under-schema-1") == ["crashed"]  # schema 1 recorded no owner: long gone
    assert store.db.execute("SELECT pid FROM variants WHERE id = ?", (left_running,)).fetchone()[0] is None
    assert claim(store, store.start_run(CTX, []), key="k9").variant_id is not None  # new columns usable
    store.close()


def test_sigkill_mid_training_is_reconciled_retrained_and_reported(tmp_path):
    workdir = tmp_path / "runs"
    env = cli_env(tmp_path)
    args = ["run", "fashion-mlp", "--quick", "--workdir", str(workdir)]
    process = subprocess.Popen(nnlab_command() + args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    for line in process.stdout:
        if line.lstrip().startswith("width-64  epoch 1/"):
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    db = sqlite3.connect(workdir / Store.FILENAME)
    assert db.execute("SELECT variant, status FROM variants WHERE status != 'finished'").fetchall() == \
        [("width-64", "running")]
    db.close()
    result = run_cli(args, env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "[3/20] width / width-64 {" in result.stdout  # trained again, not skipped
    db = sqlite3.connect(workdir / Store.FILENAME)
    statuses = db.execute("SELECT status FROM variants WHERE variant = 'width-64' ORDER BY id").fetchall()
    assert statuses == [("crashed",), ("finished",)]
    assert db.execute("SELECT status FROM runs ORDER BY id").fetchall() == [("crashed",), ("finished",)]
    db.close()
    report = (workdir / "fashion-mlp" / "report.md").read_text()
    assert "| crashed | 1 training lost with their process; each trained again since |" in report


def test_two_runs_of_one_lesson_never_train_a_variant_twice(tmp_path):
    workdir = tmp_path / "runs"
    env = cli_env(tmp_path)
    args = nnlab_command() + ["run", "neuron", "--quick", "--workdir", str(workdir)]
    first = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    second = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    outputs = [p.communicate(timeout=300) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], [err[-1500:] for _, err in outputs]
    db = sqlite3.connect(workdir / Store.FILENAME)
    finished = db.execute("SELECT key, count(*) FROM variants WHERE status = 'finished' GROUP BY key").fetchall()
    assert finished and all(count == 1 for _, count in finished)
    assert db.execute("SELECT count(*) FROM variants WHERE status != 'finished'").fetchone()[0] == 0
    db.close()
