"""The three NumPy lessons run end to end through the CLI with --quick and write their reports with plots."""
from __future__ import annotations

import re

import pytest

from tests.conftest import cli_env, run_cli

EXPECTED_FIGURES = {
    "neuron": {"loss_separable.png", "loss_overlapping.png", "loss_breast-cancer.png",
               "boundary_separable.png", "boundary_overlapping.png"},
    "activations": {"curves_activation.png", "gradient_per_layer.png", "derivatives.png"},
    "two-layer": {"curves_neurons.png", "curves_epochs.png", "curves_learning-rate.png", "curves_depth.png",
                  "grid_test_accuracy.png"},
}

# a conclusion each lesson must compute (the perceptron reaches 100% even on the quick run)
EXPECTED_SENTENCES = {
    "neuron": "the perceptron classifies the whole separable training set) applies to a full run; this quick "
              "run: 100.00%",
    "activations": "Vanishing gradients: with `sigmoid` the first hidden layer received a gradient",
    "two-layer": "against `starting-network`",
}
# the headline target each lesson's row of the course index names (the first of its verdicts)
TARGETS = {
    "neuron": "the perceptron classifies the whole separable training set",
    "activations": "every hand derivative within 1e-05 of tf.GradientTape",
    "two-layer": "the variant chosen on validation beats the starting network by more than the seed spread",
}


@pytest.mark.parametrize("slug", sorted(EXPECTED_FIGURES))
def test_lesson_runs_quick_and_writes_its_report(tmp_path, slug):
    workdir = tmp_path / "runs"
    result = run_cli(["run", slug, "--quick", "--workdir", str(workdir)], cli_env(tmp_path), timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    report_dir = workdir / slug
    report = (report_dir / "report.md").read_text(encoding="utf-8")
    pngs = {path.name for path in report_dir.glob("*.png")}
    assert EXPECTED_FIGURES[slug] <= pngs
    linked = set(re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", report))
    assert linked == pngs  # every figure is linked and every link has its file
    assert "*baseline: majority-class*" in report
    assert "## Conclusions" in report
    assert not re.search(r"\bnan\b", report, re.IGNORECASE)  # no metric went missing
    assert EXPECTED_SENTENCES[slug] in report
    index = (workdir / "index.md").read_text(encoding="utf-8")
    assert TARGETS[slug] in index
    if slug == "activations":  # its check does not depend on training: the quick run's figure meets it too
        shown = re.search(r"1e-05 of tf.GradientTape\) applies to a full run; this quick run: largest difference "
                          r"([0-9.e+-]+),", report)
        assert float(shown.group(1)) <= 1e-5
