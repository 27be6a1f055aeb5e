"""Every ready lesson of the catalogue satisfies the lesson contract (nnlab.contract)."""
from __future__ import annotations

import dataclasses
import types

import pytest

from nnlab import catalog, contract

READY = [lesson.slug for lesson in catalog.LESSONS if lesson.module]


@pytest.mark.parametrize("slug", READY)
def test_ready_lesson_satisfies_the_contract(slug):
    module = catalog.load_module(slug)  # load_module checks it too; this names the gaps in the failure
    assert contract.missing(module) == []
    assert module.SLUG == slug
    assert dataclasses.is_dataclass(module.Config)
    assert isinstance(getattr(module, "QUICK_NOTE", ""), str)
    assert isinstance(getattr(module, "ACCEPTS_IMAGE", False), bool)
    if hasattr(module, "hypermodel"):
        assert contract.missing(module, contract.TunableLesson) == []
        names = {f.name for f in dataclasses.fields(module.Config)}
        assert set(contract.TUNABLE_CONFIG) <= names


def test_every_name_the_harness_reads_is_declared():
    declared = set(contract.members(contract.Lesson)) | set(contract.OPTIONAL)
    assert {"SLUG", "Config", "make_config", "load_data", "grid", "train", "report_sections", "conclusions",
            "QUICK_NOTE", "ACCEPTS_IMAGE", "hypermodel"} <= declared
    assert set(contract.members(contract.TunableData)) >= {"dataset", "sha256", "fallback", "info",
                                                           "x_train", "y_train", "x_val", "y_val"}


def test_a_lesson_missing_names_fails_when_loaded():
    module = types.ModuleType("lessons.half_written")
    module.SLUG = "half-written"
    module.make_config = lambda options: None
    module.train = lambda variant, data: None
    with pytest.raises(TypeError) as caught:
        contract.check(module)
    message = str(caught.value)
    for gap in ("no Config", "no load_data", "no grid", "no report_sections", "no conclusions",
                "train takes 2 arguments, the contract passes 4"):
        assert gap in message


def test_a_data_bundle_missing_fields_is_named():
    bundle = types.SimpleNamespace(dataset="toy", sha256="0" * 64, fallback=False, info=dict)
    module = types.ModuleType("lessons.toy")
    assert contract.check_data(module, bundle) is bundle
    with pytest.raises(TypeError, match="no x_val"):
        contract.check_data(module, bundle, contract.TunableData)
