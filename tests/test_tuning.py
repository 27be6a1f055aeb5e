"""`nnlab tune`: the real Keras Tuner, trials in the store and the report, resume, distributed mode."""
from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
import threading
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


def test_interrupting_the_best_trials_retrain_stops_it(tmp_path):
    """Ctrl-C during the final retrain stops it at a batch end: exit 130, one line, no best record and
    no report; the rerun retrains the best trial and writes them."""
    workdir = tmp_path / "runs"
    env = cli_env(tmp_path)
    args = TUNE + ["--max-trials", "2", "--workdir", str(workdir)]
    code, output = interrupt_during(args, env, "best trial", signal.SIGINT)
    assert code == 130, output[-2000:]
    assert "Traceback" not in output and "interrupted" in output
    assert trials(workdir, "search:random:best") == []
    assert not (workdir / "fashion-mlp" / "report.md").exists()
    result = run_cli(args, env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(trials(workdir, "search:random:best")) == 1
    assert (workdir / "fashion-mlp" / "report.md").is_file()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_listening(process: subprocess.Popen, port: int, host: str = "127.0.0.1", timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            assert process.poll() is None, "the chief ended before it listened"
            time.sleep(0.5)
    raise AssertionError(f"nothing listens on {host}:{port} after {timeout} s")


def test_distributed_chief_and_two_workers_on_loopback(tmp_path):
    workdir, port = tmp_path / "runs", free_port()
    env = cli_env(tmp_path)
    common = TUNE + ["--max-trials", "4", "--workdir", str(workdir)]
    processes = []
    try:
        chief = subprocess.Popen(nnlab_command() + common + ["--chief", "--bind", "127.0.0.1", "--port", str(port)],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        processes.append(chief)
        wait_until_listening(chief, port)
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


# ---- faults: ports that are not chiefs, dead chiefs, dead workers (issue 24) -------------------------

class Process:
    """A `nnlab` subprocess whose stdout and stderr are collected line by line as it runs."""

    def __init__(self, args: list[str], env: dict[str, str]):
        self.popen = subprocess.Popen(nnlab_command() + args, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)
        self.out: list[str] = []
        self.err: list[str] = []
        self.readers = [threading.Thread(target=lambda s=stream, into=lines: into.extend(iter(s.readline, "")),
                                         daemon=True)
                        for stream, lines in ((self.popen.stdout, self.out), (self.popen.stderr, self.err))]
        for reader in self.readers:
            reader.start()

    def wait_for(self, text: str, timeout: float = 180) -> None:
        deadline = time.time() + timeout
        while not any(text in line for line in self.out):
            assert self.popen.poll() is None, f"ended before printing {text!r}:\n{self.output()}"
            assert time.time() < deadline, f"no {text!r} after {timeout} s:\n{self.output()}"
            time.sleep(0.1)

    def wait(self, timeout: float) -> int:
        code = self.popen.wait(timeout=timeout)
        for reader in self.readers:
            reader.join()
        return code

    def output(self) -> str:
        return "".join(self.out)[-2000:] + "\n--- stderr ---\n" + "".join(self.err)[-2000:]

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()


@pytest.fixture
def processes():
    started: list[Process] = []
    yield lambda args, env: started.append(Process(args, env)) or started[-1]
    for process in started:
        process.kill()


def one_line_error(process: Process) -> str:
    """The error line; the digits fallback's WARNING lines (no offline data here) are not errors."""
    lines = [line for line in process.err if line.strip() and not line.startswith("WARNING:")]
    assert len(lines) == 1 and lines[0].startswith("nnlab: error: "), process.output()
    return lines[0]


def test_a_worker_pointed_at_a_port_that_is_no_chief_fails_in_seconds(tmp_path, processes):
    silent = socket.socket()  # listens and accepts, but never speaks gRPC
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    port = silent.getsockname()[1]
    accepted = []

    def accept_and_say_nothing():
        try:
            while True:
                accepted.append(silent.accept()[0])
        except OSError:  # closed at the end of the test
            pass

    threading.Thread(target=accept_and_say_nothing, daemon=True).start()
    try:
        worker = processes(TUNE + ["--worker", "1", "--oracle", f"127.0.0.1:{port}", "--workdir", str(tmp_path)],
                           cli_env(tmp_path))
        worker.wait_for("as worker 1")
        start = time.time()
        assert worker.wait(timeout=120) == 2
        assert time.time() - start < 60  # the deadline is 10 s; the rest is start-up on a busy machine
    finally:
        silent.close()
        for connection in accepted:
            connection.close()
    assert "nothing at 127.0.0.1:" in one_line_error(worker)


def test_a_chief_on_a_busy_port_is_one_line(tmp_path, processes):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        chief = processes(TUNE + ["--chief", "--port", str(port), "--workdir", str(tmp_path)], cli_env(tmp_path))
        assert chief.wait(timeout=120) == 2
    assert f"port {port} on 127.0.0.1 is in use" in one_line_error(chief)


def non_loopback_address() -> str | None:
    """An IPv4 address of this machine other than 127.x, if it has one."""
    candidates = set()
    try:
        candidates.update(subprocess.run(["hostname", "-I"], capture_output=True, text=True,
                                         timeout=10).stdout.split())
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        candidates.update(socket.gethostbyname_ex(socket.gethostname())[2])
    except OSError:
        pass
    return next((a for a in sorted(candidates) if "." in a and not a.startswith("127.")), None)


def test_the_default_chief_is_not_reachable_from_other_machines(tmp_path, processes):
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no address other than loopback")
    port = free_port()
    chief = processes(TUNE + ["--chief", "--port", str(port), "--workdir", str(tmp_path)], cli_env(tmp_path))
    wait_until_listening(chief.popen, port)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address, port), timeout=5).close()


@pytest.mark.parametrize("threads", ["abc", "-1", "0"])
def test_a_bad_thread_count_is_one_line(tmp_path, threads):
    result = run_cli(["run", "neuron", "--quick", "--workdir", str(tmp_path)], cli_env(tmp_path, NNLAB_THREADS=threads),
                     timeout=60)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert f"NNLAB_THREADS must be a positive number of CPU threads. Received: {threads!r}" in result.stderr


def start_chief(processes, common, env, port):
    chief = processes(common + ["--chief", "--port", str(port)], env)
    wait_until_listening(chief.popen, port)
    return chief


def test_workers_stop_within_seconds_when_the_chief_dies(tmp_path, processes):
    workdir, port, env = tmp_path / "runs", free_port(), cli_env(tmp_path)
    common = TUNE + ["--max-trials", "9", "--epochs", "20", "--workdir", str(workdir)]
    chief = start_chief(processes, common, env, port)
    worker = processes(common + ["--worker", "1", "--oracle", f"127.0.0.1:{port}"], env)
    worker.wait_for("trial 0: val accuracy", timeout=300)
    chief.popen.send_signal(signal.SIGKILL)
    start = time.time()
    assert worker.wait(timeout=120) == 2, worker.output()
    assert time.time() - start < 30, f"the worker took {time.time() - start:.0f} s"  # heartbeat 2 s + deadline 10 s
    assert "the tuning chief at 127.0.0.1:" in one_line_error(worker)
    assert ("trial-0", "finished") in {(variant, status) for variant, _, status in trials(workdir)}


def test_a_dead_workers_trial_goes_to_another_and_the_search_finishes(tmp_path, processes):
    workdir, port, env = tmp_path / "runs", free_port(), cli_env(tmp_path)
    common = TUNE + ["--max-trials", "3", "--epochs", "20", "--workdir", str(workdir)]
    chief = start_chief(processes, common, env, port)
    first = processes(common + ["--worker", "1", "--oracle", f"127.0.0.1:{port}"], env)
    first.wait_for("trial 0: val accuracy", timeout=300)  # it then asks for trial 1 and trains it
    project = workdir / "tuning" / "fashion-mlp" / "random-quick-seed0"
    deadline = time.time() + 60
    while not (project / "trial_1" / "trial.json").exists():
        assert time.time() < deadline, first.output()
        time.sleep(0.1)
    first.popen.send_signal(signal.SIGKILL)
    second = processes(common + ["--worker", "2", "--oracle", f"127.0.0.1:{port}"], env)
    assert chief.wait(timeout=400) == 0, chief.output()
    assert second.wait(timeout=60) == 0, second.output()
    assert "worker-1 stopped answering for 30 s: trial 1 goes to the next worker that asks" in "".join(chief.out)
    rows = trials(workdir)
    assert sorted(variant for variant, _, status in rows if status == "finished") == ["trial-0", "trial-1", "trial-2"]
    assert len(trials(workdir, "search:random:best")) == 1
