"""scikit-learn's bundled 8x8 digits (1,797 images, pixel values 0..16): nothing to fetch."""
from __future__ import annotations

import hashlib

import numpy as np

from nnlab.data.spec import Loaded

PIXEL_MAX = 16.0


def load(seed: int) -> Loaded:
    """The digits split 75/25 stratified with `seed`: x_* float32 (N, 8, 8) in 0..16, y_* (N,)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = digits.images.astype(np.float32)
    x_tr, x_te, y_tr, y_te = train_test_split(images, digits.target, test_size=0.25,
                                              stratify=digits.target, random_state=seed)
    digest = hashlib.sha256(images.tobytes() + digits.target.astype(np.int64).tobytes()).hexdigest()
    return Loaded("sklearn_digits", {"x_train": x_tr, "y_train": y_tr, "x_test": x_te, "y_test": y_te},
                  digest, tuple(str(d) for d in range(10)))
