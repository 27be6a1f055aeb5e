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
import os
import time
import warnings
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


def peer_variants(specs: Sequence[tuple]) -> list[Variant]:
    """Grid rows from a Config's peer specs: (name, estimator, candidates) or (..., train_subset)."""
    return [peer_variant(name, estimator, candidates, train_subset=rest[0] if rest else None)
            for name, estimator, candidates, *rest in specs]


# The peers of the image-classification lessons (fashion-mlp, fashion-cnn): what scikit-learn offers a
# practitioner for 784 pixels, each with the settings validation chooses among. The RBF SVC costs
# O(n²) kernel evaluations, so it fits on a stated 10,000-row subset of the training images.
IMAGE_PEERS = (
    ("logistic-regression", "logistic-regression", tuple({"C": c, "max_iter": 300} for c in (0.1, 1.0))),
    ("mlp", "mlp", ({"hidden_layer_sizes": [256], "early_stopping": True, "max_iter": 60},)),
    ("hist-gradient-boosting", "hist-gradient-boosting",
     ({"max_iter": 300, "learning_rate": 0.1, "early_stopping": True},)),
    ("rbf-svc", "rbf-svc", ({"C": 10.0, "gamma": "scale"},), 10_000),
)
# --quick: the same estimators, small enough that the four fit in seconds on the quick subset
QUICK_IMAGE_PEERS = (
    ("logistic-regression", "logistic-regression", ({"C": 1.0, "max_iter": 100},)),
    ("mlp", "mlp", ({"hidden_layer_sizes": [64], "max_iter": 20},)),
    ("hist-gradient-boosting", "hist-gradient-boosting",
     ({"max_iter": 5, "max_leaf_nodes": 8, "max_bins": 32, "early_stopping": False},)),
    ("rbf-svc", "rbf-svc", ({"C": 10.0, "gamma": "scale"},), 1_000),
)


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


def limited_threads():
    """A context in which a peer fits with OpenMP/BLAS threads for half the cores this process may use.
    Those threads spin while they wait, so on cores shared with other work a thread per core made a
    10-tree gradient boosting 8× slower here (47 s against 5.6 s with one thread on 2 busy cores) and
    a SARIMA fit 10× slower (18.8 s against 1.8 s)."""
    from threadpoolctl import threadpool_limits

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return threadpool_limits(max(1, cores // 2))


def fit_on_validation(params: dict, x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray,
                      y_val: np.ndarray, score: Callable[[np.ndarray, np.ndarray], float], seed: int
                      ) -> tuple[Any, dict]:
    """Fit each candidate of `params` on (x_train, y_train); the one whose `score(y_val, predicted)`
    (higher is better) is best. Returns (that fitted estimator, info for the record)."""
    from sklearn.exceptions import ConvergenceWarning

    rows = subset_rows(len(y_train), params.get("train_subset"), seed)
    tried, best, best_score = [], None, -np.inf
    start = time.perf_counter()
    for settings in params["candidates"]:
        # an iteration cap a candidate states is its setting, not a fault: the validation score judges it
        with limited_threads(), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
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
    # train accuracy is on the rows the peer was fitted on (a subset, for a peer that states one)
    rows = subset_rows(len(data.y_train), params.get("train_subset"), seed)
    x = {split: flat(getattr(data, f"x_{split}")) for split in ("train", "val", "test")}
    y = {"train": data.y_train, "val": data.y_val, "test": data.y_test}
    fitted, info = fit_on_validation(params, x["train"], y["train"], x["val"], y["val"],
                                     lambda truth, p: np.mean(truth == p), seed)
    x["train"], y["train"] = x["train"][rows], y["train"][rows]
    predictions = {split: fitted.predict(inputs) for split, inputs in x.items()}
    metrics = {split: {"accuracy": float(np.mean(predictions[split] == y[split]))} for split in x}
    return Outcome(metrics, info=info, artifacts={"test_pred": predictions["test"], "test_true": data.y_test})


def regressor_peer_outcome(params: dict, data: Any, seed: int) -> Outcome:
    """A peer regressor on a `Regression` bundle, chosen on validation MAE; every split scored by
    `split_metrics`, as the networks are, so its columns equal theirs."""
    from nnlab.recipes.regressors import split_metrics

    fitted, info = fit_on_validation(params, data.x_train, data.y_train, data.x_val, data.y_val,
                                     lambda y, p: -np.mean(np.abs(y - p)), seed)
    metrics, predictions = split_metrics(fitted.predict, data, "mse")
    return Outcome(metrics, info=info, artifacts={"test_pred": predictions["test"], "test_true": data.y_test})
