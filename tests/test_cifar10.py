"""cifar10: the CIFAR python-format archive is read right (tiny archive written here); the quick ablation."""
from __future__ import annotations

import hashlib
import io
import pickle
import tarfile

import numpy as np
import pytest

from nnlab.data.datasets import cifar10
from nnlab.data.fetch import DATA_DIR_ENV, OFFLINE_ENV, RemoteFile
from nnlab.data.spec import DatasetSpec
from nnlab.errors import DataError
from tests.conftest import cli_env, linked_pngs_open, run_cli, table_after


def write_cifar_archive(path, batches: dict[str, tuple[np.ndarray, list[int]]]) -> str:
    """A tar.gz in the CIFAR-10 python layout: cifar-10-batches-py/<name>, each a pickled dict with
    b"data" (N, 3072) uint8, R, G, B planes, and b"labels"; return its sha256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        for name, (images, labels) in batches.items():
            planes = images.transpose(0, 3, 1, 2).reshape(len(images), 3072)  # (N, 32, 32, 3) -> R, G, B planes
            blob = pickle.dumps({b"data": planes, b"labels": labels, b"batch_label": name.encode()})
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            archive.addfile(info, io.BytesIO(blob))
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def offline(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    monkeypatch.setenv(OFFLINE_ENV, "1")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    return tmp_path


def tiny_spec(root, batches) -> DatasetSpec:
    spec = cifar10.SPEC
    remote = spec.files["archive"]
    digest = write_cifar_archive(root / remote.cache_subdir / remote.fname, batches)
    return spec.with_files(archive=RemoteFile(remote.fname, remote.origin, digest, remote.cache_subdir))


def test_tiny_archive_in_cifar_format_loads_with_channels_last(offline):
    rng = np.random.default_rng(0)
    batches = {f"data_batch_{i}": (rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8), [i, i, i])
               for i in range(1, 6)}
    test_images = np.zeros((2, 32, 32, 3), dtype=np.uint8)
    test_images[0, 1, 2] = (10, 20, 30)  # one pixel, red 10, green 20, blue 30
    batches["test_batch"] = (test_images, [7, 9])
    loaded = tiny_spec(offline, batches).load()
    a = loaded.arrays
    assert a["x_train"].shape == (15, 32, 32, 3) and a["x_test"].shape == (2, 32, 32, 3)
    assert a["y_train"].tolist() == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5]
    np.testing.assert_array_equal(a["x_train"][3:6], batches["data_batch_2"][0])  # batches in order
    assert a["x_test"][0, 1, 2].tolist() == [10, 20, 30] and a["x_test"][0].sum() == 60
    assert a["y_test"].tolist() == [7, 9]
    assert loaded.class_names[9] == "truck"


def test_archive_without_a_batch_is_one_clear_error(offline):
    images = np.zeros((1, 32, 32, 3), dtype=np.uint8)
    spec = tiny_spec(offline, {f"data_batch_{i}": (images, [0]) for i in range(1, 6)})  # no test_batch
    with pytest.raises(DataError, match="test_batch is missing or unreadable"):
        spec.load()


def test_full_run_without_cifar_never_falls_back(tmp_path):
    env = cli_env(tmp_path, NNLAB_DATA_DIR=str(tmp_path / "empty"), NNLAB_OFFLINE="1")
    result = run_cli(["run", "cifar10", "--workdir", str(tmp_path / "runs")], env, timeout=120)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "dataset 'cifar10'" in lines[0] and "Fix:" in lines[0]


def test_quick_run_is_an_ablation_on_the_labelled_fallback(tmp_path):
    workdir = tmp_path / "runs"
    env = cli_env(tmp_path, NNLAB_DATA_DIR=str(tmp_path / "empty"), NNLAB_OFFLINE="1")  # CIFAR-10 is not there
    result = run_cli(["run", "cifar10", "--quick", "--workdir", str(workdir)], env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "WARNING" in result.stderr and "falls back" in result.stderr
    report_path = workdir / "cifar10" / "report.md"
    report = report_path.read_text()
    assert "> **FALLBACK: cifar10 could not be loaded" in report
    table = table_after(report, "## Ablation")
    assert [row[0] for row in table[1:]] == ["*baseline: majority-class*", "`1-baseline`", "`2-normalisation`",
                                             "`3-augmentation`", "`4-batch-norm`", "`5-dropout`", "`6-schedule`"]
    conclusions = report.split("## Conclusions", 1)[1]
    assert conclusions.count("on the step before") == 5
    assert "Target (test accuracy ≥ 85.00%) applies to a full run" in conclusions
    index = (workdir / "index.md").read_text()
    assert "test accuracy ≥ 85.00%" in index and "`6-schedule`, the full recipe" in index
    pngs = linked_pngs_open(report_path)
    assert "curves_ablation.png" in pngs and any(name.startswith("confusion_") for name in pngs)
