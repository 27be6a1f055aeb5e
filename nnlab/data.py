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
import pickle
import struct
import sys
import tarfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from nnlab.errors import DataError

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


_BOSTON_TEST_SPLIT, _BOSTON_SEED = 0.2, 113  # keras.datasets.boston_housing.load_data()'s defaults


def _keras_style_split(x: np.ndarray, y: np.ndarray, test_split: float, seed: int) -> dict[str, np.ndarray]:
    """Shuffle with RandomState(seed), the first (1 - test_split) for training: Keras's own split."""
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return {"x_train": x[:cut], "y_train": y[:cut], "x_test": x[cut:], "y_test": y[cut:]}


def _parse_boston(paths: Mapping[str, Path]) -> dict[str, np.ndarray]:
    try:
        with np.load(paths["npz"], allow_pickle=False) as archive:
            x, y = archive["x"], archive["y"]
    except (OSError, KeyError, ValueError) as error:
        raise DataError(f"{paths['npz']} is not the Boston housing .npz ({error}). Fix: replace the file")
    return _keras_style_split(x, y, _BOSTON_TEST_SPLIT, _BOSTON_SEED)


BOSTON_FEATURES = ("CRIM", "ZN", "INDUS", "CHAS", "NOX", "RM", "AGE", "DIS", "RAD", "TAX", "PTRATIO", "B",
                   "LSTAT")

register(DatasetSpec(
    name="boston_housing",
    title="Boston housing (Harrison & Rubinfeld 1978, StatLib): 506 tracts, 13 features, median value in k$",
    # The file keras.datasets.boston_housing.load_data() fetches, with the sha256 Keras itself pins.
    files={"npz": RemoteFile("boston_housing.npz", _FASHION_ORIGIN + "boston_housing.npz",
                             "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5")},
    parse=_parse_boston,
    class_names=BOSTON_FEATURES,  # for a regression set: the feature names
    licence="StatLib / UCI, free with citation of Harrison & Rubinfeld (1978)",
))


_NOTMNIST_ORIGIN = "https://raw.githubusercontent.com/davidflanagan/notMNIST-to-MNIST/master/"
NOTMNIST_TRAIN_PER_LETTER = 850  # the first 850 of each letter (file order) train, the last 150 validate


def _parse_notmnist(paths: Mapping[str, Path]) -> dict[str, np.ndarray]:
    """The 10,000-image notMNIST_small sample, split per letter in file order (no RNG): the first 850
    images of each letter are the training set, the other 150 the course's validation set (returned
    as x_test/y_test: it is the held-out set the lesson reports)."""
    x, y = read_idx(paths["x"]), read_idx(paths["y"])
    if len(x) != len(y):
        raise DataError(f"notMNIST images and labels differ in count: {len(x)} vs {len(y)}. Fix: replace the files")
    rank = np.zeros(len(y), dtype=np.int64)  # position of each image among the images of its letter
    for letter in np.unique(y):
        where = np.flatnonzero(y == letter)
        rank[where] = np.arange(len(where))
    train = rank < NOTMNIST_TRAIN_PER_LETTER
    return {"x_train": x[train], "y_train": y[train], "x_test": x[~train], "y_test": y[~train]}


register(DatasetSpec(
    name="notmnist",
    title="notMNIST letters A-J (Bulatov 2011), a 1,000-per-letter sample of notMNIST_small, 28x28 grey",
    files={"x": RemoteFile("t10k-images-idx3-ubyte.gz", _NOTMNIST_ORIGIN + "t10k-images-idx3-ubyte.gz",
                           "70ae9e06201f2827e5b0a3781a3169d735dd2efc69996b9eeaee7f10ed4044d7", "datasets/notmnist"),
           "y": RemoteFile("t10k-labels-idx1-ubyte.gz", _NOTMNIST_ORIGIN + "t10k-labels-idx1-ubyte.gz",
                           "1fa03836e01c862542f8eb83463bb951bebec6fcb3efa28dad748c6b38a9021b", "datasets/notmnist")},
    parse=_parse_notmnist,
    class_names=tuple("ABCDEFGHIJ"),
    licence="notMNIST: Yaroslav Bulatov (2011), no explicit licence; IDX conversion MIT, (c) 2016 David Flanagan",
))


CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def _read_cifar_batch(archive: tarfile.TarFile, member: str) -> tuple[np.ndarray, np.ndarray]:
    """One pickled batch of the CIFAR python format: data (N, 3072) uint8, R then G then B planes of
    32x32 each; labels, N ints. Returned as images (N, 32, 32, 3) and labels (N,)."""
    try:
        handle = archive.extractfile(member)
        batch = pickle.load(handle, encoding="bytes")  # the archive's sha256 was checked before this
    except (KeyError, AttributeError, pickle.UnpicklingError, EOFError) as error:
        raise DataError(f"CIFAR-10 archive: {member} is missing or unreadable ({error}). Fix: replace the archive")
    data, labels = np.asarray(batch[b"data"], dtype=np.uint8), np.asarray(batch[b"labels"], dtype=np.int64)
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels


def _parse_cifar10(paths: Mapping[str, Path]) -> dict[str, np.ndarray]:
    """The python-format archive, read in place: data_batch_1..5 are training, test_batch is test."""
    try:
        archive = tarfile.open(paths["archive"], "r:gz")
    except (OSError, tarfile.TarError) as error:
        raise DataError(f"{paths['archive']} is not the CIFAR-10 tar.gz ({error}). Fix: replace the file")
    with archive:
        train = [_read_cifar_batch(archive, f"cifar-10-batches-py/data_batch_{i}") for i in range(1, 6)]
        x_test, y_test = _read_cifar_batch(archive, "cifar-10-batches-py/test_batch")
    return {"x_train": np.concatenate([x for x, _ in train]), "y_train": np.concatenate([y for _, y in train]),
            "x_test": x_test, "y_test": y_test}


register(DatasetSpec(
    name="cifar10",
    title="CIFAR-10 (Krizhevsky 2009): 60,000 32x32 colour images of 10 classes",
    # fname as keras.datasets.cifar10.load_data() caches the archive, so a Keras cache it filled is used
    files={"archive": RemoteFile("cifar-10-batches-py-target_archive",
                                 "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                                 "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce")},
    parse=_parse_cifar10,
    class_names=CIFAR10_CLASSES,
    licence="Krizhevsky, Learning Multiple Layers of Features from Tiny Images (2009); free for research use",
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


# ISBI-2012 membrane training slices as zhixuhao/unet serves them: image/N.png (512x512 grey EM) and
# label/N.png (0 = membrane, 255 = cell interior), N = 0..29.
_MEMBRANE_ORIGIN = "https://raw.githubusercontent.com/zhixuhao/unet/master/data/membrane/train/"
_MEMBRANE_SHA256 = {
    "image/0.png": "12c0ed6f42fc09f512abf6b354f217c950e4c8223b57a0315449b62a14556523",
    "image/1.png": "2cfc7ee635a6f85d5faf5c82a71d3a37bf5af4784b554964e3e07193e3ee2166",
    "image/2.png": "fe60d8d4f93102666a23a18d718b4b59fab8e616987d11c5072f4a87fac7301f",
    "image/3.png": "636d16cbb02f99dda4c9fb6db98dfba066142afa981ffdcfaf54453982e8250c",
    "image/4.png": "991fb3a8e4abc73da1d6159ca28fa4397f0a8351f30a8ba3669c86414d2ce239",
    "image/5.png": "7e9d9fb787664336d6f2cd68b23986f04527e7f8f494410983b4d70c6de1de3b",
    "image/6.png": "7c0a87933ffc72f4ff02f5996d9c3f69fe9a0b5277507415743ad8afb5e5d308",
    "image/7.png": "19f2c25716107d41008c83ba8a814ae47a090e00dea766dde38dce1f00899270",
    "image/8.png": "a8979e4abd1a10af9ca75e614d97875659adbd8ee3a68eba483bf556cfe3023d",
    "image/9.png": "730ebf435ab0f6e625d342552ad03736799fd660d0c6af744674c61a46aa082a",
    "image/10.png": "7c3717bcd48c4b7e5c878d7f0b809b8687a4e6fac471f3863de320a82ee72b8a",
    "image/11.png": "dd7857b25ca1417f87c282750e22c50947f75e81fa032d4e0c96b902c9dc9757",
    "image/12.png": "9f8eff9239bb764d51524a998387a7babcff9f62161804651b030b81aabd5ab8",
    "image/13.png": "377e5cdbcd7f0ac7336f482fc7ead7446887863f26769b3841fe98aadca77dad",
    "image/14.png": "f50d2d77acd2df564c5f0f40b1b24cd929f5944460aa4cd90c422cb5cef33a59",
    "image/15.png": "3e13fdea09accc14f46fb2f3ffa1e882cdd9c53b28a6842c4c10229692c7d1a4",
    "image/16.png": "ffc951c12450f94129582c16fd0d4b165c4a31469b0c42d966f07c183d3132e2",
    "image/17.png": "0f4f7e8e0619e4c7d517ac68d3789a3b6248253747717eac418bb7d32bef4de3",
    "image/18.png": "1bb1edd50595861743d14e1955dfa5d3c9395fb87563eca6dc81433bf9df49de",
    "image/19.png": "999b55633f8d7082add72082656e9532c5c3d97203b376eb317f09ba88a5a5b7",
    "image/20.png": "9153d14bfd15955fab576ea23281c4f23104b45dceed6e03e0b254607f50a1b2",
    "image/21.png": "9ad07cf4f67984f17a08aa63e6d92d395ce55f5132e6ff4fa6d95d6890ea7f97",
    "image/22.png": "6278609b4c42a7cb43212de0e2e2ceded758bafe0856fb56214ce658a61668e4",
    "image/23.png": "9ef4e9fbc838b9791af83a36918d729a0ea2e90ebc71c4a3c4554059f9379756",
    "image/24.png": "f0f917b9c3e9c96d16ea287aff9b05ecf4de88bc61d478e4aefcb64932fba70c",
    "image/25.png": "e0154737e76392e8bf94fb2c0dfa5ddad4b53aeec942a0a8cdd8ba63443e6072",
    "image/26.png": "d0ff11e09b0ee0c817334946e746a38ab621161d5f9c46af95c68b851f8d9a1a",
    "image/27.png": "eed8e8bee1db8fe7af39b5b43ecf14282c5c33eca0959726eea06f662027eacc",
    "image/28.png": "974df4b51e8905bdaabe61e80496cbf331f5c9aa9ddc2cb94113f58c2b7d2837",
    "image/29.png": "d9ae868509c610a69acbf3d69cde4f36a8e344cbbc444f93c917bf7b9f3e784f",
    "label/0.png": "13b67edd7607a1f284c09170c96a27d38422b0ffaf88024ea5b689acb5e1b4b0",
    "label/1.png": "cff60a00de2901e67165c91d7708d784e4c5bcc9d1c8c677922c905d63bbc3d1",
    "label/2.png": "a578af998c017f56763b81941c4dc612dde5731809b2cea0e8ebc37aecb84dbb",
    "label/3.png": "c8ae3b843fed02e09411a24c10850160922c331041b17c2674025f05a99b8834",
    "label/4.png": "a2f19c01b5d982a97923a0d29e64127a05e3f496731480ac9d9d302b5427f7ff",
    "label/5.png": "2dd5779118f6f4d87f88ec112f1cea20663b50acb8c748b0db1f23eda82b5118",
    "label/6.png": "2b0984e9f31fb41d4c5f4a754a3e080036b7321a0cbd9591a62010d20a574ce7",
    "label/7.png": "2ebc8c835999589bfd7d80d81f83d24e5c41138362b0faafef0f009e1ce82144",
    "label/8.png": "db979010ca4fbdb38c8b32d455aed0da90d598153f2a0046b63d02a6efa32b9e",
    "label/9.png": "8ee6c79adbb740595c4d61776e065e7164c00d52c7dd7562b5279041e7f3567b",
    "label/10.png": "b0156cc8186b0ee521927ac95645b406a42d27564607a6fea3a59c34add78f7c",
    "label/11.png": "e47b3aa0cfb3106476af1666e631d45bd16dbf2aff88260ee65d16e4134332db",
    "label/12.png": "85a7a899c0b72b81633ad122887ba5161d650385d7775a5b3074eb00131b3620",
    "label/13.png": "88549c22fd647312d6b37e17d33e90800d347d60ccb1156a8dde5e67394f9f3d",
    "label/14.png": "bcd775017eb4fdbdfe7ad6cc6420b2f16aa9d0576894d08370edcf564b46680a",
    "label/15.png": "59a854887b504ff00a5b4b93b2299bbc0bf0cbe54dea58d2b31969229b28b369",
    "label/16.png": "b34eb88cdc3313a6f4190f5753465df7f69d8f3c243a5c25427b1b99ecfe2499",
    "label/17.png": "4fa076cbeb744803d987dc46cf308dc3026408e7a5188838e30e25fe3ea67dbe",
    "label/18.png": "bd009dda57f204804732f592ed1d41ba18961d83c492413fe71548efa4a288d9",
    "label/19.png": "bf38407c55b6033c1677230228ecb100a11294aa74a7b92e5edfdc4abadcfef9",
    "label/20.png": "7af7296f2e892866669d4e4f9c0d4178987e6ec6e7d0751ec238d1bbe2da9c55",
    "label/21.png": "772c722acb2eac01769b53fa5037a3d62745e53102398bf9b2202df605cadda4",
    "label/22.png": "b19f5533ec24077a2395a085fe53af75dd350ef03798c4ff40ba9ebecb2ee0ad",
    "label/23.png": "2d8f1df5c9ee83e59eb2d709eb153b0570f12e726690f586154b01b0a88bb540",
    "label/24.png": "6ab02d922b5c937ecfe2a479be87a5d3e5ef950dc48da09d31f37b47d899ca9c",
    "label/25.png": "c5ea59aca7789dd507ac31c4a82bbd4c172f9e3544f8e040442c20d1dfa9e16d",
    "label/26.png": "b056fae9f358111b6c9e2494bdba645f206be581959b8d3763e97d62a65dd961",
    "label/27.png": "5be3823a57c82b632cead6eb09f438c6010a244dc0975f2a3e466f45d2c06840",
    "label/28.png": "c0b0e2a2b7aad46919d1afc980f7d5e39101fb07948ce65d9cac802d8b47682e",
    "label/29.png": "1e8839a97178914171defd6a97158f06fcac1fc3f0d45f2acdff9c49ab3fced9",
}


def _membrane_file(path: str) -> RemoteFile:
    kind, fname = path.split("/")
    return RemoteFile(fname, _MEMBRANE_ORIGIN + path, _MEMBRANE_SHA256[path], f"datasets/membrane/train/{kind}")


def _parse_membrane(paths: Mapping[str, Path]) -> dict[str, np.ndarray]:
    """PNG slices → {"images": uint8 (n, H, W), "masks": uint8 (n, H, W) with 1 = cell interior, 0 = membrane}."""
    from PIL import Image  # not TensorFlow: the data layer serves every Keras backend

    def decode(path: Path) -> np.ndarray:
        with Image.open(path) as image:
            return np.asarray(image.convert("L"))

    count = len(paths) // 2
    images = np.stack([decode(paths[f"image/{i}.png"]) for i in range(count)])
    masks = np.stack([decode(paths[f"label/{i}.png"]) for i in range(count)])
    return {"images": images, "masks": (masks > 127).astype(np.uint8)}


register(DatasetSpec(
    name="isbi_membrane",
    title="ISBI-2012 EM membrane segmentation, 30 training slices 512x512 with binary masks",
    files={path: _membrane_file(path) for path in _MEMBRANE_SHA256},
    parse=_parse_membrane,
    class_names=("membrane", "cell interior"),
    licence="ISBI 2012 challenge terms (non-commercial; cite Cardona et al. 2010, Arganda-Carreras et al. 2015)",
))


# Multi30K task 1 (Elliott et al. 2016): English captions of Flickr30K photos and their German
# translations, one sentence per line, line k of X.en translating line k of X.de.
_MULTI30K_ORIGIN = "https://raw.githubusercontent.com/multi30k/dataset/master/data/task1/raw/"
_MULTI30K_SHA256 = {
    "train.en": "d79cfa999dd4c51d2cb42499b6796d5a882c3a8a961923c25a898c90f8bbd56f",
    "train.de": "726e39b2fa9eb9ffb6dc763fb35a179f80fae06ffc5d28b6ace5faa883de28a6",
    "val.en": "14f7d25ddd868909a9213e361768460edcacdd6ab9d1e77b92560dc10c10dc28",
    "val.de": "f0cba2f995189cf5770f29a8a9a537a3ad3f51657ad873405082ff6863a5e75a",
    "test_2016_flickr.en": "611d361c6334bc7246101d48097c13cf5c4413c5befc793cc629934359d532d9",
    "test_2016_flickr.de": "9204244e408ccb38d2a55cfcd344df15005fc42a07a6e55ca6c52b6ababb8cc8",
}


def _parse_sentence_pairs(paths: Mapping[str, Path]) -> dict[str, np.ndarray]:
    """Gzipped line-aligned text files → {"<split>.<lang>": object array of sentences}; the two sides
    of a split must have the same number of lines."""
    arrays = {}
    for role, path in paths.items():
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            arrays[role] = np.array([line.strip() for line in handle], dtype=object)
    for role in arrays:
        split, _ = role.rsplit(".", 1)
        sizes = {r: len(a) for r, a in arrays.items() if r.startswith(split + ".")}
        if len(set(sizes.values())) != 1:
            raise DataError(f"sentence pairs of '{split}' are not line-aligned: {sizes}. Fix: replace the "
                            f"files with the originals")
    return arrays


register(DatasetSpec(
    name="multi30k",
    title="Multi30K task 1 English-German: 29,000 training, 1,014 validation and 1,000 test (2016) pairs",
    files={role: RemoteFile(f"{role}.gz", f"{_MULTI30K_ORIGIN}{role}.gz", sha256, "datasets/multi30k")
           for role, sha256 in _MULTI30K_SHA256.items()},
    parse=_parse_sentence_pairs,
    licence="Multi30K (Elliott et al. 2016) on Flickr30K (Young et al. 2014): non-commercial research and education",
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


def image_census(data: ImageClasses) -> list[str]:
    """What is odd about a set of images: blank ones (every pixel equal) by class, exact duplicates,
    and held-out images identical to a training image (they make held-out accuracy look better)."""
    splits = {"train": (data.x_train, data.y_train), "val": (data.x_val, data.y_val),
              "test": (data.x_test, data.y_test)}
    notes = []
    for split, (x, y) in splits.items():
        flat = x.reshape(len(x), -1)
        blank = flat.max(axis=1) == flat.min(axis=1)
        if blank.any():
            by_class = np.bincount(y[blank], minlength=data.n_classes)
            notes.append(f"{split}: {int(blank.sum())} blank images (every pixel equal), labelled "
                         + ", ".join(f"{data.class_names[c]} {n}" for c, n in enumerate(by_class) if n))
    seen: dict[bytes, str] = {}
    repeats = {split: 0 for split in splits}
    leaked = 0
    for split, (x, _) in splits.items():
        for image in x:
            key = image.tobytes()
            if key in seen:
                repeats[split] += 1
                leaked += split != "train" and seen[key] == "train"
            else:
                seen[key] = split
    total = sum(repeats.values())
    notes.append(f"{total} images are exact duplicates of an earlier one ({len(seen):,} unique; "
                 + ", ".join(f"{split} {n}" for split, n in repeats.items())
                 + f"); {leaked} held-out (val/test) images are identical to a training image")
    return notes


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


def load_or_fallback(name: str, *, quick: bool, fallback: Callable[[], Loaded],
                     fallback_title: str) -> tuple[Loaded, list[str], bool]:
    """Load a registered dataset; only in quick mode, if it cannot be had, load `fallback()` instead
    and say so loudly. Returns (loaded, notes for the report header, whether it fell back)."""
    try:
        return load(name), [], False
    except DataError as error:
        if not quick:
            raise
        print(f"WARNING: {error}\nWARNING: --quick falls back to {fallback_title}; "
              f"the figures are NOT {name} figures.", file=sys.stderr)
        return fallback(), [f"FALLBACK: {name} could not be loaded ({error}); this quick run used "
                            f"{fallback_title} instead."], True


def image_classes(name: str, *, quick: bool, seed: int, quick_train: int = 2000, quick_test: int | None = 500,
                  val_fraction: float = 0.1) -> ImageClasses:
    """Load an image-classification dataset, with the quick-mode subset and fallback rules.

    In quick mode the training set is cut to a stratified `quick_train` images and the test set to
    `quick_test` (None keeps every test image, e.g. for a competition submission).
    """
    loaded, notes, fallback = load_or_fallback(name, quick=quick, fallback=lambda: digits_dataset(seed),
                                               fallback_title="scikit-learn's bundled 8x8 digits")
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


# ---- regression bundles --------------------------------------------------------------------------

@dataclass
class Standardizer:
    """z = (x - mean) / std per feature, with mean and std fitted on one array (the training split)."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray) -> "Standardizer":
        std = x.std(axis=0)
        return cls(x.mean(axis=0), np.where(std > 0, std, 1.0))  # a constant feature stays finite

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.std).astype(np.float32)


@dataclass
class Regression:
    """Train/validation/test arrays for a regressor.

    x_*: float32 (N, F), standardised with the mean and std of x_train (the training part only: the
    validation and test rows never touch the statistics); y_*: float32 (N,) in the target's own unit.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    scaler: Standardizer
    feature_names: tuple[str, ...]
    dataset: str
    sha256: str
    fallback: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    def info(self) -> dict:
        return {"dataset": self.dataset, "fallback": self.fallback, "notes": self.notes,
                "feature_names": list(self.feature_names), "input_shape": list(self.input_shape),
                "sizes": {"train": len(self.y_train), "val": len(self.y_val), "test": len(self.y_test)}}


def regression_splits(loaded: Loaded, *, val_fraction: float, seed: int, notes: list[str] | None = None,
                      fallback: bool = False) -> Regression:
    """Hold `val_fraction` of the training rows out for validation (seeded), then standardise every
    split with statistics fitted on the remaining training rows alone."""
    a = loaded.arrays
    order = np.random.default_rng(seed).permutation(len(a["y_train"]))
    n_val = int(round(val_fraction * len(order)))
    val, train = order[:n_val], order[n_val:]
    x_train, y_train = a["x_train"][train], a["y_train"][train]
    scaler = Standardizer.fit(x_train)

    def target(y: np.ndarray) -> np.ndarray:
        return y.astype(np.float32)

    return Regression(scaler(x_train), target(y_train), scaler(a["x_train"][val]), target(a["y_train"][val]),
                      scaler(a["x_test"]), target(a["y_test"]), scaler, loaded.class_names, loaded.name,
                      loaded.sha256, fallback, list(notes or []))


def tabular_regression(name: str, *, quick: bool, seed: int, val_fraction: float) -> Regression:
    """A registered regression table; in quick mode only, scikit-learn's bundled diabetes set if it
    cannot be had."""
    loaded, notes, fallback = load_or_fallback(name, quick=quick, fallback=diabetes_dataset,
                                               fallback_title="scikit-learn's bundled diabetes regression set")
    return regression_splits(loaded, val_fraction=val_fraction, seed=seed, notes=notes, fallback=fallback)


def diabetes_dataset() -> Loaded:
    """scikit-learn's bundled diabetes set (442 patients, 10 features), split like Keras splits Boston."""
    from sklearn.datasets import load_diabetes

    bunch = load_diabetes()
    x, y = bunch.data.astype(np.float64), bunch.target.astype(np.float64)
    digest = hashlib.sha256(x.tobytes() + y.tobytes()).hexdigest()
    return Loaded("sklearn_diabetes", _keras_style_split(x, y, _BOSTON_TEST_SPLIT, _BOSTON_SEED), digest,
                  tuple(bunch.feature_names))
