"""CIFAR-10: the python-format archive `keras.datasets.cifar10` downloads, read in place, sha256 pinned."""
from __future__ import annotations

import pickle
import tarfile
from pathlib import Path
from typing import Mapping

import numpy as np

from nnlab.data.fetch import RemoteFile
from nnlab.data.spec import DatasetSpec
from nnlab.errors import DataError

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def _read_batch(archive: tarfile.TarFile, member: str) -> tuple[np.ndarray, np.ndarray]:
    """One pickled batch of the CIFAR python format: data (N, 3072) uint8, R then G then B planes of
    32x32 each; labels, N ints. Returned as images (N, 32, 32, 3) and labels (N,)."""
    try:
        handle = archive.extractfile(member)
        batch = pickle.load(handle, encoding="bytes")  # the archive's sha256 was checked before this
    except (KeyError, AttributeError, pickle.UnpicklingError, EOFError) as error:
        raise DataError(f"CIFAR-10 archive: {member} is missing or unreadable ({error}). Fix: replace the archive")
    data, labels = np.asarray(batch[b"data"], dtype=np.uint8), np.asarray(batch[b"labels"], dtype=np.int64)
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels


def parse(paths: Mapping[str, Path]) -> dict[str, np.ndarray]:
    """The python-format archive, read in place: data_batch_1..5 are training, test_batch is test."""
    try:
        archive = tarfile.open(paths["archive"], "r:gz")
    except (OSError, tarfile.TarError) as error:
        raise DataError(f"{paths['archive']} is not the CIFAR-10 tar.gz ({error}). Fix: replace the file")
    with archive:
        train = [_read_batch(archive, f"cifar-10-batches-py/data_batch_{i}") for i in range(1, 6)]
        x_test, y_test = _read_batch(archive, "cifar-10-batches-py/test_batch")
    return {"x_train": np.concatenate([x for x, _ in train]), "y_train": np.concatenate([y for _, y in train]),
            "x_test": x_test, "y_test": y_test}


SPEC = DatasetSpec(
    name="cifar10",
    title="CIFAR-10 (Krizhevsky 2009): 60,000 32x32 colour images of 10 classes",
    # fname as keras.datasets.cifar10.load_data() caches the archive, so a Keras cache it filled is used
    files={"archive": RemoteFile("cifar-10-batches-py-target_archive",
                                 "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                                 "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce")},
    parse=parse,
    class_names=CLASSES,
    licence="Krizhevsky, Learning Multiple Layers of Features from Tiny Images (2009); free for research use",
)
