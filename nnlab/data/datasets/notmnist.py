"""notMNIST letters A-J: the 10,000-image notMNIST_small sample as David Flanagan's IDX conversion
serves it, split per letter in file order."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np

from nnlab.data.fetch import RemoteFile
from nnlab.data.formats import read_idx
from nnlab.data.spec import DatasetSpec
from nnlab.errors import DataError

ORIGIN = "https://raw.githubusercontent.com/davidflanagan/notMNIST-to-MNIST/master/"
TRAIN_PER_LETTER = 850  # the first 850 of each letter (file order) train, the last 150 validate


def parse(paths: Mapping[str, Path]) -> dict[str, np.ndarray]:
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
    train = rank < TRAIN_PER_LETTER
    return {"x_train": x[train], "y_train": y[train], "x_test": x[~train], "y_test": y[~train]}


SPEC = DatasetSpec(
    name="notmnist",
    title="notMNIST letters A-J (Bulatov 2011), a 1,000-per-letter sample of notMNIST_small, 28x28 grey",
    files={"x": RemoteFile("t10k-images-idx3-ubyte.gz", ORIGIN + "t10k-images-idx3-ubyte.gz",
                           "70ae9e06201f2827e5b0a3781a3169d735dd2efc69996b9eeaee7f10ed4044d7", "datasets/notmnist"),
           "y": RemoteFile("t10k-labels-idx1-ubyte.gz", ORIGIN + "t10k-labels-idx1-ubyte.gz",
                           "1fa03836e01c862542f8eb83463bb951bebec6fcb3efa28dad748c6b38a9021b", "datasets/notmnist")},
    parse=parse,
    class_names=tuple("ABCDEFGHIJ"),
    licence="notMNIST: Yaroslav Bulatov (2011), no explicit licence; IDX conversion MIT, (c) 2016 David Flanagan",
)
