"""The runner's variant key: what makes two trainings 'the same work', and what does not."""
from __future__ import annotations

from dataclasses import dataclass, field

from nnlab.runner import GRID_ONLY, REPORT_ONLY, Variant, config_dict, keyed_config, variant_key
from reports.store import RunContext


@dataclass(frozen=True)
class Before:
    epochs: int = 30
    widths: tuple[float, ...] = (1.0, 2.0)


@dataclass(frozen=True)
class After(Before):
    # a later session adds an experiment: its variants carry their settings in their params
    extras: tuple = field(default=(("batch-norm", {"batch_norm": True}),), metadata=GRID_ONLY)


@dataclass(frozen=True)
class Reported(Before):
    # a later session adds a threshold its conclusions apply
    overfit_gap: float = field(default=0.5, metadata=REPORT_ONLY)


@dataclass(frozen=True)
class Longer(Before):
    epochs: int = 40


def key(config) -> str:
    ctx = RunContext(lesson="demo", seed=0, quick=False, backend="tensorflow", dataset="demo", dataset_sha256="0" * 64,
                     fallback=False, data_info={}, config=config_dict(config), versions={})
    return variant_key("demo", Variant("width", "width-x1", {"width": 1.0}), keyed_config(config), ctx)


def test_a_grid_only_field_is_recorded_but_leaves_finished_variants_finished():
    assert "extras" in config_dict(After())            # the store still records the whole config
    assert "extras" not in keyed_config(After())
    assert key(After()) == key(Before())                # adding the experiment retrains nothing finished


def test_a_report_only_field_is_recorded_but_retrains_nothing():
    assert "overfit_gap" in config_dict(Reported()) and "overfit_gap" not in keyed_config(Reported())
    assert key(Reported()) == key(Before()) == key(Reported(overfit_gap=1.0))


def test_a_training_setting_is_part_of_the_key():
    assert key(Longer()) != key(Before())
