"""The data layer: IDX parsing, sha256 pinning, where files are looked for, offline errors, folders of
files with a hash each, the bundle base."""
from __future__ import annotations

import gzip
import hashlib
import struct
import types
from pathlib import Path

import numpy as np
import pytest

from nnlab import contract
from nnlab.data.bundles import Bundle
from nnlab.data.datasets import fashion_mnist
from nnlab.data.fetch import DATA_DIR_ENV, OFFLINE_ENV, RemoteFile, fetch, offline
from nnlab.data.formats import read_idx
from nnlab.data.images import image_classes
from nnlab.data.registry import DATASETS, load
from nnlab.data.spec import DatasetSpec, folder
from nnlab.errors import DataError, UserError
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
    spec = fashion_mnist.SPEC
    arrays = {"x_train": rng.integers(0, 256, (60, 28, 28)), "y_train": np.arange(60) % 10,
              "x_test": rng.integers(0, 256, (20, 28, 28)), "y_test": np.arange(20) % 10}
    files = {}
    for role, remote in spec.files.items():
        digest = write_idx(root / remote.cache_subdir / remote.fname, arrays[role])
        files[role] = RemoteFile(remote.fname, remote.origin, digest, remote.cache_subdir)
    monkeypatch.setenv(DATA_DIR_ENV, str(root))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    monkeypatch.setenv(OFFLINE_ENV, "1")
    return spec.with_files(**files), arrays, root


def test_idx_files_parse_to_the_arrays_written(tiny_fashion):
    spec, arrays, _ = tiny_fashion
    loaded = load(spec)
    for role, expected in arrays.items():
        np.testing.assert_array_equal(loaded.arrays[role], expected.astype(np.uint8))
    assert loaded.arrays["x_train"].shape == (60, 28, 28)
    assert len(loaded.sha256) == 64


def test_sha256_mismatch_is_refused_not_used(tiny_fashion):
    # The registered spec pins the real files' hashes; the tiny files must be refused.
    _, _, root = tiny_fashion
    with pytest.raises(DataError, match="corrupt or not the expected file.*was not used"):
        load("fashion_mnist")
    assert (root / "datasets/fashion-mnist/train-images-idx3-ubyte.gz").exists()  # read-only: never deleted


def test_corrupt_file_in_keras_cache_is_refused_and_kept(tmp_path, monkeypatch):
    remote = RemoteFile("x.gz", "http://127.0.0.1:9/x.gz", "0" * 64, "datasets/t")
    cached = tmp_path / "keras-home" / "datasets/t/x.gz"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"not the file")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    with pytest.raises(DataError, match="Fix: delete or replace"):
        fetch(remote, "t")
    assert cached.read_bytes() == b"not the file"


def test_truncated_idx_is_a_clear_error(tmp_path):
    path = tmp_path / "bad-idx1-ubyte.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(bytes([0, 0, 8, 1]) + struct.pack(">I", 100) + b"\x01" * 10)
    with pytest.raises(DataError, match="header says"):
        read_idx(path)


@pytest.mark.parametrize("offline_value", [None, "0"])  # "0" means online here as in every reader
def test_unreachable_origin_gives_one_line_with_the_fix(tmp_path, monkeypatch, offline_value):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    if offline_value is None:
        monkeypatch.delenv(OFFLINE_ENV, raising=False)
    else:
        monkeypatch.setenv(OFFLINE_ENV, offline_value)
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    remote = RemoteFile("x.gz", "http://127.0.0.1:9/x.gz", "0" * 64, "datasets/t")
    with pytest.raises(DataError) as error:
        fetch(remote, "tiny")
    message = str(error.value)
    assert "\n" not in message and "download from http://127.0.0.1:9/x.gz failed" in message
    assert "Fix:" in message and DATA_DIR_ENV in message


def test_quick_subset_is_stratified_and_seeded(tiny_fashion):
    spec, _, _ = tiny_fashion
    a = image_classes(spec, quick=True, seed=3, quick_train=50, quick_test=10, val_fraction=0.2)
    b = image_classes(spec, quick=True, seed=3, quick_train=50, quick_test=10, val_fraction=0.2)
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
        loaded = load("fashion_mnist")
    except DataError as error:
        pytest.skip(f"Fashion-MNIST not available here: {error}")
    a = loaded.arrays
    assert a["x_train"].shape == (60000, 28, 28) and a["x_test"].shape == (10000, 28, 28)
    assert a["y_train"][:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert np.bincount(a["y_test"]).tolist() == [1000] * 10


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("YES", True), (" 1 ", True),
                                             ("0", False), ("false", False), ("No", False), ("", False)])
def test_offline_reads_one_meaning_of_each_word(monkeypatch, value, expected):
    monkeypatch.setenv(OFFLINE_ENV, value)
    assert offline() is expected


def test_offline_unset_allows_downloads_and_an_unknown_word_names_the_fix(monkeypatch):
    monkeypatch.delenv(OFFLINE_ENV, raising=False)
    assert offline() is False
    monkeypatch.setenv(OFFLINE_ENV, "sometimes")
    with pytest.raises(UserError, match="NNLAB_OFFLINE='sometimes' is not understood. Fix: set it to 1") as error:
        offline()
    assert "\n" not in str(error.value)


@pytest.fixture
def tiny_clips(tmp_path, monkeypatch):
    """A made-up folder of sound clips, one sha256 per file, as a later audio dataset would pin them,
    placed in an offline NNLAB_DATA_DIR mirror: a spec with many RemoteFiles built by `folder`."""
    clips = {"yes/0a1b.wav": b"RIFF tiny clip one", "yes/0a1c.wav": b"RIFF tiny clip two",
             "no/9f00.wav": b"RIFF a third clip"}
    root = tmp_path / "offline"
    hashes = {}
    for path, content in clips.items():
        target = root / "datasets/clips" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        hashes[path] = hashlib.sha256(content).hexdigest()
    monkeypatch.setenv(DATA_DIR_ENV, str(root))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    monkeypatch.setenv(OFFLINE_ENV, "1")

    def parse(paths):  # a real audio parser would decode; the fetch/verify path is what is tested here
        return {role: np.frombuffer(path.read_bytes(), dtype=np.uint8) for role, path in paths.items()}

    spec = DatasetSpec("tiny_clips", "three made-up clips", folder("https://example.invalid/clips/",
                                                                   "datasets/clips", hashes), parse)
    return spec, clips, root


def test_a_folder_of_files_loads_each_verified_by_its_own_hash(tiny_clips):
    spec, clips, _ = tiny_clips
    assert spec.files["no/9f00.wav"] == RemoteFile("9f00.wav", "https://example.invalid/clips/no/9f00.wav",
                                                   hashlib.sha256(clips["no/9f00.wav"]).hexdigest(),
                                                   "datasets/clips/no")
    loaded = load(spec)
    assert {role: array.tobytes() for role, array in loaded.arrays.items()} == clips
    assert loaded.sha256 == spec.sha256 and len(loaded.sha256) == 64


def test_one_changed_file_of_a_folder_is_refused_by_name(tiny_clips):
    spec, _, root = tiny_clips
    (root / "datasets/clips/yes/0a1c.wav").write_bytes(b"RIFF not the pinned clip")
    with pytest.raises(DataError, match=r"dataset 'tiny_clips': .*0a1c.wav is corrupt"):
        load(spec)


def test_one_missing_file_of_a_folder_is_named_with_the_fix(tiny_clips):
    spec, _, root = tiny_clips
    (root / "datasets/clips/no/9f00.wav").unlink()
    with pytest.raises(DataError, match=r"9f00.wav not found in .* forbids downloading. Fix: .*datasets/clips/no"):
        load(spec)


def test_the_registered_datasets_keep_their_identity():
    """A dataset's sha256 is part of every variant's key: a change would retrain every finished variant."""
    assert {name: spec.sha256 for name, spec in DATASETS.items()} == {
        "fashion_mnist": "9343d26da64197c11a34c2539503c356d81985ff8baa1838f3719626b57ce6fe",
        "boston_housing": "a806d940b619513946bb0b996657ff08764c13b94f0308b6607f53a58348b4fb",
        "notmnist": "66751d7f0211bafb3632838646c3c563ae267a22bcbb174d65bfdcec2bcfc83d",
        "cifar10": "52233c0c2ce0d5cf4ef761aaeb86428db85557667f05bcc5d46d63928595eaf5",
        "airline_passengers": "cb6b4a7ee7484358083155fc3df441aca8cca533b0499c454150e3c6b9ca957e",
        "isbi_membrane": "8c9782ac5004383145a93a8a97c278156be516355dee92ee4be5a6e0bceeb1bd",
        "multi30k": "16b50fb9b1e65788f6c2ba6c5c27e13ad32d2fa0f5a486361345f0a02c5ec867",
        "nottingham": "a1ae760ca55e534f919aa9250f0ce1db4efbfe5c86bfbfada7b50ba39090df92",
        "fsdd": "c81a3b5b5fa3271f2844c6450afe0abffb751e194925a2752b53322a8e43f069",
    }


def test_every_bundle_satisfies_the_contract(tiny_fashion):
    module = types.ModuleType("lessons.tiny")
    bare = Bundle(dataset="tiny", sha256="0" * 64)
    assert contract.check_data(module, bare).info() == {"dataset": "tiny", "fallback": False, "notes": []}
    images = image_classes(tiny_fashion[0], quick=False, seed=0, val_fraction=0.2)
    assert contract.check_data(module, images, contract.TunableData) is images
    assert list(images.info())[:3] == ["dataset", "fallback", "notes"] and images.info()["sizes"]["test"] == 20
