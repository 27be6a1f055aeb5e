"""Keras Tuner's chief/worker mode, made to fail fast and to survive a dead worker.

Keras Tuner's own protocol is kept as it is (a gRPC oracle on the chief, workers asking it for trials);
what it lacks under faults is added around it:

- deadlines: its client waits up to an hour for every call (`wait_for_ready`), so a worker pointed at a
  port that is not a chief, or whose chief died, hangs. Here every call from a worker has a deadline of
  DEADLINE_SECONDS, and a call that misses it ends the worker with one line (`ChiefLost`).
- heartbeats: while a worker trains, a thread asks the chief for its trial every HEARTBEAT_SECONDS, so
  the worker notices a dead chief within seconds instead of at the end of the trial.
- leases: Keras Tuner hands an unfinished trial back only to a worker with the same id, so a worker that
  dies mid-trial holds its trial (and the chief) forever. Here the chief hands the trial of a worker
  silent for LEASE_SECONDS to the next worker that asks, and a worker with no trial left to run waits
  while others still run theirs, so it can take over such a trial instead of leaving.
"""
from __future__ import annotations

import errno
import os
import socket
import threading
import time
from typing import Callable

import grpc
import keras_tuner as kt
from keras_tuner.engine.trial import Trial, TrialStatus

from nnlab.errors import UserError

# A healthy chief answers in milliseconds; the slack is for a busy chief writing its project files.
DEADLINE_SECONDS = 10.0
HEARTBEAT_SECONDS = 2.0
# Longer than a worker takes to give up on an unreachable chief (a heartbeat plus a deadline), so a
# worker cut off from the chief stops itself before its trial is handed to another.
LEASE_SECONDS = 30.0
# How often a worker with nothing to run asks again whether a trial has come back.
IDLE_POLL_SECONDS = 2.0


class ChiefLost(UserError, kt.errors.FatalError):
    """A worker's call to the chief missed its deadline. A FatalError, so Keras Tuner does not take it
    for a failed trial and carry on; a UserError, so the CLI prints it as one line and exits 2."""


def check_oracle_reachable(host: str, port: int, timeout: float = 10.0) -> None:
    """A worker's first contact: fail in `timeout` seconds with the fix instead of waiting forever."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as error:
        raise UserError(f"no tuning chief answers at {host}:{port} ({error.strerror or error}). Fix: start "
                        f"`nnlab tune <lesson> --chief --port {port}` there first, or correct --oracle") from None


def check_port_free(host: str, port: int) -> None:
    """The chief's address can be listened on; gRPC would otherwise fail deep in the search with a traceback.

    SO_REUSEADDR lets the check pass over connections of an earlier chief still in TIME_WAIT, while a
    program listening on the port (gRPC servers included) still makes the bind fail.
    """
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except socket.gaierror:
            raise UserError(f"--bind {host} is not an address. Fix: give an address of this machine, e.g. "
                            f"--bind 127.0.0.1 (this machine only) or --bind 0.0.0.0 (every interface)") from None
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise UserError(f"port {port} on {host} is in use by another program. Fix: choose a free port "
                                f"with --port (and give the workers the same one in --oracle)") from None
            raise UserError(f"cannot listen on {host}:{port} ({error.strerror or error}). Fix: --bind an "
                            f"address of this machine, e.g. 127.0.0.1 or 0.0.0.0") from None


def configure_distribution(role: str, worker_id: str | None, host: str, port: int) -> None:
    """Set Keras Tuner's own environment variables for chief/worker mode (or clear them for `solo`)."""
    for name in ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT"):
        os.environ.pop(name, None)
    if role == "solo":
        return
    if role == "worker":
        check_oracle_reachable(host, port)
    else:
        check_port_free(host, port)
    os.environ["KERASTUNER_TUNER_ID"] = "chief" if role == "chief" else f"worker-{worker_id}"
    os.environ["KERASTUNER_ORACLE_IP"] = host
    os.environ["KERASTUNER_ORACLE_PORT"] = str(port)


class DeadlineStub:
    """Keras Tuner's OracleStub with a deadline on every call; a missed one raises `ChiefLost`.

    It takes the place of `OracleClient.stub`, the one object through which a worker reaches the chief.
    Once a call has missed its deadline the chief counts as gone: later calls fail at once instead of
    waiting a deadline each (the heartbeat's miss then ends the trial's own calls too).
    """

    def __init__(self, stub, address: str, seconds: float = DEADLINE_SECONDS):
        self._stub, self.address, self.seconds = stub, address, seconds
        self.answered = False  # once the chief has answered, a failure means it went away
        self._gone: ChiefLost | None = None

    def __getattr__(self, name: str):
        call = getattr(self._stub, name)

        def with_deadline(request, **kwargs):
            if self._gone is None:
                try:
                    response = call(request, **{**kwargs, "timeout": self.seconds})
                except grpc.RpcError as error:
                    self._gone = self.lost(error.code().name)
                else:
                    self.answered = True
                    return response
            raise self._gone

        return with_deadline

    def lost(self, why: str) -> ChiefLost:
        if self.answered:
            return ChiefLost(f"the tuning chief at {self.address} stopped answering ({why}); this worker's "
                             f"finished trials are recorded. Fix: start the chief again (it resumes the "
                             f"search), then this worker")
        return ChiefLost(f"nothing at {self.address} answered as a tuning chief within {self.seconds:.0f} s "
                         f"({why}). Fix: start `nnlab tune <lesson> --chief` there first, or correct --oracle")


def bound_worker_calls(oracle_client, host: str, port: int) -> None:
    """Give every call of a worker's `OracleClient` a deadline (see `DeadlineStub`)."""
    oracle_client.stub = DeadlineStub(oracle_client.stub, f"{host}:{port}")


class Heartbeat:
    """While a worker trains a trial, ask the chief for it every HEARTBEAT_SECONDS.

    The chief counts each call as a sign of life (see `keep_leases`); a call that misses its deadline
    passes the `ChiefLost` to `on_lost` (which stops the training) and ends the heartbeat.
    """

    def __init__(self, oracle_client, trial_id: str, on_lost: Callable[[ChiefLost], None]):
        self._oracle, self._trial_id, self._on_lost = oracle_client, trial_id, on_lost
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{trial_id}", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._done.wait(HEARTBEAT_SECONDS):
            try:
                self._oracle.get_trial(self._trial_id)
            except ChiefLost as error:
                self._on_lost(error)
                return

    def stop(self) -> None:
        # No join: a call in flight may take up to a deadline, and the trial's own calls need not wait
        # for it (if it misses, they fail at once; see DeadlineStub).
        self._done.set()


def keep_leases(oracle, report: Callable[[str], None]) -> None:
    """On the chief: hand the trial of a silent worker to the next one that asks, and keep workers waiting
    while trials still run elsewhere.

    Every call a worker makes renews its lease: asking for a trial (`create_trial`, with its id) and the
    heartbeats (`get_trial`, with the id of the trial it holds). A worker silent for LEASE_SECONDS is
    dropped: its trial goes to the oracle's retry queue, where Keras Tuner itself puts the trials that were
    running when a chief restarts, and which it serves before new trials.
    """
    seen: dict[str, float] = {}
    create_trial, get_trial = oracle.create_trial, oracle.get_trial

    @kt.synchronized
    def create_trial_or_wait(oracle, tuner_id: str):
        seen[tuner_id] = time.monotonic()
        trial = create_trial(tuner_id)
        if trial.status == TrialStatus.STOPPED and oracle.ongoing_trials:
            # Nothing new to run, but a trial still running elsewhere may come back if its worker dies.
            oracle.tuner_ids.add(tuner_id)
            return Trial(oracle.get_space(), status=TrialStatus.IDLE)
        return trial

    @kt.synchronized
    def get_trial_renewing(oracle, trial_id: str):
        for tuner_id, trial in oracle.ongoing_trials.items():
            if trial.trial_id == trial_id:
                seen[tuner_id] = time.monotonic()
        return get_trial(trial_id)

    @kt.synchronized
    def drop_silent_workers(oracle) -> None:
        now = time.monotonic()
        for tuner_id in list(oracle.tuner_ids):
            if now - seen.setdefault(tuner_id, now) <= LEASE_SECONDS:
                continue
            oracle.tuner_ids.discard(tuner_id)
            seen.pop(tuner_id)
            trial = oracle.ongoing_trials.pop(tuner_id, None)
            if trial is not None:
                oracle._retry_queue.append(trial.trial_id)
                oracle.save()
            report(f"{tuner_id} stopped answering for {LEASE_SECONDS:.0f} s"
                   + (f": trial {trial.trial_id} goes to the next worker that asks" if trial else ""))

    def watch() -> None:
        while True:
            time.sleep(1.0)
            drop_silent_workers(oracle)

    oracle.create_trial = lambda tuner_id: create_trial_or_wait(oracle, tuner_id)
    oracle.get_trial = lambda trial_id: get_trial_renewing(oracle, trial_id)
    threading.Thread(target=watch, name="leases", daemon=True).start()
