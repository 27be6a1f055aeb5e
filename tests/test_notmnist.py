"""notmnist: the deterministic per-letter split, the census of odd images, the quick run's report."""
from __future__ import annotations

import numpy as np
import pytest

from nnlab.data.datasets import notmnist
from nnlab.data.fetch import DATA_DIR_ENV, OFFLINE_ENV, RemoteFile
from nnlab.data.images import ImageClasses, image_census
from nnlab.errors import DataError
from tests.conftest import cli_env, linked_pngs_open, run_cli, table_after
from tests.test_data import write_idx


def test_each_letters_first_850_images_train_and_the_rest_validate(tmp_path, monkeypatch):
    # two letters, interleaved in file order, 900 images each; pixel 0 holds the image's file position % 256
    labels = np.array([0, 1] * 900, dtype=np.uint8)
    images = np.zeros((1800, 2, 2), dtype=np.uint8)
    position = np.arange(1800)
    images[:, 0, 0], images[:, 0, 1] = position % 256, position // 256
    spec = notmnist.SPEC
    files = {}
    for role, array in (("x", images), ("y", labels)):
        remote = spec.files[role]
        digest = write_idx(tmp_path / remote.cache_subdir / remote.fname, array)
        files[role] = RemoteFile(remote.fname, remote.origin, digest, remote.cache_subdir)
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    monkeypatch.setenv(OFFLINE_ENV, "1")
    a = spec.with_files(**files).load().arrays

    def positions(x):
        return x[:, 0, 0].astype(int) + 256 * x[:, 0, 1].astype(int)

    assert np.bincount(a["y_train"]).tolist() == [850, 850] and np.bincount(a["y_test"]).tolist() == [50, 50]
    for letter in (0, 1):
        in_file = position[labels == letter]
        assert positions(a["x_train"][a["y_train"] == letter]).tolist() == in_file[:850].tolist()
        assert positions(a["x_test"][a["y_test"] == letter]).tolist() == in_file[850:].tolist()


def test_census_counts_blank_images_duplicates_and_leaks():
    x = np.random.default_rng(0).random((6, 4, 4)).astype(np.float32)
    x[1] = 1.0                      # blank, class 1
    x[2] = x[0]                     # duplicate inside train
    val = x[:2].copy()              # both repeat training images (leaks); val[1] is blank too
    test = np.stack([x[3], np.full((4, 4), 0.5, dtype=np.float32)])  # one leak, one new (blank) image
    y = np.array([0, 1, 0, 1, 0, 1])
    bundle = ImageClasses(x, y, val, y[:2], test, np.array([1, 1]), ("a", "b"), dataset="t", sha256="0")
    notes = image_census(bundle)
    assert "train: 1 blank images (every pixel equal), labelled b 1" in notes
    assert "val: 1 blank images (every pixel equal), labelled b 1" in notes
    assert "test: 1 blank images (every pixel equal), labelled b 1" in notes
    assert notes[-1].startswith("4 images are exact duplicates of an earlier one (6 unique; train 1, val 2, test 1)")
    assert notes[-1].endswith("; 3 held-out (val/test) images are identical to a training image")


def test_real_notmnist_sample_when_available():
    try:
        loaded = notmnist.SPEC.load()
    except DataError as error:
        pytest.skip(f"notMNIST not available here: {error}")
    a = loaded.arrays
    assert a["x_train"].shape == (8500, 28, 28) and a["x_test"].shape == (1500, 28, 28)
    assert np.bincount(a["y_test"]).tolist() == [150] * 10


def test_quick_run_compares_mlp_and_cnn_with_confusion_and_misclassified_grid(tmp_path):
    workdir = tmp_path / "runs"
    result = run_cli(["run", "notmnist", "--quick", "--workdir", str(workdir)], cli_env(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    report_path = workdir / "notmnist" / "report.md"
    report = report_path.read_text()
    table = table_after(report, "## MLP vs CNN")
    assert [row[0] for row in table[1:]] == ["*baseline: majority-class*", "`mlp`", "`cnn`", "`cnn-batchnorm`"]
    assert "exact duplicates of an earlier one" in report.split("## Data", 1)[1]
    pngs = linked_pngs_open(report_path)
    assert {"curves_models.png", "misclassified.png"} <= set(pngs)
    assert any(name.startswith("confusion_") for name in pngs)
    assert "Target (CNN held-out accuracy ≥ 93.00%)" in report
    assert "CNN held-out accuracy ≥ 93.00%" in (workdir / "index.md").read_text()
    peers = table_after(report, "## Classical peers")
    assert [row[0] for row in peers[1:]] == ["*baseline: majority-class*", "`logistic-regression`",
                                             "`hist-gradient-boosting`"]
    assert "Network against classical peers (both chosen on validation)" in report


def test_the_cnn_search_space_builds_a_compiled_model():
    import keras_tuner as kt

    from lessons.notmnist import hypermodel

    bundle = ImageClasses(*(np.zeros((2, 28, 28), np.float32), np.zeros(2, np.int64)) * 3,
                          tuple("ABCDEFGHIJ"), dataset="t", sha256="0")
    hp = kt.HyperParameters()
    model = hypermodel(hp, bundle)
    assert model.output_shape == (None, 10) and model.optimizer is not None
    assert {"blocks", "filters", "dense", "dropout", "batch_norm", "optimizer", "learning_rate"} <= set(hp.values)
