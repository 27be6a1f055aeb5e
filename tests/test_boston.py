"""boston-regression: standardisation from the training rows only, the metrics, the quick run's report."""
from __future__ import annotations

import numpy as np
import pytest

from keras_models.training import regression_metrics
from nnlab.data.regression import regression_splits
from nnlab.data.spec import Loaded
from tests.conftest import cli_env, linked_pngs_open, run_cli, table_after


def test_standardisation_statistics_come_from_the_training_rows_only():
    rng = np.random.default_rng(0)
    x_train = rng.normal(5.0, 2.0, size=(100, 3))
    # the target is the row number, so the split's own y says which rows it kept
    arrays = {"x_train": x_train, "y_train": np.arange(100.0),
              "x_test": np.full((20, 3), 1e6), "y_test": np.zeros(20)}  # a test split far from train
    data = regression_splits(Loaded("t", arrays, "0"), val_fraction=0.2, seed=0)
    kept = data.y_train.astype(int)
    assert len(kept) == 80 and not set(kept) & set(data.y_val.astype(int))
    np.testing.assert_allclose(data.scaler.mean, x_train[kept].mean(axis=0))
    np.testing.assert_allclose(data.scaler.std, x_train[kept].std(axis=0))
    np.testing.assert_allclose(data.x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(data.x_train.std(axis=0), 1, atol=1e-5)
    # the validation rows are not standardised to mean 0 on their own: they use the train statistics
    np.testing.assert_allclose(data.x_val, (x_train[data.y_val.astype(int)] - data.scaler.mean) / data.scaler.std,
                               rtol=1e-5)
    assert data.x_test.min() > 1e4  # the far-away test rows stay far away: scaled with train statistics
    # changing every test row changes nothing about the statistics
    moved = regression_splits(Loaded("t", dict(arrays, x_test=np.full((20, 3), -7.0)), "0"), val_fraction=0.2,
                              seed=0)
    np.testing.assert_array_equal(moved.scaler.mean, data.scaler.mean)
    np.testing.assert_array_equal(moved.x_train, data.x_train)


def test_regression_metrics_on_known_values():
    m = regression_metrics(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 2.0, 3.0, 6.0]))
    assert m["mae"] == pytest.approx(0.5)
    assert m["rmse"] == pytest.approx(1.0)
    assert m["r2"] == pytest.approx(1 - 4 / 5)


def test_quick_run_writes_one_table_with_every_variant_and_the_baselines(tmp_path):
    workdir = tmp_path / "runs"
    result = run_cli(["run", "boston-regression", "--quick", "--workdir", str(workdir)], cli_env(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "boston-regression: trained 18, skipped 0" in result.stdout
    report_path = workdir / "boston-regression" / "report.md"
    report = report_path.read_text()
    table = table_after(report, "## All variants")
    header = table[0]
    for split in ("train", "test"):
        assert {f"{split} loss", f"{split} MAE", f"{split} RMSE", f"{split} R²"} <= set(header)
    names = [row[0] for row in table[1:]]
    assert names[:2] == ["*baseline: train-mean*", "*baseline: linear-regression*"]
    assert len(names) == 15 and "`64x64-relu-adam-mse`" in names
    assert {row[header.index("loss fn")] for row in table[1:]} == {"mse", "mae", "huber", "log_cosh"}
    # the mean predictor has R² exactly 0 on the rows it was fitted on
    assert table[1][header.index("train R²")] == "0.000"
    assert {"test_mae.png", "curves_mae.png", "best_predictions.png"} <= set(linked_pngs_open(report_path))
    peers = table_after(report, "## Classical peers")
    assert [row[0] for row in peers[1:]] == ["*baseline: linear-regression*", "`ridge`", "`random-forest`",
                                             "`gradient-boosting`"]
    assert {"chosen on validation", "val MAE", "test MAE"} <= set(peers[0])
    conclusions = report.split("## Conclusions", 1)[1]
    assert "Headline network, chosen on validation MAE among 13:" in conclusions
    assert "Network against classical peers (both chosen on validation)" in conclusions
    assert "Target (test MAE (k$) ≤ 2.5) applies to a full run" in conclusions
    assert "test MAE (k$) ≤ 2.5" in (workdir / "index.md").read_text()


def test_a_corrupt_data_file_is_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "offline" / "datasets"
    bad.mkdir(parents=True)
    (bad / "boston_housing.npz").write_bytes(b"not the file")
    env = cli_env(tmp_path, NNLAB_DATA_DIR=str(tmp_path / "offline"), NNLAB_OFFLINE="1")
    result = run_cli(["run", "boston-regression", "--workdir", str(tmp_path / "runs")], env, timeout=120)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "boston_housing" in lines[0] and "corrupt" in lines[0]


def test_bad_option_values_are_one_line_and_exit_2(tmp_path):
    for args, expected in ((["--epochs=-3"], "--epochs: expected a positive integer. Received: -3"),
                           (["--loss", "mse"], "unrecognized arguments: --loss mse")):
        result = run_cli(["run", "boston-regression", *args], cli_env(tmp_path), timeout=60)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], result.stderr
