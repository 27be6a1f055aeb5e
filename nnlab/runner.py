"""The experiment harness every lesson runs through: grid -> train -> record -> report.

A lesson module declares, top to bottom:

    SLUG                      its catalogue slug
    Config                    a dataclass of every knob; `make_config(options)` applies --quick/--epochs
    load_data(config, opts)   returns a data bundle with .dataset, .sha256, .fallback and .info()
    grid(config, data)        the list of Variants to train, in report order
    train(variant, data, config, seed) -> Outcome
    report_sections(view)     markdown sections of its report (reports.report builds the rest)

and the harness does the rest: resuming (a variant already finished with the same parameters,
config (less its GRID_ONLY and REPORT_ONLY fields), seed and data is skipped unless --rerun; one
claimed by another live run of the lesson is left to it; one whose process crashed is trained again),
seeding, timing,
progress lines, recording each variant in the store when it finishes, turning Ctrl-C/SIGTERM into
a clean 'interrupted' mark, and compiling the report.
"""
from __future__ import annotations

import json
import os
import platform
import signal
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

from nnlab.bookkeeping import recorded_run
from nnlab.hashing import content_key
from reports.store import RunContext, Store

WORKDIR_ENV = "NNLAB_HOME"

# Metadata for a Config field that only decides which variants the grid holds, each variant carrying
# in its params what it takes from the field: `field(default=..., metadata=GRID_ONLY)`. Such a field is
# left out of the variant key, so adding or extending it trains the new variants and nothing else.
GRID_ONLY = {"grid_only": True}
# Metadata for a Config field that only decides how the report reads (a threshold a conclusion applies,
# how many examples it shows), never what training produces: left out of the variant key too, so
# adding or changing it recompiles the report and retrains nothing. The report reads it from the run
# it compiles (`ReportView.setting`), not from the records, which keep the value of the run that trained them.
REPORT_ONLY = {"report_only": True}


@dataclass(frozen=True)
class Variant:
    """One cell of a lesson's experiment grid. `params` must be JSON-serialisable.

    `tensorflow_only` names why the variant needs TensorFlow itself (a tf_raw twin differentiated by
    tf.GradientTape, a TFLite model, ...): under another Keras backend it is skipped with that reason,
    and the rest of the grid runs. It is not part of the variant key."""

    experiment: str
    name: str
    params: dict = field(default_factory=dict)
    tensorflow_only: str = ""


@dataclass
class Outcome:
    """What training a variant produced; every field lands in the store."""

    metrics: dict[str, dict[str, float]]                         # split -> metric -> value
    history: dict[str, list[float]] = field(default_factory=dict)  # metric -> value per epoch
    info: dict[str, Any] = field(default_factory=dict)            # parameter count, s/epoch, ...
    artifacts: dict[str, Any] = field(default_factory=dict)       # JSON blobs for the report


@dataclass
class RunOptions:
    """The options every lesson takes on the command line."""

    workdir: Path = field(default_factory=lambda: default_workdir())
    seed: int = 0
    quick: bool = False
    epochs: int | None = None
    rerun: bool = False
    argv: list[str] = field(default_factory=list)
    image: str | None = None      # a lesson that sets ACCEPTS_IMAGE works on this picture (`--image`)
    data: str | None = None       # a lesson that sets ACCEPTS_DATA reads this folder instead of its dataset (`--data`)
    only: tuple[str, ...] = ()    # train just these variants or experiments (`--only`); empty: all
    distribute: bool = False      # data-parallel over every local device (`--distribute`; JAX backend)


@dataclass
class RunSummary:
    run_id: int
    trained: int
    skipped: int
    report: Path


def apply_run_options(config: Any, options: RunOptions, **quick_changes: Any) -> Any:
    """The config a run uses: `quick_changes` applied in --quick mode, then --epochs if given."""
    if options.quick:
        config = replace(config, **quick_changes)
    if options.epochs:
        config = replace(config, epochs=options.epochs)
    return config


def select(grid: list[Variant], only: tuple[str, ...], slug: str) -> list[Variant]:
    """The variants named in `only` (by variant or experiment name), in grid order; all if `only` is empty.
    The report still shows every finished variant of the store, so runs of parts add up."""
    if not only:
        return grid
    from nnlab.errors import UserError

    known = {v.name for v in grid} | {v.experiment for v in grid}
    unknown = [name for name in only if name not in known]
    if unknown:
        raise UserError(f"--only {','.join(unknown)}: no such variant or experiment in {slug}. Expected names "
                        f"among: {', '.join(sorted(known))}")
    return [v for v in grid if v.name in only or v.experiment in only]


def default_workdir() -> Path:
    return Path(os.environ.get(WORKDIR_ENV) or "nnlab-runs")


def versions() -> dict[str, str]:
    """Versions of Python and the packages that decide the numbers (jax's too when it is installed)."""
    found = {"python": platform.python_version()}
    for dist in ("nnlab", "tensorflow", "keras", "numpy", "scikit-learn", "keras-tuner", "jax"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            if dist != "jax":  # an extra: absent is the usual case, not worth a line in every header
                found[dist] = "not installed"
    return found


def distribute_over_devices(backend: str) -> dict[str, str]:
    """Train data-parallel over every local device with Keras's own distribution API (each batch split
    across the devices, gradients averaged), and say so for the run's record. Keras implements it for
    the JAX backend only. On one host with several accelerators this is all it takes; across hosts, call
    `jax.distributed.initialize()` first on every host (README)."""
    import keras

    from nnlab.errors import UserError

    if backend != "jax":
        raise UserError(f"--distribute needs the JAX backend (Keras's distribution API runs on JAX only; this run "
                        f"is on {backend}): KERAS_BACKEND=jax nnlab run ... --distribute, after "
                        f'pip install -e ".[jax]"')
    devices = keras.distribution.list_devices()
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    return {"devices": f"{len(devices)}, data-parallel ({', '.join(devices)})"}


def variant_key(lesson: str, variant: Variant, config: dict, ctx: RunContext) -> str:
    """What makes two trainings 'the same work': lesson, variant, config, seed, data, quick, backend."""
    return content_key(lesson=lesson, experiment=variant.experiment, variant=variant.name, params=variant.params,
                       config=config, seed=ctx.seed, dataset_sha256=ctx.dataset_sha256, quick=ctx.quick,
                       backend=ctx.backend)


def config_dict(config: Any) -> dict:
    return asdict(config) if is_dataclass(config) else dict(config)


def keyed_config(config: Any) -> dict:
    """The config as the variant key sees it: every field but the GRID_ONLY and REPORT_ONLY ones."""
    values = config_dict(config)
    if is_dataclass(config):
        for f in fields(config):
            if f.metadata.get("grid_only") or f.metadata.get("report_only"):
                values.pop(f.name, None)
    return values


@contextmanager
def termination_as_interrupt() -> Iterator[None]:
    """While the block runs, SIGTERM means what Ctrl-C means, and both wait for the end of the current
    batch while a Keras fit runs (`keras_models.stopping`): KeyboardInterrupt either way."""
    from functools import partial

    from keras_models.stopping import on_signal, quiet_unraisable, reset

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    reset()
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    previous_hook = sys.unraisablehook
    sys.unraisablehook = partial(quiet_unraisable, fallback=previous_hook)
    try:
        yield
    finally:
        sys.unraisablehook = previous_hook
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_lesson(module: ModuleType, options: RunOptions, data: Any = None) -> RunSummary:
    """Train every variant of a lesson's grid that is not already in the store, then write its report.

    `data`: the bundle `module.load_data` already returned for this config and options, when the caller
    holds it (a notebook shows the data, then trains the experiments one by one); loaded here otherwise."""
    import keras

    from nnlab.contract import check_data

    if keras.backend.backend() == "tensorflow":
        # Each variant builds a new model, so tf.function retraces by design; its warning is noise here.
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
    backend = keras.backend.backend()
    placement = distribute_over_devices(backend) if options.distribute else {}
    config = module.make_config(options)
    data = check_data(module, module.load_data(config, options) if data is None else data)
    cfg = config_dict(config)
    keyed = keyed_config(config)
    ctx = RunContext(lesson=module.SLUG, seed=options.seed, quick=options.quick,
                     backend=backend, dataset=data.dataset, dataset_sha256=data.sha256,
                     fallback=data.fallback, data_info=data.info(), config=cfg, versions=versions() | placement)
    grid = select(module.grid(config, data), options.only, module.SLUG)

    def interrupted_note(store: Store) -> str:
        return (f"the running variant is marked 'interrupted'; {store.count(module.SLUG, 'finished')} finished "
                f"variants of {module.SLUG} are kept in {options.workdir}. Run the same command again to resume.")

    trained = skipped = busy = elsewhere_only = 0
    with recorded_run(options.workdir, ctx, options.argv, interrupted_note) as book:
        print(f"{module.SLUG}: {len(grid)} variants on {data.dataset}{' (quick subset)' if options.quick else ''}, "
              f"seed {options.seed}, backend {ctx.backend}; results in {book.store.path}", flush=True)
        with termination_as_interrupt():
            for ordinal, variant in enumerate(grid, 1):
                label = f"[{ordinal}/{len(grid)}] {variant.experiment} / {variant.name}"
                if variant.tensorflow_only and ctx.backend != "tensorflow":
                    print(f"{label}: needs the TensorFlow backend ({variant.tensorflow_only}); not run under "
                          f"{ctx.backend}", flush=True)
                    elsewhere_only += 1
                    continue
                key = variant_key(module.SLUG, variant, keyed, ctx)
                claim = book.claim(experiment=variant.experiment, variant=variant.name, ordinal=ordinal,
                                   key=key, params=variant.params, config=cfg, rerun=options.rerun)
                if claim.finished:
                    print(f"{label}: already finished, skipped (--rerun trains it again)", flush=True)
                    skipped += 1
                    continue
                if claim.holder:
                    print(f"{label}: being trained by another run ({claim.holder}), skipped", flush=True)
                    busy += 1
                    continue
                print(f"{label} {json.dumps(variant.params, sort_keys=True)}", flush=True)
                keras.utils.set_random_seed(options.seed)
                start = time.perf_counter()
                outcome = module.train(variant, data, config, options.seed)
                wall = time.perf_counter() - start
                book.finish(wall_seconds=wall, metrics=outcome.metrics, history=outcome.history,
                            info=outcome.info, artifacts=outcome.artifacts)
                trained += 1
                print(f"{label}: {_headline(outcome)}  ({wall:.1f} s)", flush=True)
        book.end("finished")  # before the report, whose header shows the run's status
        report = write_report(module, book.store, options.workdir, book.run_id)
        write_course_index(book.store, options.workdir)
    elsewhere = f", {busy} left to the run training them now (run again when it ends)" if busy else ""
    if elsewhere_only:
        elsewhere += f", {elsewhere_only} needing TensorFlow not run under {ctx.backend}"
    print(f"{module.SLUG}: trained {trained}, skipped {skipped}{elsewhere}; report: {report}", flush=True)
    return RunSummary(book.run_id, trained, skipped, report)


def write_report(module: ModuleType, store: Store, workdir: Path | str, run_id: int | None = None, *,
                 out_dir: Path | None = None) -> Path:
    """The lesson's report compiled from the store, titled from its catalogue entry."""
    from nnlab.catalog import find
    from reports.report import compile_report

    return compile_report(module, find(module.SLUG), store, workdir, run_id, out_dir=out_dir)


def write_course_index(store: Store, workdir: Path | str) -> Path:
    """`<workdir>/index.md`: every lesson of the catalogue, its last run and headline against its target."""
    from nnlab.catalog import LESSONS, load_module
    from reports.index import write_index

    return write_index(store, workdir, LESSONS, load_module)


def _headline(outcome: Outcome) -> str:
    shown = []
    for split in ("train", "val", "test"):
        for name, value in sorted(outcome.metrics.get(split, {}).items()):
            if name != "loss":
                shown.append(f"{split} {name} {value:.4f}")
    return ", ".join(shown) or "done"
