"""The lesson contract: every name the harness, the tuner and the report compiler read of a lesson module.

A lesson is a module, and a module satisfies a Protocol by having the names (PEP 544): `Lesson` lists what
every lesson provides, `TunableLesson` what `nnlab tune` needs on top, `OPTIONAL` the names read only when
present. `missing(module)` says what a module lacks; the catalogue checks each lesson when it is loaded, so
a lesson that forgot a name fails at once, not when the one path that reads it runs.

    SLUG                                  its catalogue slug
    Config                                a dataclass of every knob (nanoGPT's habit: knobs in one place)
    make_config(options) -> Config        applies --quick / --epochs (`runner.apply_run_options`)
    load_data(config, options) -> data    a `DataBundle`: dataset name, sha256, fallback flag, info()
    grid(config, data) -> [Variant]       the variants to train, in report order
    train(variant, data, config, seed)    trains one variant -> `runner.Outcome`
    report_sections(view) -> [markdown]   the lesson's part of the report (`reports.report.ReportView`)
    conclusions(view) -> [sentence]       findings computed from the recorded numbers
    verdicts(view) -> [Verdict]           its COURSE.md targets judged on the records, the first its headline
                                          (the conclusions print them; the course index shows the first)
"""
from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any, Protocol

from nnlab.runner import Outcome, RunOptions, Variant
from reports.conclusions import Verdict
from reports.report import ReportView


class DataBundle(Protocol):
    """What `load_data` returns, as the harness records it (the rest of the bundle is the lesson's own).
    `nnlab.data.bundles.Bundle` provides all four; a lesson's bundle subclasses it."""

    dataset: str       # name shown in the report and stored with every variant
    sha256: str        # of the files read: a different file is different work (the variant key)
    fallback: bool     # True when a stand-in dataset replaced the real one (offline --quick)

    def info(self) -> dict: ...   # sizes per split, notes; the report header reads "sizes" and "notes"


class Lesson(Protocol):
    """Every ready lesson module of the catalogue has these names."""

    SLUG: str
    Config: type

    def make_config(options: RunOptions) -> Any: ...
    def load_data(config: Any, options: RunOptions) -> DataBundle: ...
    def grid(config: Any, data: Any) -> list[Variant]: ...
    def train(variant: Variant, data: Any, config: Any, seed: int) -> Outcome: ...
    def report_sections(view: ReportView) -> list[str]: ...
    def conclusions(view: ReportView) -> list[str]: ...
    def verdicts(view: ReportView) -> list[Verdict]: ...


class TunableData(DataBundle, Protocol):
    """The data of a lesson with a search space: Keras Tuner searches on train and scores on val."""

    x_train: Any
    y_train: Any
    x_val: Any
    y_val: Any


class TunableLesson(Lesson, Protocol):
    """A lesson `nnlab tune` can search: its Config has `epochs` and `batch_size` (and may have `patience`
    for early stopping), its data is `TunableData`, and `hypermodel` builds one compiled model per trial."""

    def hypermodel(hp: Any, data: TunableData) -> Any: ...


# Names read only when a lesson defines them, and who reads them.
OPTIONAL = {
    "QUICK_NOTE": "report header: what --quick means when it is not the default small-subset note",
    "ACCEPTS_IMAGE": "CLI: the lesson takes `nnlab run LESSON --image PATH`",
    "ACCEPTS_DATA": "CLI: the lesson takes `nnlab run LESSON --data DIR` (its own data in place of the default set)",
    "hypermodel": "tuner: the search space, making the lesson a TunableLesson",
    "showdown": "bench/peers.py and the conclusions: the headline network against its classical peer "
                "(`reports.peers.Showdown` from a ReportView)",
}
TUNABLE_CONFIG = ("epochs", "batch_size")


def members(protocol: type) -> dict[str, Any]:
    """The names a Protocol declares, each with its stub (a function) or its annotation (an attribute)."""
    found: dict[str, Any] = {}
    for cls in reversed(protocol.__mro__):
        if cls is object or cls is Protocol or not getattr(cls, "_is_protocol", False):
            continue
        found.update({name: note for name, note in vars(cls).get("__annotations__", {}).items()})
        found.update({name: value for name, value in vars(cls).items()
                      if inspect.isfunction(value) and not name.startswith("_")})
    return found


def missing(module: ModuleType, protocol: type = Lesson) -> list[str]:
    """What `module` lacks of `protocol`: absent names, and functions whose positional parameters differ."""
    problems = []
    for name, declared in members(protocol).items():
        if not hasattr(module, name):
            problems.append(f"no {name}")
        elif inspect.isfunction(declared):
            want = len(inspect.signature(declared).parameters)
            have = getattr(module, name)
            if not callable(have):
                problems.append(f"{name} is not a function")
            elif len(_positional(have)) != want:
                problems.append(f"{name} takes {len(_positional(have))} arguments, the contract passes {want}")
    return problems


def check_data(module: ModuleType, data: Any, protocol: type = DataBundle) -> Any:
    """`data` itself, or a TypeError naming what the bundle `module.load_data` returned lacks of `protocol`."""
    problems = [f"no {name}" for name in members(protocol) if not hasattr(data, name)]
    if problems:
        raise TypeError(f"{module.__name__}.load_data returned a bundle that does not satisfy "
                        f"nnlab.contract.{protocol.__name__}: " + "; ".join(problems))
    return data


def check(module: ModuleType, protocol: type = Lesson) -> ModuleType:
    """`module` itself, or a TypeError naming everything it lacks: a lesson written against the contract
    fails as soon as it is loaded."""
    problems = missing(module, protocol)
    if problems:
        raise TypeError(f"lesson module {module.__name__} does not satisfy nnlab.contract.{protocol.__name__}: "
                        + "; ".join(problems))
    return module


def _positional(function: Any) -> list[inspect.Parameter]:
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p for p in inspect.signature(function).parameters.values() if p.kind in kinds]
