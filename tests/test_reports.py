"""The fashion-mlp report: tables, rows and columns, real PNGs, conclusions naming the real best."""
from __future__ import annotations

import re
import sqlite3

from reports.store import Store
from tests.conftest import PNG_SIGNATURE, cli_env, run_cli, table_after


def test_end_to_end_quick_run_writes_the_report(fashion_quick):
    workdir, result = fashion_quick
    assert "fashion-mlp: trained 20, skipped 0" in result.stdout
    report = (workdir / "fashion-mlp" / "report.md").read_text()
    width = table_after(report, "## (a) Neurons in a 2-layer net")
    assert width[0][:3] == ["variant", "hidden layers", "optimizer"]
    assert {"train acc", "test acc", "parameters", "s/epoch"} <= set(width[0])
    assert [row[0] for row in width[1:]] == ["*baseline: majority-class*"] + [
        f"`width-{w}`" for w in (32, 64, 128, 256, 512)]
    depth = table_after(report, "## (b) Depth")
    assert [row[0] for row in depth[2:]] == [f"`depth-{d}`" for d in (2, 3, 5, 10)]
    optimizers = table_after(report, "## (c) Optimizers")
    assert [row[0] for row in optimizers[2:]] == ["`sgd`", "`adam`", "`rmsprop`"]
    dropout = table_after(report, "## (d) Dropout")
    assert [row[0] for row in dropout[2:]] == ["`dropout-0.1`", "`dropout-0.3`", "`dropout-0.5`"]
    assert "| **macro average**" in report and "precision" in report


def test_report_pictures_are_real_pngs(fashion_quick):
    workdir, _ = fashion_quick
    report = (workdir / "fashion-mlp" / "report.md").read_text()
    linked = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", report)
    assert {"curves_width.png", "curves_depth.png", "curves_optimizer.png"} <= set(linked)
    assert any(name.startswith("confusion_") for name in linked)
    import matplotlib.image

    for name in linked:
        path = workdir / "fashion-mlp" / name
        assert path.read_bytes()[:8] == PNG_SIGNATURE
        height, width = matplotlib.image.imread(path).shape[:2]
        assert height > 200 and width > 200


def test_conclusions_name_the_real_best_variant(fashion_quick):
    workdir, _ = fashion_quick
    store = Store.in_workdir(workdir)
    records = [r for r in store.records("fashion-mlp") if r.experiment not in ("baseline", "peers")]
    store.close()
    best = max(records, key=lambda r: r.metric("val", "accuracy"))  # the headline: chosen on validation
    report = (workdir / "fashion-mlp" / "report.md").read_text()
    conclusions = report.split("## Conclusions", 1)[1]
    assert f"Headline network, chosen on validation accuracy: `{best.variant}`" in conclusions
    assert f"{100 * best.metric('test', 'accuracy'):.2f}% test accuracy" in conclusions
    peers = table_after(report, "## Classical peers")
    assert [row[0] for row in peers[1:]] == ["*baseline: majority-class*", "`logistic-regression`", "`mlp`",
                                             "`hist-gradient-boosting`", "`rbf-svc`"]
    assert peers[-1][peers[0].index("train rows")] == "1,000"  # the SVC's stated subset
    width = [r for r in records if r.experiment == "width"]
    worst = min(width, key=lambda r: r.metric("test", "accuracy"))
    assert f"`{worst.variant}` at {100 * worst.metric('test', 'accuracy'):.2f}%" in conclusions


def test_report_command_rebuilds_from_the_store_without_training(fashion_quick, tmp_path):
    workdir, _ = fashion_quick
    path = workdir / "fashion-mlp" / "report.md"
    before = path.read_text()
    db = sqlite3.connect(workdir / "results.sqlite")
    count = db.execute("SELECT COUNT(*) FROM variants").fetchone()[0]
    path.unlink()
    result = run_cli(["report", "fashion-mlp", "--workdir", str(workdir)], cli_env(tmp_path), timeout=120)
    assert result.returncode == 0, result.stderr
    assert db.execute("SELECT COUNT(*) FROM variants").fetchone()[0] == count
    db.close()
    strip = lambda text: re.sub(r"\| compiled \|.*\|", "", text)  # noqa: E731
    assert strip(path.read_text()) == strip(before)


def test_bar_plot_names_a_reference_below_its_axis_and_wraps_a_long_title(tmp_path, monkeypatch):
    from reports import plots

    kept = []
    monkeypatch.setattr(plots.plt, "close", kept.append)  # keep the saved figure open to look at it
    plots.bars(["a", "b"], [0.92, 0.93], tmp_path / "bars.png", title="a title " * 12, ylabel="accuracy",
               reference=0.1, reference_label="majority class")
    ax = kept[0].axes[0]
    assert ax.get_ylim()[0] > 0.1
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["majority class (0.1, below the axis)"]
    assert ax.get_title().count("\n") >= 1
    assert (tmp_path / "bars.png").read_bytes().startswith(PNG_SIGNATURE)
    monkeypatch.undo()
    plots.plt.close(kept[0])
