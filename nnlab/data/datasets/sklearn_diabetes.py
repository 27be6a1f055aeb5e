"""scikit-learn's bundled diabetes set (442 patients, 10 features): nothing to fetch."""
from __future__ import annotations

import hashlib

import numpy as np

from nnlab.data.datasets.boston_housing import keras_style_split
from nnlab.data.spec import Loaded


def load() -> Loaded:
    """The diabetes table split like Keras splits Boston (`keras_style_split`): x_* float64 (N, 10)."""
    from sklearn.datasets import load_diabetes

    bunch = load_diabetes()
    x, y = bunch.data.astype(np.float64), bunch.target.astype(np.float64)
    digest = hashlib.sha256(x.tobytes() + y.tobytes()).hexdigest()
    return Loaded("sklearn_diabetes", keras_style_split(x, y), digest, tuple(bunch.feature_names))
