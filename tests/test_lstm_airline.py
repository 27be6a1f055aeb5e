"""lstm-airline: windows, train-only scaling (by construction), baselines, and the lesson end to end."""
from __future__ import annotations

import re

import numpy as np
import pytest

from nnlab.data.datasets import airline_passengers
from nnlab.errors import DataError
from lessons.lstm_airline import BASELINES, MonthlySeries, baseline_forecasts, prepare, windows
from tests.conftest import cli_env, run_cli


@pytest.fixture(scope="module")
def airline():
    """The real series, when an offline copy or the Keras cache has it (CI sets NNLAB_DATA_DIR)."""
    try:
        return airline_passengers.SPEC.load()
    except DataError as error:
        pytest.skip(f"airline passengers not available here: {error}")


def test_the_airline_file_parses_to_144_months(airline):
    months, values = airline.arrays["months"], airline.arrays["values"]
    assert len(values) == 144 and months[0] == "1949-01" and months[-1] == "1960-12"
    assert values.sum() == 40363  # the total of R's AirPassengers


def tiny_series(values) -> MonthlySeries:
    values = np.asarray(values, dtype=float)
    months = np.array([f"{1949 + i // 12}-{i % 12 + 1:02d}" for i in range(len(values))])
    return MonthlySeries(months, values, len(values) - 6, dataset="tiny", sha256="0" * 64)


def test_windows_on_a_tiny_series():
    x, y = windows(np.arange(10.0), 3, np.array([3, 4, 9]))
    assert x.shape == (3, 3, 1)
    np.testing.assert_array_equal(x[..., 0], [[0, 1, 2], [1, 2, 3], [6, 7, 8]])
    np.testing.assert_array_equal(y, [3, 4, 9])
    with pytest.raises(ValueError, match="Expected target months"):
        windows(np.arange(10.0), 3, np.array([2]))


@pytest.mark.parametrize("kind", ["level", "log-diff"])
def test_scaling_and_training_windows_never_see_the_test_months(kind):
    rng = np.random.default_rng(0)
    values = 100 + rng.uniform(0, 50, size=40)
    altered = values.copy()
    altered[-6:] *= 10  # wildly different test months
    a, b = prepare(tiny_series(values), kind, 4), prepare(tiny_series(altered), kind, 4)
    assert a.scaling == b.scaling
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    # the first test window holds only training months, so it too is unchanged
    np.testing.assert_array_equal(a.x_test[0], b.x_test[0])


def test_baselines_on_a_tiny_series():
    values = np.arange(1.0, 31.0)
    series = tiny_series(values)
    persistence, held = baseline_forecasts("persistence", series, horizon=3)
    np.testing.assert_array_equal(persistence, values[23:29])
    np.testing.assert_array_equal(held, [24, 24, 24, 27, 27, 27])  # the last known month, per 3-month block
    naive, _ = baseline_forecasts("seasonal-naive", series, horizon=3)
    np.testing.assert_array_equal(naive, values[12:18])
    trend, _ = baseline_forecasts("trend+months", tiny_series(np.exp(0.1 * np.arange(30))), horizon=3)
    np.testing.assert_allclose(trend, np.exp(0.1 * np.arange(24, 30)), rtol=1e-8)  # log-linear: exact
    assert set(BASELINES) == {"persistence", "seasonal-naive", "trend+months"}


def test_lesson_runs_quick_and_writes_its_report(tmp_path, airline):
    workdir = tmp_path / "runs"
    result = run_cli(["run", "lstm-airline", "--quick", "--workdir", str(workdir)], cli_env(tmp_path), timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    report_dir = workdir / "lstm-airline"
    report = (report_dir / "report.md").read_text(encoding="utf-8")
    pngs = {path.name for path in report_dir.glob("*.png")}
    assert {"forecast_one_step.png", "forecast_ahead.png", "gradient_norm_init.png",
            "gradient_norm_trained.png"} <= pngs
    assert set(re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", report)) == pngs
    for row in ("*baseline: persistence*", "*baseline: seasonal-naive*", "*baseline: trend+months*",
                "`lstm-w12`", "`gru-w12`", "`simple_rnn-w12`", "`dense-w12`", "`lstm-w12-level`"):
        assert row in report
    assert "*peer: sarima*" in report and "*peer: holt-winters*" in report
    assert "Headline network (fixed before the run): `lstm-w12`" in report
    assert "against the peer `sarima`" in report
    assert "within the 1e-5 tolerance" in report
    assert "## Conclusions" in report
    index = (workdir / "index.md").read_text(encoding="utf-8")
    assert "headline network's one-step test RMSE below seasonal-naive's" in index
    assert not re.search(r"\bnan\b", report, re.IGNORECASE)
