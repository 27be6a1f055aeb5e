"""Classical peers: what a practitioner tries before a network, trained as a variant of the same grid.

A peer is a Variant of the experiment "peers", trained, recorded and shown like the networks beside it
(the same split, the same run, the same store). Its params name a scikit-learn estimator by a key of
ESTIMATORS (so params stay JSON and the variant key stable) and the candidate settings to try:

    fit every candidate on the training rows → keep the best on the validation rows → score every split

so a peer's configuration is chosen on validation, as the headline network is; the test rows decide
nothing. A peer too slow for the whole training set states the `train_subset` it fits on (the first
rows of a seeded permutation); its info records the rows used, the chosen settings and every
candidate's validation score.
"""
from __future__ import annotations

import importlib
import inspect
import time
from typing import Any, Callable, Sequence

import numpy as np

from nnlab.runner import Outcome, Variant

PEERS = "peers"   # the experiment every peer variant belongs to
# name → (module, class); the params say which, so a record holds everything needed to refit it
ESTIMATORS = {
    "logistic-regression": ("sklearn.linear_model", "LogisticRegression"),
    "mlp": ("sklearn.neural_network", "MLPClassifier"),
    "hist-gradient-boosting": ("sklearn.ensemble", "HistGradientBoostingClassifier"),
    "rbf-svc": ("sklearn.svm", "SVC"),
    "ridge": ("sklearn.linear_model", "Ridge"),
    "random-forest": ("sklearn.ensemble", "RandomForestRegressor"),
    "gradient-boosting-regressor": ("sklearn.ensemble", "GradientBoostingRegressor"),
    "random-forest-classifier": ("sklearn.ensemble", "RandomForestClassifier"),
}


def peer_variant(name: str, estimator: str, candidates: Sequence[dict], *, train_subset: int | None = None) -> Variant:
    """The grid row of one peer: `estimator` (a key of ESTIMATORS) tried with each of `candidates`."""
    if estimator not in ESTIMATORS:
        raise ValueError(f"Expected an estimator among {sorted(ESTIMATORS)}. Received: {estimator!r}")
    return Variant(PEERS, name, {"model": "peer", "estimator": estimator, "candidates": [dict(c) for c in candidates],
                                 "train_subset": train_subset})


def make_estimator(estimator: str, settings: dict, seed: int) -> Any:
    """A fresh scikit-learn estimator with `settings`, seeded when it takes a random_state."""
    module, name = ESTIMATORS[estimator]
    cls = getattr(importlib.import_module(module), name)
    seeded = {"random_state": seed} if "random_state" in inspect.signature(cls).parameters else {}
    return cls(**seeded, **settings)


def subset_rows(n: int, subset: int | None, seed: int) -> np.ndarray:
    """Indices of the rows a peer fits on: all of them, or the first `subset` of a seeded permutation."""
    if subset is None or subset >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).permutation(n)[:subset])


def fit_on_validation(params: dict, x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray,
                      y_val: np.ndarray, score: Callable[[np.ndarray, np.ndarray], float], seed: int
                      ) -> tuple[Any, dict]:
    """Fit each candidate of `params` on (x_train, y_train); the one whose `score(y_val, predicted)`
    (higher is better) is best. Returns (that fitted estimator, info for the record)."""
    rows = subset_rows(len(y_train), params.get("train_subset"), seed)
    tried, best, best_score = [], None, -np.inf
    start = time.perf_counter()
    for settings in params["candidates"]:
        fitted = make_estimator(params["estimator"], settings, seed).fit(x_train[rows], y_train[rows])
        value = float(score(y_val, fitted.predict(x_val)))
        tried.append({"settings": settings, "val_score": value})
        if value > best_score:
            best, best_score, chosen = fitted, value, settings
    info = {"parameters": None, "estimator": ESTIMATORS[params["estimator"]][1], "chosen": chosen,
            "candidates_tried": tried, "train_rows": int(len(rows)),
            "fit_seconds": time.perf_counter() - start}
    return best, info


def flat(x: np.ndarray) -> np.ndarray:
    """(n, ...) → (n, features): images become rows of pixels, the input a classical model takes."""
    return x.reshape(len(x), -1)


def classifier_peer_outcome(params: dict, data: Any, seed: int) -> Outcome:
    """A peer classifier on an `ImageClasses`-like bundle (x_* (N, ...) in [0, 1], y_* int labels):
    accuracy per split, and its test predictions (the confusion matrix and paired comparisons read them)."""
    x = {split: flat(getattr(data, f"x_{split}")) for split in ("train", "val", "test")}
    fitted, info = fit_on_validation(params, x["train"], data.y_train, x["val"], data.y_val,
                                     lambda y, p: np.mean(y == p), seed)
    predictions = {split: fitted.predict(rows) for split, rows in x.items()}
    metrics = {split: {"accuracy": float(np.mean(predictions[split] == getattr(data, f"y_{split}")))}
               for split in x}
    return Outcome(metrics, info=info, artifacts={"test_pred": predictions["test"], "test_true": data.y_test})


def regressor_peer_outcome(params: dict, data: Any, seed: int) -> Outcome:
    """A peer regressor on a `Regression` bundle, chosen on validation MAE; every split scored by
    `split_metrics`, as the networks are, so its columns equal theirs."""
    from nnlab.recipes.regressors import split_metrics

    fitted, info = fit_on_validation(params, data.x_train, data.y_train, data.x_val, data.y_val,
                                     lambda y, p: -np.mean(np.abs(y - p)), seed)
    metrics, predictions = split_metrics(fitted.predict, data, "mse")
    return Outcome(metrics, info=info, artifacts={"test_pred": predictions["test"], "test_true": data.y_test})
