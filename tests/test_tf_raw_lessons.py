"""The three tf_raw lessons run end to end through the CLI with --quick and write their reports."""
from __future__ import annotations

import re

import pytest

from tests.conftest import cli_env, run_cli

EXPECTED = {
    # slug: (figures the report must link, a line its conclusions must contain)
    "tensors": ({"softmax_overflow.png"}, r"(\d+) of \1 checks passed"),
    "raw-networks": ({"curves_mlp.png", "curves_cnn.png", "step_time.png"},
                     r"The raw MLP .* from the same initial weights and with the same parameter count"),
    "optimizers": ({"paths_rosenbrock_lr0.01.png", "paths_beale_lr0.1.png", "curves_network.png"},
                   r"Target \(every hand optimizer within 1e-06 of keras.optimizers over 10 steps\) applies to a "
                   r"full run; this quick run: largest difference"),
}
# a twin check does not depend on training, so the quick run's figure must already meet the target
TWIN_CHECKS = {"tensors": r"this quick run: largest difference ([0-9.e+-]+) over every axis",
               "optimizers": r"this quick run: largest difference ([0-9.e+-]+),"}
# the headline target each lesson's row of the course index names (the first of its verdicts)
TARGETS = {"tensors": "hand softmax within 1e-06 of tf.nn.softmax",
           "raw-networks": "raw CNN test accuracy ≥ 90.00%",
           "optimizers": "every hand optimizer within 1e-06 of keras.optimizers"}


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_lesson_runs_quick_from_the_cli_and_writes_its_report(tmp_path, slug):
    workdir = tmp_path / "runs"
    result = run_cli(["run", slug, "--quick", "--workdir", str(workdir)], cli_env(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    report = workdir / slug / "report.md"
    text = report.read_text(encoding="utf-8")
    figures, conclusion = EXPECTED[slug]
    linked = set(re.findall(r"\]\(([^)]+\.png)\)", text))
    assert figures <= linked
    for name in linked:
        assert (report.parent / name).stat().st_size > 1000
    assert re.search(conclusion, text), text[-2000:]
    assert "NOT met" not in text and "**NO**" not in text
    assert TARGETS[slug] in (workdir / "index.md").read_text(encoding="utf-8")
    if slug in TWIN_CHECKS:
        assert float(re.search(TWIN_CHECKS[slug], text).group(1)) <= 1e-6
