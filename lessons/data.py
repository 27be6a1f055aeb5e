"""The data layer: every lesson gets its dataset here, by name.

Each dataset is a list of files with a public origin and a pinned sha256, fetched with Keras's own
`keras.utils.get_file` into the Keras cache (`$KERAS_HOME`, default ~/.keras). Where a file is looked
for, in order:

1. `$NNLAB_DATA_DIR/<cache_subdir>/<fname>`: a read-only folder in Keras-cache layout, such as an
   offline copy on a machine without internet. It is read, never written.
2. the Keras cache: `$KERAS_HOME/<cache_subdir>/<fname>`.
3. the origin URL, downloaded by `get_file` into the Keras cache (skipped when NNLAB_OFFLINE=1).

Every file is checked against its sha256 before it is parsed: a mismatch is refused with an error,
never used. When nothing works the error is one line naming the dataset, where it looked and the fix.

`--quick` runs take a stratified subset. Only in quick mode, when the dataset cannot be had at all,
`image_classes` falls back to scikit-learn's bundled 8x8 digits and says so loudly.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import os
import struct
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from lessons.errors import DataError

DATA_DIR_ENV = "NNLAB_DATA_DIR"
OFFLINE_ENV = "NNLAB_OFFLINE"


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset: where it comes from, where the Keras cache keeps it, its sha256."""

    fname: str
    origin: str
    sha256: str
    cache_subdir: str = "datasets"


@dataclass(frozen=True)
class DatasetSpec:
    """A named dataset: its files (by role) and the function that parses them into arrays."""

    name: str
    title: str
    files: Mapping[str, RemoteFile]
    parse: Callable[[Mapping[str, Path]], dict[str, np.ndarray]]
    class_names: tuple[str, ...] = ()
    licence: str = ""


@dataclass
class Loaded:
    """Arrays of a dataset plus what identifies them: name and a sha256 over its files."""

    name: str
    arrays: dict[str, np.ndarray]
    sha256: str
    class_names: tuple[str, ...] = ()


# ---- fetching ------------------------------------------------------------------------------------

def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def keras_cache_dir() -> Path:
    return Path(os.path.expanduser(os.environ.get("KERAS_HOME", "~/.keras")))


def _checked(path: Path, remote: RemoteFile, dataset: str) -> Path:
    actual = sha256_of(path)
    if actual != remote.sha256:
        raise DataError(
            f"dataset '{dataset}': {path} is corrupt or not the expected file (sha256 {actual[:12]}..., "
            f"expected {remote.sha256[:12]}...); it was not used. Fix: delete or replace it with the "
            f"original from {remote.origin}")
    return path


def fetch(remote: RemoteFile, dataset: str) -> Path:
    """Return a local path to `remote` whose sha256 has been checked (see the module docstring)."""
    looked: list[str] = []
    data_dir = os.environ.get(DATA_DIR_ENV)
    if data_dir:
        candidate = Path(data_dir) / remote.cache_subdir / remote.fname
        if candidate.is_file():
            return _checked(candidate, remote, dataset)
        looked.append(f"{DATA_DIR_ENV}={data_dir}")
    cache = keras_cache_dir()
    cached = cache / remote.cache_subdir / remote.fname
    if cached.is_file():
        return _checked(cached, remote, dataset)
    looked.append(f"the Keras cache {cache}")
    fix = (f"connect to the internet once (it is cached in {cache}), or set {DATA_DIR_ENV} to a folder "
           f"in Keras-cache layout that holds {remote.cache_subdir}/{remote.fname}")
    if os.environ.get(OFFLINE_ENV, "") not in ("", "0"):
        raise DataError(f"dataset '{dataset}': {remote.fname} not found in {' or '.join(looked)} and "
                        f"{OFFLINE_ENV} forbids downloading. Fix: {fix}")
    import keras  # imported here: parsing a file the user already has should not need Keras

    try:
        path = keras.utils.get_file(remote.fname, origin=remote.origin, file_hash=remote.sha256,
                                    hash_algorithm="sha256", cache_subdir=remote.cache_subdir,
                                    cache_dir=str(cache))
    except KeyboardInterrupt:
        raise
    except Exception as error:  # urllib raises many kinds; all mean "could not download"
        reason = " ".join(str(error).split())[:160]
        raise DataError(f"dataset '{dataset}': {remote.fname} not found in {' or '.join(looked)} and the "
                        f"download from {remote.origin} failed ({reason}). Fix: {fix}") from None
    return _checked(Path(path), remote, dataset)


def load(spec: DatasetSpec | str) -> Loaded:
    """Fetch and parse a registered dataset (or a spec, e.g. one a test built on tiny files)."""
    spec = DATASETS[spec] if isinstance(spec, str) else spec
    paths = {role: fetch(remote, spec.name) for role, remote in spec.files.items()}
    arrays = spec.parse(paths)
    combined = hashlib.sha256("".join(r.sha256 for _, r in sorted(spec.files.items())).encode())
    return Loaded(spec.name, arrays, combined.hexdigest(), spec.class_names)


# ---- parsers -------------------------------------------------------------------------------------

_IDX_TYPES = {0x08: np.uint8}


def read_idx(path: Path) -> np.ndarray:
    """Parse a (gzipped) IDX file, the MNIST format: magic 0x0000TTNN (type, ndim), dims, payload."""
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError) as error:
        raise DataError(f"{path} is not a readable IDX file ({error}). Fix: delete it and fetch it again")
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise DataError(f"{path} is not an IDX file (bad magic {raw[:4].hex()}). Fix: replace the file")
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    payload = np.frombuffer(raw, dtype=_IDX_TYPES[raw[2]], offset=4 + 4 * ndim)
    if payload.size != int(np.prod(dims)):
        raise DataError(f"{path}: header says {dims} but holds {payload.size} values. Fix: replace the file")
    return payload.reshape(dims)


def _parse_image_idx(paths: Mapping[str, Path]) -> dict[str, np.ndarray]:
    arrays = {role: read_idx(path) for role, path in paths.items()}
    for split in ("train", "test"):
        if f"x_{split}" in arrays and len(arrays[f"x_{split}"]) != len(arrays[f"y_{split}"]):
            raise DataError(f"{split} images and labels differ in count: {len(arrays[f'x_{split}'])} vs "
                            f"{len(arrays[f'y_{split}'])}. Fix: replace the dataset files")
    return arrays


def _parse_monthly_csv(paths: Mapping[str, Path]) -> dict[str, np.ndarray]:
    """A two-column CSV with a header, "YYYY-MM",value per row → {"months": str array, "values": float64}."""
    with open(paths["series"], newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    try:
        months = np.array([month for month, _ in rows[1:]])
        values = np.array([float(value) for _, value in rows[1:]])
    except ValueError as error:
        raise DataError(f"{paths['series']} is not a 'month,value' CSV ({error}). Fix: replace the file")
    return {"months": months, "values": values}


# ---- the registry --------------------------------------------------------------------------------

_FASHION_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def _fashion_file(fname: str, sha256: str) -> RemoteFile:
    # Same origin and cache_subdir as keras.datasets.fashion_mnist.load_data(), plus the pin it lacks.
    return RemoteFile(fname, _FASHION_ORIGIN + fname, sha256, "datasets/fashion-mnist")


DATASETS: dict[str, DatasetSpec] = {}


def register(spec: DatasetSpec) -> DatasetSpec:
    DATASETS[spec.name] = spec
    return spec


register(DatasetSpec(
    name="fashion_mnist",
    title="Fashion-MNIST (Zalando, 70,000 28x28 grey images of 10 clothing classes)",
    files={
        "x_train": _fashion_file("train-images-idx3-ubyte.gz",
                                 "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
        "y_train": _fashion_file("train-labels-idx1-ubyte.gz",
                                 "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
        "x_test": _fashion_file("t10k-images-idx3-ubyte.gz",
                                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
        "y_test": _fashion_file("t10k-labels-idx1-ubyte.gz",
                                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
    },
    parse=_parse_image_idx,
    class_names=FASHION_CLASSES,
    licence="MIT, Zalando SE; Xiao, Rasul & Vollgraf (2017), arXiv:1708.07747",
))


register(DatasetSpec(
    name="airline_passengers",
    title="Airline passengers 1949-1960 (Box & Jenkins series G, monthly totals in thousands)",
    files={"series": RemoteFile(
        "airline-passengers.csv",
        "https://raw.githubusercontent.com/jbrownlee/Datasets/master/airline-passengers.csv",
        "8cb51be753a718d9be5d76d7e238cc224792754676adc21faa59e954b0201621")},
    parse=_parse_monthly_csv,
    licence="public domain; Box & Jenkins (1976), Time Series Analysis, series G",
))


# ---- image classification bundles ---------------------------------------------------------------

@dataclass
class ImageClasses:
    """Train/validation/test arrays for an image classifier, pixels scaled to [0, 1].

    x_*: float32 (N, H, W); y_*: int64 (N,). `source` says what was really loaded.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    dataset: str
    sha256: str
    fallback: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def info(self) -> dict:
        """What a report header says about the data."""
        return {"dataset": self.dataset, "fallback": self.fallback, "notes": self.notes,
                "class_names": list(self.class_names), "input_shape": list(self.input_shape),
                "sizes": {"train": len(self.y_train), "val": len(self.y_val), "test": len(self.y_test)}}


def stratified_subset(y: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Indices of `n` samples of `y` keeping the class proportions (sorted, so order is stable)."""
    if n >= len(y):
        return np.arange(len(y))
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(np.arange(len(y)), train_size=n, stratify=y, random_state=seed)
    return np.sort(keep)


def split_validation(x: np.ndarray, y: np.ndarray, fraction: float, seed: int):
    """Stratified train/validation split: (x_train, y_train, x_val, y_val)."""
    from sklearn.model_selection import train_test_split

    x_tr, x_val, y_tr, y_val = train_test_split(x, y, test_size=fraction, stratify=y, random_state=seed)
    return x_tr, y_tr, x_val, y_val


def image_classes(name: str, *, quick: bool, seed: int, quick_train: int = 2000, quick_test: int | None = 500,
                  val_fraction: float = 0.1) -> ImageClasses:
    """Load an image-classification dataset, with the quick-mode subset and fallback rules.

    In quick mode the training set is cut to a stratified `quick_train` images and the test set to
    `quick_test` (None keeps every test image, e.g. for a competition submission).
    """
    try:
        loaded = load(name)
        notes: list[str] = []
        fallback = False
    except DataError as error:
        if not quick:
            raise
        print(f"WARNING: {error}\nWARNING: --quick falls back to scikit-learn's bundled 8x8 digits; "
              f"the figures are NOT {name} figures.", file=sys.stderr)
        loaded = digits_dataset(seed)
        notes = [f"FALLBACK: {name} could not be loaded ({error}); this quick run used scikit-learn's "
                 f"bundled 8x8 digits instead."]
        fallback = True
    a = loaded.arrays
    x_train, y_train, x_test, y_test = a["x_train"], a["y_train"], a["x_test"], a["y_test"]
    if quick:
        keep = stratified_subset(y_train, quick_train, seed)
        x_train, y_train = x_train[keep], y_train[keep]
        if quick_test is not None:
            keep = stratified_subset(y_test, quick_test, seed)
            x_test, y_test = x_test[keep], y_test[keep]
        notes.append(f"quick run: stratified subset of {len(y_train)} training and {len(y_test)} test images")
    scale = 255.0 if x_train.dtype == np.uint8 else float(max(x_train.max(), 1.0))
    x_tr, y_tr, x_val, y_val = split_validation(x_train, y_train, val_fraction, seed)

    def prep(x: np.ndarray) -> np.ndarray:
        return (x.astype(np.float32) / np.float32(scale))

    return ImageClasses(prep(x_tr), y_tr.astype(np.int64), prep(x_val), y_val.astype(np.int64),
                        prep(x_test), y_test.astype(np.int64), loaded.class_names, loaded.name,
                        loaded.sha256, fallback, notes)


def digits_dataset(seed: int) -> Loaded:
    """scikit-learn's bundled 8x8 digits (1,797 images), split 75/25 stratified: the quick fallback."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = digits.images.astype(np.float32)  # values 0..16
    x_tr, x_te, y_tr, y_te = train_test_split(images, digits.target, test_size=0.25,
                                              stratify=digits.target, random_state=seed)
    digest = hashlib.sha256(images.tobytes() + digits.target.astype(np.int64).tobytes()).hexdigest()
    return Loaded("sklearn_digits", {"x_train": x_tr, "y_train": y_tr, "x_test": x_te, "y_test": y_te},
                  digest, tuple(str(d) for d in range(10)))


def with_files(spec: DatasetSpec | str, **files: RemoteFile) -> DatasetSpec:
    """A copy of a registered spec with some files replaced (tests use it for tiny local files)."""
    spec = DATASETS[spec] if isinstance(spec, str) else spec
    return replace(spec, files={**spec.files, **files})


def bundled_digits(seed: int, val_fraction: float = 0.1) -> ImageClasses:
    """scikit-learn's bundled 8x8 digits as a lesson's own dataset (not a fallback), pixels scaled to [0, 1].

    The 75/25 train/test split of `digits_dataset`, then a stratified validation share of the training part.
    """
    loaded = digits_dataset(seed)
    a = loaded.arrays
    x_tr, y_tr, x_val, y_val = split_validation(a["x_train"], a["y_train"], val_fraction, seed)
    scale = np.float32(16.0)  # the digits' pixel values run 0..16
    return ImageClasses(x_tr / scale, y_tr.astype(np.int64), x_val / scale, y_val.astype(np.int64),
                        a["x_test"] / scale, a["y_test"].astype(np.int64), loaded.class_names, loaded.name,
                        loaded.sha256)
