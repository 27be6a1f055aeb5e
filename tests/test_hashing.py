"""Content keys never change for the same content: stores and model files written earlier keep matching.

The pinned digests were computed by the code before nnlab.hashing existed (runner.variant_key's and
the translation lesson's own json+sha256, the tuner's own "|"-joined sha256).
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from lessons.attention_translation import Config, model_stem
from nnlab.hashing import content_key
from nnlab.runner import Variant, variant_key
from reports.store import RunContext
from tuning.search import _trial_key


def test_variant_key_is_the_one_stores_hold():
    ctx = RunContext(lesson="demo", seed=0, quick=False, backend="tensorflow", dataset="demo",
                     dataset_sha256="0" * 64, fallback=False, data_info={}, config={}, versions={})
    key = variant_key("demo", Variant("width", "width-x1", {"width": 1.0}), {"epochs": 30, "widths": (1.0, 2.0)}, ctx)
    assert key == "a27d646f374208c32bd9a93abee471c0626b082013d8f45f1e14c4076fab548e"


def test_trial_key_is_the_one_stores_hold():
    assert _trial_key("fashion-mlp", "random-quick-seed0", "03", "0" * 64) == \
        "c465c60817bf9095def1ac2c3f3120385df4990e9fbd82414ef52dbcaaf75cd4"


def test_translation_model_file_name_is_unchanged():
    data = SimpleNamespace(model_dir=Path("models"), sha256="0" * 64)
    variant = Variant("attention", "bahdanau", {"model": "seq2seq", "attention": "bahdanau"})
    assert model_stem(variant, Config(), data, 0) == Path("models/bahdanau-seed0-d7f5dd6c86")


def test_field_order_does_not_matter_and_parts_and_fields_do_not_mix():
    assert content_key(a=1, b=[2, {"c": 3}]) == content_key(b=[2, {"c": 3}], a=1)
    assert content_key("a", 1) == content_key("a", "1")           # parts enter as their str
    with pytest.raises(TypeError, match="parts or fields"):
        content_key("a", b=1)
