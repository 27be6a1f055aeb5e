"""unet: the pair gets one augmentation, the overlap metrics, the U-Net's shapes, and the lesson end to end."""
from __future__ import annotations

import re

import numpy as np
import pytest

from nnlab.data.datasets import isbi_membrane
from nnlab.errors import DataError
from lessons.unet import Config, augment_pair, make_augmenter, segmentation_metrics
from tests.conftest import cli_env, run_cli


def test_image_and_mask_receive_the_same_augmentation():
    # an asymmetric shape, so any flip, rotation or zoom changes it; the "image" is the mask itself,
    # so after one shared transform the thresholded image must equal the transformed mask
    mask = np.zeros((32, 32, 1), np.float32)
    mask[4:20, 6:12] = 1
    mask[4:8, 6:26] = 1
    augmenter = make_augmenter(Config(rotation=0.25, zoom=0.2), seed=3)
    changed = 0
    for _ in range(8):
        image, augmented_mask = augment_pair(augmenter, mask, mask)
        image, augmented_mask = np.asarray(image), np.asarray(augmented_mask)
        np.testing.assert_array_equal((image > 0.5).astype(np.float32), augmented_mask)
        changed += not np.array_equal(augmented_mask, mask)
    assert changed >= 6  # the transforms really are random
    assert set(np.unique(augmented_mask)) <= {0.0, 1.0}


def test_segmentation_metrics_on_a_tiny_mask():
    truth = np.array([[1, 1, 0, 0]])       # two membrane pixels (0)
    predicted = np.array([[1, 0, 0, 1]])   # one right, one missed, one false alarm
    m = segmentation_metrics(predicted, truth)
    assert m["pixel_accuracy"] == pytest.approx(0.5)
    assert m["dice"] == pytest.approx(2 * 1 / (2 + 2))
    assert m["iou"] == pytest.approx(1 / 3)


def test_unet_keeps_the_input_size_and_checks_it():
    from keras_models.unet import build_unet

    model = build_unet((32, 32, 1), depth=2, base_filters=4)
    assert model.output_shape == (None, 32, 32, 1)
    with pytest.raises(ValueError, match="divisible by 2\\*\\*depth"):
        build_unet((36, 36, 1), depth=3)


def test_lesson_runs_quick_and_writes_its_report(tmp_path):
    try:
        membrane = isbi_membrane.SPEC.load()
    except DataError as error:
        pytest.skip(f"ISBI membrane slices not available here: {error}")
    assert membrane.arrays["images"].shape == (30, 512, 512)
    workdir = tmp_path / "runs"
    result = run_cli(["run", "unet", "--quick", "--workdir", str(workdir)], cli_env(tmp_path), timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    report = (workdir / "unet" / "report.md").read_text(encoding="utf-8")
    pngs = {path.name for path in (workdir / "unet").glob("*.png")}
    assert {"panels.png", "curves_dice.png"} <= pngs
    assert set(re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", report)) == pngs
    for row in ("*baseline: all-cell-interior*", "*baseline: all-membrane*", "`depth2-filters8`",
                "`depth2-filters8-no-aug`", "*peer: pixel-random-forest*"):
        assert row in report
    assert "against the peer `pixel-random-forest`" in report.split("## Conclusions", 1)[1]
    assert "Target (validation pixel accuracy ≥ 90.00%) applies to a full run" in report
    assert "validation pixel accuracy ≥ 90.00%" in (workdir / "index.md").read_text(encoding="utf-8")
    assert not re.search(r"\bnan\b", report, re.IGNORECASE)
