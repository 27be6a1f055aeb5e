"""kaggle-fashion: the submission file is written in the competition format and validated."""
from __future__ import annotations

import csv

import pytest

from nnlab.errors import UserError
from lessons.kaggle_fashion import validate_submission, write_submission
from tests.conftest import cli_env, run_cli


def test_written_submission_passes_validation(tmp_path):
    path = write_submission(tmp_path / "s.csv", [9, 2, 1, 1])
    assert path.read_text().splitlines() == ["Category,Id", "9,0", "2,1", "1,2", "1,3"]
    validate_submission(path, 4)


@pytest.mark.parametrize("text, problem", [
    ("Id,Category\n0,9\n", "header must be Category,Id"),
    ("Category,Id\n9,0\n", "expected 2 rows"),
    ("Category,Id\n9,0\n2,2\n", "Id must be 1"),
    ("Category,Id\n9,0\n10,1\n", "Category must be 0-9"),
    ("Category,Id\n9,0\nx,1\n", "expected two integers"),
])
def test_validation_names_the_problem(tmp_path, text, problem):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(UserError, match=problem):
        validate_submission(path, 2)


def test_quick_run_writes_a_valid_submission_for_every_test_image(tmp_path):
    workdir = tmp_path / "runs"
    result = run_cli(["run", "kaggle-fashion", "--quick", "--workdir", str(workdir)], cli_env(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    path = workdir / "kaggle-fashion" / "submission.csv"
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    fallback = "FALLBACK" in (workdir / "kaggle-fashion" / "report.md").read_text()
    assert rows[0] == ["Category", "Id"]
    assert len(rows) - 1 == (450 if fallback else 10000)  # every test image, even in --quick
    validate_submission(path, len(rows) - 1)
    report = (workdir / "kaggle-fashion" / "report.md").read_text()
    assert "`mlp-baseline`" in report and "`cnn`" in report and "## Submission" in report
    assert "submission comes from" in report
    index = (workdir / "index.md").read_text()
    assert "test accuracy ≥ 90.00%" in index and "the submitted model" in index
