"""dropout: the quick run's table, plots and a conclusion naming the rate with the lowest validation loss."""
from __future__ import annotations

import numpy as np

from reports.store import Store
from tests.conftest import cli_env, linked_pngs_open, run_cli, table_after


def test_quick_run_compares_rates_and_l2_and_names_the_best_rate(tmp_path):
    workdir = tmp_path / "runs"
    result = run_cli(["run", "dropout", "--quick", "--workdir", str(workdir)], cli_env(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    report_path = workdir / "dropout" / "report.md"
    report = report_path.read_text()
    table = table_after(report, "## Loss per variant")
    assert {"train loss", "val loss", "test loss", "val loss, MC mean"} <= set(table[0])
    assert [row[0] for row in table[1:]] == ["*baseline: dropout-0.0*"] + [
        f"`dropout-{p}`" for p in (0.1, 0.2, 0.3, 0.4, 0.5)] + ["`l2-0.001`", "`l2-0.01`"]
    assert {"fitted_curves.png", "mc_dropout.png", "val_loss.png", "curves_loss.png"} <= set(
        linked_pngs_open(report_path))

    store = Store.in_workdir(workdir)
    records = store.records("dropout")
    rates = [r for r in records if r.experiment == "dropout" and r.params["dropout"] > 0]
    best = min(rates, key=lambda r: r.metric("val", "loss"))
    mc_std = np.asarray(store.artifact(best.id, "mc_std"))
    store.close()
    assert f"at p = {best.params['dropout']:g}: {best.metric('val', 'loss'):.4g}" in report
    assert ("Target (the best rate's validation loss below the no-dropout net's) applies to a full run; "
            "this quick run:") in report
    index = (workdir / "index.md").read_text()
    assert "the best rate's validation loss below the no-dropout net's" in index
    assert mc_std.min() > 0  # dropout stays on in the Monte-Carlo passes, so they disagree everywhere
