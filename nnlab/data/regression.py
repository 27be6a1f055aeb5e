"""Regression bundles: `Regression`, its standardisation, and the table loader with its quick fallback."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnlab.data.bundles import Splits, load_or_fallback
from nnlab.data.datasets import sklearn_diabetes
from nnlab.data.spec import Loaded


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
class Regression(Splits):
    """Train/validation/test arrays for a regressor.

    x_*: float32 (N, F), standardised with the mean and std of x_train (the training part only: the
    validation and test rows never touch the statistics); y_*: float32 (N,) in the target's own unit.
    """

    scaler: Standardizer
    feature_names: tuple[str, ...]

    def details(self) -> dict:
        return {"feature_names": list(self.feature_names), "input_shape": list(self.input_shape),
                "sizes": self.sizes()}


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
                      scaler(a["x_test"]), target(a["y_test"]), scaler, loaded.class_names, dataset=loaded.name,
                      sha256=loaded.sha256, fallback=fallback, notes=list(notes or []))


def tabular_regression(name: str, *, quick: bool, seed: int, val_fraction: float) -> Regression:
    """A registered regression table; in quick mode only, scikit-learn's bundled diabetes set if it
    cannot be had."""
    loaded, notes, fallback = load_or_fallback(name, quick=quick, fallback=sklearn_diabetes.load,
                                               fallback_title="scikit-learn's bundled diabetes regression set")
    return regression_splits(loaded, val_fraction=val_fraction, seed=seed, notes=notes, fallback=fallback)
