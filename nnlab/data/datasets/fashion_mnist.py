"""Fashion-MNIST: four gzipped IDX files, the same origin and cache folder as
`keras.datasets.fashion_mnist.load_data()`, plus the sha256 pins Keras lacks."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np

from nnlab.data.fetch import KERAS_ORIGIN, RemoteFile
from nnlab.data.formats import read_idx
from nnlab.data.spec import DatasetSpec
from nnlab.errors import DataError

CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def _file(fname: str, sha256: str) -> RemoteFile:
    return RemoteFile(fname, KERAS_ORIGIN + fname, sha256, "datasets/fashion-mnist")


def parse(paths: Mapping[str, Path]) -> dict[str, np.ndarray]:
    """{"x_train": uint8 (60000, 28, 28), "y_train": uint8 (60000,), "x_test", "y_test"}: one IDX file each."""
    arrays = {role: read_idx(path) for role, path in paths.items()}
    for split in ("train", "test"):
        if len(arrays[f"x_{split}"]) != len(arrays[f"y_{split}"]):
            raise DataError(f"{split} images and labels differ in count: {len(arrays[f'x_{split}'])} vs "
                            f"{len(arrays[f'y_{split}'])}. Fix: replace the dataset files")
    return arrays


SPEC = DatasetSpec(
    name="fashion_mnist",
    title="Fashion-MNIST (Zalando, 70,000 28x28 grey images of 10 clothing classes)",
    files={
        "x_train": _file("train-images-idx3-ubyte.gz",
                         "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
        "y_train": _file("train-labels-idx1-ubyte.gz",
                         "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
        "x_test": _file("t10k-images-idx3-ubyte.gz",
                        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
        "y_test": _file("t10k-labels-idx1-ubyte.gz",
                        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
    },
    parse=parse,
    class_names=CLASSES,
    licence="MIT, Zalando SE; Xiao, Rasul & Vollgraf (2017), arXiv:1708.07747",
)
