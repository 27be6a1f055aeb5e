"""The data layer: IDX parsing, sha256 pinning, where files are looked for, offline errors."""
from __future__ import annotations

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest

from nnlab import data
from nnlab.errors import DataError
from tests.conftest import cli_env, run_cli


def write_idx(path: Path, array: np.ndarray) -> str:
    """Write `array` (uint8) as a gzipped IDX file, the format of the Fashion-MNIST files; return sha256."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def tiny_fashion(tmp_path, monkeypatch):
    """A tiny Fashion-MNIST in an NNLAB_DATA_DIR: 60 train and 20 test images, 10 classes."""
    rng = np.random.default_rng(0)
    root = tmp_path / "offline"
    spec = data.DATASETS["fashion_mnist"]
    arrays = {"x_train": rng.integers(0, 256, (60, 28, 28)), "y_train": np.arange(60) % 10,
              "x_test": rng.integers(0, 256, (20, 28, 28)), "y_test": np.arange(20) % 10}
    files = {}
    for role, remote in spec.files.items():
        digest = write_idx(root / remote.cache_subdir / remote.fname, arrays[role])
        files[role] = data.RemoteFile(remote.fname, remote.origin, digest, remote.cache_subdir)
    monkeypatch.setenv(data.DATA_DIR_ENV, str(root))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    monkeypatch.setenv(data.OFFLINE_ENV, "1")
    return data.with_files(spec, **files), arrays, root


def test_idx_files_parse_to_the_arrays_written(tiny_fashion):
    spec, arrays, _ = tiny_fashion
    loaded = data.load(spec)
    for role, expected in arrays.items():
        np.testing.assert_array_equal(loaded.arrays[role], expected.astype(np.uint8))
    assert loaded.arrays["x_train"].shape == (60, 28, 28)
    assert len(loaded.sha256) == 64


def test_sha256_mismatch_is_refused_not_used(tiny_fashion):
    # The registered spec pins the real files' hashes; the tiny files must be refused.
    _, _, root = tiny_fashion
    with pytest.raises(DataError, match="corrupt or not the expected file.*was not used"):
        data.load("fashion_mnist")
    assert (root / "datasets/fashion-mnist/train-images-idx3-ubyte.gz").exists()  # read-only: never deleted


def test_corrupt_file_in_keras_cache_is_refused_and_kept(tmp_path, monkeypatch):
    remote = data.RemoteFile("x.gz", "http://127.0.0.1:9/x.gz", "0" * 64, "datasets/t")
    cached = tmp_path / "keras-home" / "datasets/t/x.gz"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"not the file")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    with pytest.raises(DataError, match="Fix: delete or replace"):
        data.fetch(remote, "t")
    assert cached.read_bytes() == b"not the file"


def test_truncated_idx_is_a_clear_error(tmp_path):
    path = tmp_path / "bad-idx1-ubyte.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(bytes([0, 0, 8, 1]) + struct.pack(">I", 100) + b"\x01" * 10)
    with pytest.raises(DataError, match="header says"):
        data.read_idx(path)


def test_unreachable_origin_gives_one_line_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    monkeypatch.delenv(data.OFFLINE_ENV, raising=False)
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    remote = data.RemoteFile("x.gz", "http://127.0.0.1:9/x.gz", "0" * 64, "datasets/t")
    with pytest.raises(DataError) as error:
        data.fetch(remote, "tiny")
    message = str(error.value)
    assert "\n" not in message and "download from http://127.0.0.1:9/x.gz failed" in message
    assert "Fix:" in message and data.DATA_DIR_ENV in message


def test_quick_subset_is_stratified_and_seeded(tiny_fashion):
    spec, _, _ = tiny_fashion
    data.DATASETS["tiny_fashion"] = spec
    try:
        a = data.image_classes("tiny_fashion", quick=True, seed=3, quick_train=50, quick_test=10, val_fraction=0.2)
        b = data.image_classes("tiny_fashion", quick=True, seed=3, quick_train=50, quick_test=10, val_fraction=0.2)
    finally:
        del data.DATASETS["tiny_fashion"]
    assert len(a.y_train) == 40 and len(a.y_val) == 10 and len(a.y_test) == 10
    assert np.bincount(a.y_val, minlength=10).tolist() == [1] * 10
    assert np.bincount(a.y_test, minlength=10).tolist() == [1] * 10
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert a.x_train.dtype == np.float32 and 0.0 <= a.x_train.min() and a.x_train.max() <= 1.0


def test_offline_and_uncached_full_run_exits_2_with_one_line(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    env = cli_env(tmp_path, NNLAB_DATA_DIR=str(empty), NNLAB_OFFLINE="1")
    result = run_cli(["run", "fashion-mlp", "--workdir", str(tmp_path / "runs")], env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "dataset 'fashion_mnist'" in lines[0] and str(empty) in lines[0] and "Fix:" in lines[0]
    assert "falls back" not in result.stderr  # a full run never falls back


def test_quick_run_falls_back_to_digits_and_says_so(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    env = cli_env(tmp_path, NNLAB_DATA_DIR=str(empty), NNLAB_OFFLINE="1")
    workdir = tmp_path / "runs"
    result = run_cli(["run", "fashion-mlp", "--quick", "--epochs", "1", "--workdir", str(workdir)], env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "falls back to scikit-learn's bundled 8x8 digits" in result.stderr
    report = (workdir / "fashion-mlp" / "report.md").read_text()
    assert "**FALLBACK: fashion_mnist could not be loaded" in report
    assert "sklearn_digits" in report


def test_real_fashion_mnist_when_available():
    """The real files through the same path, when an offline copy or the Keras cache has them."""
    try:
        loaded = data.load("fashion_mnist")
    except DataError as error:
        pytest.skip(f"Fashion-MNIST not available here: {error}")
    a = loaded.arrays
    assert a["x_train"].shape == (60000, 28, 28) and a["x_test"].shape == (10000, 28, 28)
    assert a["y_train"][:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert np.bincount(a["y_test"]).tolist() == [1000] * 10
