"""Classical peers: chosen on validation, scored like the networks, and the verdict the conclusions state."""
from __future__ import annotations

import numpy as np
import pytest

from nnlab.recipes.peers import (PEERS, classifier_peer_outcome, peer_variant, peer_variants,
                                 regressor_peer_outcome, subset_rows)
from reports.conclusions import TEST_ACCURACY, Score
from reports.peers import Showdown, chosen_on, paired_standard_error, peer_lines, VAL_ACCURACY
from reports.store import VariantRecord


def record(name: str, experiment: str = "models", **metrics) -> VariantRecord:
    """A finished record holding `metrics` as split_metric=value, e.g. test_accuracy=0.9."""
    split_metrics: dict = {}
    for key, value in metrics.items():
        split, metric = key.split("_", 1)
        split_metrics.setdefault(split, {})[metric] = value
    return VariantRecord(id=0, run_id=0, experiment=experiment, variant=name, ordinal=0, params={}, config={},
                         seed=0, quick=True, dataset="t", dataset_sha256="0", wall_seconds=0.0, started_at="",
                         info={}, metrics=split_metrics, history={}, artifact_names=[])


@pytest.fixture(scope="module")
def digits():
    """scikit-learn's bundled 8x8 digits as an ImageClasses bundle (pixels in [0, 1]), split 60/20/20."""
    from sklearn.datasets import load_digits

    from nnlab.data.images import ImageClasses

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).reshape(-1, 8, 8).astype(np.float32)
    order = np.random.default_rng(0).permutation(len(y))
    parts = np.split(order, [int(0.6 * len(y)), int(0.8 * len(y))])
    arrays = [a for part in parts for a in (x[part], y[part])]
    return ImageClasses(*arrays, tuple(str(d) for d in range(10)), dataset="digits", sha256="0")


def test_the_peer_keeps_the_candidate_with_the_best_validation_score(digits):
    # C=1e-4 all but switches the weights off; validation must prefer C=1
    variant = peer_variant("lr", "logistic-regression", [{"C": 1e-4, "max_iter": 200}, {"C": 1.0, "max_iter": 200}])
    outcome = classifier_peer_outcome(variant.params, digits, seed=0)
    tried = outcome.info["candidates_tried"]
    assert outcome.info["chosen"] == {"C": 1.0, "max_iter": 200}
    assert tried[1]["val_score"] > tried[0]["val_score"]
    assert outcome.metrics["val"]["accuracy"] == pytest.approx(tried[1]["val_score"])
    assert outcome.metrics["test"]["accuracy"] > 0.9
    np.testing.assert_array_equal(outcome.artifacts["test_true"], digits.y_test)
    assert variant.experiment == PEERS and variant.params["model"] == "peer"


def test_a_stated_subset_is_what_the_peer_fits_and_its_train_score_covers(digits):
    variant = peer_variant("svc", "rbf-svc", [{"C": 10.0}], train_subset=200)
    outcome = classifier_peer_outcome(variant.params, digits, seed=3)
    assert outcome.info["train_rows"] == 200
    rows = subset_rows(len(digits.y_train), 200, 3)
    assert len(rows) == 200 and len(set(rows)) == 200
    np.testing.assert_array_equal(rows, subset_rows(len(digits.y_train), 200, 3))  # seeded: the same rows


def test_peer_specs_become_grid_rows_and_unknown_estimators_are_refused():
    rows = peer_variants((("a", "ridge", ({"alpha": 1.0},)), ("b", "rbf-svc", ({},), 50)))
    assert [(v.name, v.params["train_subset"]) for v in rows] == [("a", None), ("b", 50)]
    with pytest.raises(ValueError, match="Expected an estimator among"):
        peer_variant("x", "xgboost", [{}])


def test_a_regression_peer_is_scored_with_the_networks_columns():
    from nnlab.data.regression import regression_splits
    from nnlab.data.spec import Loaded

    rng = np.random.default_rng(0)
    x = rng.normal(size=(240, 3))
    y = 3 * x[:, 0] - 2 * x[:, 1] + rng.normal(scale=0.1, size=240)
    data = regression_splits(Loaded("t", {"x_train": x[:200], "y_train": y[:200], "x_test": x[200:],
                                          "y_test": y[200:]}, "0"), val_fraction=0.2, seed=0)
    variant = peer_variant("ridge", "ridge", [{"alpha": a} for a in (0.01, 1000.0)])
    outcome = regressor_peer_outcome(variant.params, data, seed=0)
    assert outcome.info["chosen"] == {"alpha": 0.01}
    assert set(outcome.metrics["test"]) == {"loss", "mae", "rmse", "r2"}
    assert outcome.metrics["test"]["r2"] > 0.99


def test_the_verdict_wins_ties_or_loses_by_the_band():
    net, peer = record("cnn", test_accuracy=0.92), record("svc", PEERS, test_accuracy=0.90)
    wins = Showdown(net, peer, TEST_ACCURACY, noise=0.005)
    assert wins.verdict == "wins" and wins.gap == pytest.approx(0.02)
    assert wins.ratio == pytest.approx(0.10 / 0.08)  # peer error / net error
    assert "the network wins by 2.00 points (beyond the ±0.50 points" in wins.sentence()
    tie = Showdown(net, peer, TEST_ACCURACY, noise=0.03)
    assert tie.verdict == "ties" and "a tie, the gap of 2.00 points is within the ±3.00 points" in tie.sentence()
    mae = Score("test MAE", lambda r: r.metric("test", "mae"), higher_is_better=False, as_percent=False)
    loses = Showdown(record("net", test_mae=2.6), record("gb", PEERS, test_mae=2.0), mae, noise=0.3)
    assert loses.verdict == "loses" and loses.gap == pytest.approx(-0.6)
    assert loses.ratio == pytest.approx(1.3)  # net / peer for an error
    assert "the peer wins by 0.6" in loses.sentence() and "ratio 1.30 (net / peer)" in loses.sentence()
    assert "no error bar" in Showdown(net, peer, TEST_ACCURACY).sentence()


def test_choices_read_validation_and_the_paired_error_is_that_of_the_difference():
    better_on_test = record("a", val_accuracy=0.80, test_accuracy=0.95)
    better_on_val = record("b", val_accuracy=0.90, test_accuracy=0.85)
    assert chosen_on(VAL_ACCURACY, [better_on_test, better_on_val]) is better_on_val
    assert chosen_on(VAL_ACCURACY, []) is None
    same = np.array([0, 1, 0, 1, 1.0])
    assert paired_standard_error(same, same) == 0.0  # identical errors: no doubt about the gap
    d = np.array([1.0, 0, 0, 1]) - np.array([0, 0, 1, 0.0])
    assert paired_standard_error(np.array([1.0, 0, 0, 1]), np.array([0, 0, 1, 0.0])) == pytest.approx(
        np.std(d, ddof=1) / 2)
    listed = peer_lines([record("svc", PEERS, test_accuracy=0.9)], TEST_ACCURACY)
    assert listed == ["Classical peers, each configured on validation, test accuracy: `svc` 90.00%."]
