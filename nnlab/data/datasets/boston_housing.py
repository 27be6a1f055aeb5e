"""Boston housing: the .npz `keras.datasets.boston_housing.load_data()` fetches, with the sha256 Keras
itself pins, split the way Keras splits it."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np

from nnlab.data.fetch import KERAS_ORIGIN, RemoteFile
from nnlab.data.spec import DatasetSpec
from nnlab.errors import DataError

TEST_SPLIT, SEED = 0.2, 113  # keras.datasets.boston_housing.load_data()'s defaults
FEATURES = ("CRIM", "ZN", "INDUS", "CHAS", "NOX", "RM", "AGE", "DIS", "RAD", "TAX", "PTRATIO", "B", "LSTAT")


def keras_style_split(x: np.ndarray, y: np.ndarray, test_split: float = TEST_SPLIT,
                      seed: int = SEED) -> dict[str, np.ndarray]:
    """Shuffle with RandomState(seed), the first (1 - test_split) for training: Keras's own split."""
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return {"x_train": x[:cut], "y_train": y[:cut], "x_test": x[cut:], "y_test": y[cut:]}


def parse(paths: Mapping[str, Path]) -> dict[str, np.ndarray]:
    """{"x_train": float64 (404, 13), "y_train": float64 (404,), "x_test": (102, 13), "y_test": (102,)}."""
    try:
        with np.load(paths["npz"], allow_pickle=False) as archive:
            x, y = archive["x"], archive["y"]
    except (OSError, KeyError, ValueError) as error:
        raise DataError(f"{paths['npz']} is not the Boston housing .npz ({error}). Fix: replace the file")
    return keras_style_split(x, y)


SPEC = DatasetSpec(
    name="boston_housing",
    title="Boston housing (Harrison & Rubinfeld 1978, StatLib): 506 tracts, 13 features, median value in k$",
    files={"npz": RemoteFile("boston_housing.npz", KERAS_ORIGIN + "boston_housing.npz",
                             "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5")},
    parse=parse,
    class_names=FEATURES,  # for a regression set: the feature names
    licence="StatLib / UCI, free with citation of Harrison & Rubinfeld (1978)",
)
