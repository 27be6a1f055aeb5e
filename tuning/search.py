"""Keras Tuner searches over a lesson's search space, recorded in the lesson's results store.

A lesson that can be tuned defines `hypermodel(hp, data)` beside its model builders: the whole
search space in one function that returns a compiled Keras model. `run_search` then

- builds the real Keras Tuner (RandomSearch, BayesianOptimization or Hyperband) on that function,
  objective val_accuracy, early stopping, TensorBoard logs with the HParams dashboard;
- keeps the tuner's project in `<workdir>/tuning/<slug>/<tuner>-<quick|full>-seed<N>`, so running the
  same command again resumes: Keras Tuner reloads its oracle, finished trials are not rerun, and a
  trial that was running when the search was interrupted is retried (`--overwrite` starts afresh);
- records every finished trial in the store as a variant of experiment `search:<tuner>`, once, from
  whichever process ran it (a worker in distributed mode);
- when the search is over (solo or on the chief), retrains the best configuration the way the lesson
  trains, scores it on the test split, records it as `search:<tuner>:best`, and rebuilds the report.

Distributed mode is Keras Tuner's own chief/worker protocol, set up by KERASTUNER_TUNER_ID,
KERASTUNER_ORACLE_IP and KERASTUNER_ORACLE_PORT before the tuner is made; `tuning.distributed` adds
deadlines, heartbeats and leases so that a dead chief or worker does not hang the search.
"""
from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Iterator

from nnlab.bookkeeping import RunRecorder, recorded_run
from nnlab.contract import TunableData, TunableLesson, check, check_data
from nnlab.errors import UserError
from nnlab.hashing import content_key
from nnlab.runner import RunOptions, config_dict, termination_as_interrupt, versions
from keras_models.stopping import deferred, raise_if_requested, request_stop, stop_callback
from reports.report import SEARCH_PREFIX as EXPERIMENT_PREFIX
from reports.store import RunContext, Store
from tuning.distributed import (IDLE_POLL_SECONDS, Heartbeat, bound_worker_calls,
                                configure_distribution, keep_leases)

TUNERS = ("random", "bayesian", "hyperband")


@dataclass
class TuneOptions:
    tuner: str = "random"
    max_trials: int = 10
    overwrite: bool = False
    role: str = "solo"                    # solo | chief | worker
    worker_id: str | None = None
    oracle_host: str = "127.0.0.1"        # where the chief listens / workers connect
    oracle_port: int = 8000
    run: RunOptions = field(default_factory=RunOptions)


@contextmanager
def stop_at_next_batch(trains: bool = True) -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM (under the CLI's `termination_as_interrupt`) wait for the
    end of a training batch: Keras Tuner writes its oracle.json and trial.json files non-atomically, and
    an interrupt in the middle of such a write leaves an empty file that makes the project unloadable.
    Training batches are the one place where none of those writes can be under way; the best trial's
    retrain at the end stops the same way. A process that trains nothing (the chief only serves the
    oracle) keeps plain interrupts."""
    with termination_as_interrupt():
        if not trains:
            yield
            return
        with deferred():
            yield


def tunable(module: ModuleType) -> ModuleType:
    """`module` if it is a `TunableLesson`; a lesson without a search space is the user's one-line error."""
    if not hasattr(module, "hypermodel"):
        raise UserError(f"lesson '{module.SLUG}' has no search space yet; lessons with one: fashion-mlp, "
                        f"fashion-cnn, notmnist.")
    return check(module, TunableLesson)


def project_name(options: TuneOptions) -> str:
    return f"{options.tuner}-{'quick' if options.run.quick else 'full'}-seed{options.run.seed}"


def _trial_key(slug: str, project: str, trial_id: str, dataset_sha256: str) -> str:
    return content_key(slug, project, trial_id, dataset_sha256)


def make_tuner(module: ModuleType, data, config, options: TuneOptions, book: RunRecorder):
    """The Keras Tuner of `options.tuner`, extended only to record each finished trial in the store."""
    import keras
    import keras_tuner as kt

    base = {"random": kt.RandomSearch, "bayesian": kt.BayesianOptimization, "hyperband": kt.Hyperband}[options.tuner]
    project = project_name(options)
    experiment = EXPERIMENT_PREFIX + options.tuner

    class RecordingTuner(base):
        # Distributed mode (see tuning.distributed): a worker's calls get deadlines and, while it trains,
        # a heartbeat; the chief keeps leases, so a dead worker's trial goes to another.
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._nnlab_heartbeat, self._nnlab_idle = None, False
            if options.role == "worker":  # Keras Tuner has just put its OracleClient in self.oracle
                bound_worker_calls(self.oracle, options.oracle_host, options.oracle_port)
            elif options.role == "chief":
                keep_leases(self.oracle, report=lambda line: print(line, flush=True))

        def pre_create_trial(self):
            super().pre_create_trial()
            raise_if_requested()  # between trials no project file is being written either
            if self._nnlab_idle:  # the chief answered IDLE: ask again in a while, not in a busy loop
                time.sleep(IDLE_POLL_SECONDS)
            self._nnlab_idle = True

        def on_trial_begin(self, trial):
            self._nnlab_idle = False
            if options.role == "worker":
                self._nnlab_heartbeat = Heartbeat(self.oracle, trial.trial_id, on_lost=request_stop)
            super().on_trial_begin(trial)

        def run_trial(self, trial, *args, **kwargs):
            keras.backend.clear_session()  # each trial starts from an empty graph: memory stays flat
            start = time.perf_counter()
            histories = super().run_trial(trial, *args, **kwargs)
            self._nnlab_runs = getattr(self, "_nnlab_runs", {})
            self._nnlab_runs[trial.trial_id] = (histories, time.perf_counter() - start)
            return histories

        def on_trial_end(self, trial):
            if self._nnlab_heartbeat is not None:
                self._nnlab_heartbeat.stop()
                self._nnlab_heartbeat = None
            super().on_trial_end(trial)  # the oracle has the result before we record it
            histories, wall = getattr(self, "_nnlab_runs", {}).pop(trial.trial_id, (None, 0.0))
            if histories is None or trial.status != "COMPLETED":
                return
            history = histories[0].history if hasattr(histories[0], "history") else histories[0]
            history = {k: [float(v) for v in values] for k, values in history.items()}
            values = {k: v for k, v in trial.hyperparameters.values.items() if not k.startswith("tuner/")}
            best = {name: max(vals) if "accuracy" in name else min(vals) for name, vals in history.items()}
            metrics = {"val": {"accuracy": best.get("val_accuracy", float("nan")),
                               "loss": best.get("val_loss", float("nan"))},
                       "train": {"accuracy": best.get("accuracy", float("nan"))}}
            recorded = book.record_once(
                experiment=experiment, variant=f"trial-{trial.trial_id}",
                ordinal=10_000 + int(trial.trial_id) if trial.trial_id.isdigit() else 10_000,
                key=_trial_key(module.SLUG, project, trial.trial_id, book.ctx.dataset_sha256), params=values,
                config=config_dict(config), wall_seconds=wall, metrics=metrics, history=history,
                info={"trial_id": trial.trial_id, "score": trial.score, "best_step": trial.best_step,
                      "epochs_run": len(next(iter(history.values()), [])), "tuner": options.tuner,
                      "worker": os.environ.get("KERASTUNER_TUNER_ID", "solo")})
            state = "recorded" if recorded else "already recorded"
            print(f"  trial {trial.trial_id}: val accuracy {metrics['val']['accuracy']:.4f} "
                  f"{json.dumps(values, sort_keys=True)} ({wall:.1f} s, {state})", flush=True)

    common = dict(objective="val_accuracy", directory=str(Path(options.run.workdir) / "tuning" / module.SLUG),
                  project_name=project, overwrite=options.overwrite, seed=options.run.seed)
    build = lambda hp: module.hypermodel(hp, data)  # noqa: E731  (Keras Tuner wants a one-argument builder)
    if options.tuner == "hyperband":
        # Hyperband sizes its brackets from max_epochs; max_trials has no meaning for it, so the
        # number of models trained is governed by max_epochs and factor=3.
        return RecordingTuner(build, max_epochs=config.epochs, factor=3, **common)
    return RecordingTuner(build, max_trials=options.max_trials, **common)


def run_search(module: ModuleType, options: TuneOptions) -> Path | None:
    """Run (or resume) a search; returns the report path (None on a worker, whose chief writes it)."""
    import keras

    tunable(module)
    configure_distribution(options.role, options.worker_id, options.oracle_host, options.oracle_port)
    config = module.make_config(options.run)
    data = check_data(module, module.load_data(config, options.run), TunableData)
    ctx = RunContext(lesson=module.SLUG, seed=options.run.seed, quick=options.run.quick,
                     backend=keras.backend.backend(), dataset=data.dataset, dataset_sha256=data.sha256,
                     fallback=data.fallback, data_info=data.info(), config=config_dict(config),
                     versions=versions(), kind="tune")
    role = {"solo": "", "chief": " as the chief (oracle)", "worker": f" as worker {options.worker_id}"}[options.role]
    budget = ("trials sized by Hyperband from the epoch count" if options.tuner == "hyperband"
              else f"up to {options.max_trials} trials")

    def interrupted_note(store: Store) -> str:
        return (f"finished trials are kept in {store.path} and in the tuner's project; run the same command "
                f"again to resume (the interrupted trial is retried).")

    with recorded_run(options.run.workdir, ctx, options.run.argv, interrupted_note) as book:
        print(f"{module.SLUG}: {options.tuner} search{role}, {budget}, project "
              f"{project_name(options)}; trials go to {book.store.path}", flush=True)
        with stop_at_next_batch(trains=options.role != "chief"):
            tuner = make_tuner(module, data, config, options, book)
            tuner.search(data.x_train, data.y_train, validation_data=(data.x_val, data.y_val),
                         epochs=config.epochs, batch_size=config.batch_size, verbose=0,
                         callbacks=search_callbacks(module, config, options))
            report = None
            if options.role != "worker":
                report = finish(module, tuner, data, config, options, book)
    return report


def search_callbacks(module: ModuleType, config, options: TuneOptions) -> list:
    """Early stopping on val_accuracy, and TensorBoard (Keras Tuner adds the HParams per trial)."""
    import keras

    callbacks = [stop_callback(), keras.callbacks.TensorBoard(str(Path(options.run.workdir) / "tensorboard" / module.SLUG /
                                                 project_name(options)))]
    if getattr(config, "patience", None):
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=config.patience))
    return callbacks


def finish(module: ModuleType, tuner, data, config, options: TuneOptions, book: RunRecorder) -> Path:
    """Retrain the best configuration as the lesson trains, test it, record it, rebuild the report."""
    import keras

    from nnlab.recipes.classifiers import keras_outcome
    from nnlab.runner import write_report

    best_trial = tuner.oracle.get_best_trials(1)[0]
    values = {k: v for k, v in best_trial.hyperparameters.values.items() if not k.startswith("tuner/")}
    key = _trial_key(module.SLUG, project_name(options), "best:" + best_trial.trial_id, book.ctx.dataset_sha256)
    if not book.is_finished(key):
        keras.utils.set_random_seed(options.run.seed)
        keras.backend.clear_session()
        print(f"best trial {best_trial.trial_id} (val accuracy {best_trial.score:.4f}): retraining it on the "
              f"training split and scoring it on test", flush=True)
        model = tuner.hypermodel.build(best_trial.hyperparameters)
        start = time.perf_counter()
        outcome = keras_outcome(model, data, optimizer=model.optimizer, epochs=config.epochs,
                                batch_size=config.batch_size, patience=getattr(config, "patience", None),
                                lr_patience=getattr(config, "lr_patience", None), label="best")
        outcome.info.update({"trial_id": best_trial.trial_id, "search_score": best_trial.score})
        book.record_once(experiment=f"{EXPERIMENT_PREFIX}{options.tuner}:best",
                         variant=f"best-trial-{best_trial.trial_id}", ordinal=20_000, key=key, params=values,
                         config=config_dict(config), wall_seconds=time.perf_counter() - start,
                         metrics=outcome.metrics, history=outcome.history, info=outcome.info,
                         artifacts=outcome.artifacts)
    report = write_report(module, book.store, options.run.workdir)
    print(f"{module.SLUG}: search done; best trial {best_trial.trial_id}; report: {report}", flush=True)
    return report
