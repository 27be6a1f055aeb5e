"""Findings computed from records: ties said as ties, raised/lowered against a reference beyond noise."""
from __future__ import annotations

from reports.conclusions import changes_against, experiment_findings, spread_note
from reports.store import VariantRecord


def record(name: str, test_accuracy: float, std: float = 0.0) -> VariantRecord:
    return VariantRecord(id=0, run_id=0, experiment="grid", variant=name, ordinal=0, params={}, config={},
                         seed=0, quick=False, dataset="d", dataset_sha256="0", wall_seconds=0.0, started_at="",
                         info={"test_accuracy_std": std, "seeds": [0, 1, 2]},
                         metrics={"test": {"accuracy": test_accuracy}}, history={}, artifact_names=[])


def test_a_tie_is_reported_as_a_tie_and_nothing_hurt():
    lines = experiment_findings("t", [record("a", 0.9), record("b", 0.9), record("c", 0.9)])
    assert "scored best (tied)" in lines[0] and "the same as `b`" in lines[0]
    assert not any("hurt" in line for line in lines)


def test_changes_against_the_reference_respect_the_noise():
    start = record("start", 0.80, std=0.01)
    lines = changes_against(start, [record("more", 0.90, 0.01), record("less", 0.70, 0.01),
                                    record("same", 0.815, 0.01)], noise=lambda r: r.info["test_accuracy_std"])
    assert lines[0].startswith("What raised test accuracy against `start` (80.00%): `more` (90.00%, +10.00 points)")
    assert lines[1].startswith("What lowered test accuracy against `start` (80.00%): `less` (70.00%, −10.00 points)")
    assert lines[2] == "Within the seed noise of `start`: `same` (81.50%, +1.50 points)."


def test_spread_note_quotes_the_median_and_the_widest():
    note = spread_note([record("a", 0.9, 0.01), record("b", 0.9, 0.02), record("c", 0.9, 0.08)])
    assert note == ["Seed spread (test accuracy, one std over 3 seeds): typically ±2.00 points (median over 3 "
                    "variants), at most ±8.00 (`c`); gaps of about the typical spread or less are within noise."]


def test_a_lead_within_the_sampling_error_is_not_called_a_win():
    from reports.conclusions import sampling_error

    noise = sampling_error(0.90, 10_000)
    assert abs(noise - 0.003) < 1e-12
    close = experiment_findings("t", [record("a", 0.9001), record("b", 0.8990)], noise=noise)
    assert "a tie as far as this test set can tell" in close[0]
    clear = experiment_findings("t", [record("a", 0.91), record("b", 0.89)], noise=noise)
    assert "ahead of the runner-up `b`." in clear[0] and "tie" not in clear[0]


def test_a_model_that_did_not_learn_is_not_called_overfitted():
    from reports.conclusions import overfitting

    fitted, failed = record("fitted", 0.90), record("failed", 0.43)
    fitted.metrics["train"] = {"accuracy": 0.97}
    failed.metrics["train"] = {"accuracy": 0.46}
    assert "`fitted`'s" in overfitting([fitted, failed])
    fitted.metrics["train"] = {"accuracy": 0.905}
    assert overfitting([fitted, failed]) is None
