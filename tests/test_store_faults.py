"""A workdir or results store that cannot be used is one line and exit 2, before TensorFlow loads, and
the store is never written when damaged; read-only commands never write it (issue 24, items 1-3)."""
from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from reports.store import SCHEMA_VERSION, RunContext, Store
from tests.conftest import cli_env, nnlab_command, run_cli

# Commands that touch the store, each with arguments that get that far (detect checks the picture and
# the model's name before the workdir; translate looks for a trained model in the store).
COMMANDS = {
    "run": ["run", "neuron", "--quick"],
    "report": ["report", "neuron"],
    "detect": ["detect", "skimage:astronaut", "--model", "https://tfhub.dev/tensorflow/ssd_mobilenet_v2/2"],
    "translate": ["translate", "a dog runs"],
}


def small_store(workdir: Path, variants: int = 40) -> Path:
    """A real store with some finished variants and artifacts: dozens of pages, so the middle is data."""
    store = Store.in_workdir(workdir)
    ctx = RunContext(lesson="neuron", seed=0, quick=True, backend="numpy", dataset="toy", dataset_sha256="0" * 64)
    run_id = store.start_run(ctx, [])
    for i in range(variants):
        vid = store.start_variant(run_id, ctx, experiment="e", variant=f"v{i}", ordinal=i, key=f"k{i}",
                                  params={}, config={})
        store.finish_variant(vid, wall_seconds=1.0, metrics={"test": {"accuracy": 0.5}},
                             artifacts={"predictions": list(range(300))})
    store.end_run(run_id, "finished")
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return workdir / Store.FILENAME


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line_exit_2(result: subprocess.CompletedProcess, *expected: str) -> str:
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0]
    return lines[0]


def damage(path: Path, where: str) -> None:
    data = bytearray(path.read_bytes())
    if where == "header":
        data[:100] = b"x" * 100
    elif where == "middle":
        middle = len(data) // 2 // 4096 * 4096
        data[middle:middle + 4096] = b"\xab" * 4096
    else:
        data[:] = b"not a database at all\n" * 500
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("obstacle", ["workdir is a file", "workdir under a file"])
def test_workdir_in_the_way(tmp_path, command, obstacle):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    workdir = blocker if obstacle == "workdir is a file" else blocker / "runs"
    result = run_cli(COMMANDS[command] + ["--workdir", str(workdir)], cli_env(tmp_path), timeout=120)
    one_line_exit_2(result, str(blocker))
    assert blocker.read_text() == "a file, not a folder"


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("where", ["header", "middle", "whole"])
def test_damaged_store_is_refused_and_left_as_it_is(tmp_path, command, where):
    workdir = tmp_path / "runs"
    path = small_store(workdir)
    damage(path, where)
    before = digest(path)
    result = run_cli(COMMANDS[command] + ["--workdir", str(workdir)], cli_env(tmp_path), timeout=120)
    one_line_exit_2(result, str(path), "damaged", "fresh --workdir")
    assert digest(path) == before
    assert not (workdir / "results.sqlite-wal").exists() or (workdir / "results.sqlite-wal").stat().st_size == 0


@pytest.mark.parametrize("command", COMMANDS)
def test_store_from_a_newer_nnlab_is_refused(tmp_path, command):
    workdir = tmp_path / "runs"
    path = small_store(workdir)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.close()
    before = digest(path)
    result = run_cli(COMMANDS[command] + ["--workdir", str(workdir)], cli_env(tmp_path), timeout=120)
    one_line_exit_2(result, "newer nnlab", f"schema {SCHEMA_VERSION + 1}", "upgrade nnlab")
    assert digest(path) == before


def test_store_errors_come_before_tensorflow_loads(tmp_path):
    """The check costs no TensorFlow import: the refusal happens in the first second of the command."""
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    code = ("import sys\nfrom nnlab.cli import main\n"
            f"status = main(['run', 'neuron', '--quick', '--workdir', {str(blocker)!r}])\n"
            "print(status, 'tensorflow' in sys.modules, 'keras' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env=cli_env(tmp_path))
    assert result.stdout.split() == ["2", "False", "False"], result.stderr[-2000:]


def test_report_leaves_the_store_untouched(tmp_path):
    """`nnlab report` opens the store read-only: same bytes, still in its journal mode, no schema made."""
    workdir = tmp_path / "runs"
    path = small_store(workdir, variants=2)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=DELETE")  # a report must not switch it back to WAL
    db.close()
    before = digest(path)
    run_cli(["report", "neuron", "--workdir", str(workdir)], cli_env(tmp_path), timeout=120)
    assert digest(path) == before
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def read_only_mount_works(folder: Path) -> bool:
    probe = subprocess.run(["unshare", "--mount", "sh", "-c",
                            f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder}"],
                           capture_output=True)
    return shutil.which("unshare") is not None and probe.returncode == 0


def test_report_and_run_on_read_only_media(tmp_path):
    """A WAL store on a read-only file system: report works (written elsewhere with --out), run refuses."""
    workdir = tmp_path / "media"
    path = small_store(workdir, variants=2)
    if not read_only_mount_works(workdir):
        pytest.skip("no read-only bind mount here (needs unshare --mount)")
    out = tmp_path / "report-out"
    command = " ".join(nnlab_command())
    script = (f"mount --bind {workdir} {workdir} && mount -o remount,bind,ro {workdir} && "
              f"{command} report neuron --workdir {workdir} --out {out}; echo report=$?; "
              f"{command} report neuron --workdir {workdir}; echo default-out=$?; "
              f"{command} run neuron --quick --workdir {workdir}; echo run=$?")
    result = subprocess.run(["unshare", "--mount", "sh", "-c", script], capture_output=True, text=True,
                            timeout=300, env=cli_env(tmp_path))
    assert "report=0" in result.stdout, result.stderr[-2000:]
    assert (out / "report.md").is_file()
    assert "default-out=2" in result.stdout and "Fix: pass --out DIR" in result.stderr
    assert "run=2" in result.stdout and "read-only" in result.stderr
    assert path.is_file()
