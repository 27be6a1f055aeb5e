"""The command line: bad input gives one line and exit status 2."""
from __future__ import annotations

import pytest

from tests.conftest import cli_env, run_cli


@pytest.mark.parametrize("args, expected", [
    (["run", "fashion-mpl"], "unknown lesson 'fashion-mpl'. Did you mean 'fashion-mlp'?"),
    (["run", "no-such-lesson"], "Run `nnlab list`"),
    (["run", "fashion-mlp", "--epochs", "0"], "--epochs: expected a positive integer. Received: 0"),
    (["run", "fashion-mlp", "--epochs", "ten"], "--epochs: expected a positive integer. Received: 'ten'"),
    (["run", "fashion-mlp", "--seed", "-1"], "--seed: expected an integer from 0"),
    (["run", "fashion-mlp", "--frobnicate"], "unrecognized arguments: --frobnicate"),
    (["report", "fashion-mlp"], "no results store in"),
    (["report", "--all"], "no results store in"),
    (["report"], "give one LESSON or --all"),
    (["report", "neuron", "--all"], "give one LESSON or --all"),
    (["run", "neuron", "--quick", "--only", "nosuch"], "--only nosuch: no such variant or experiment in neuron"),
    (["run", "neuron", "--only", ","], "--only: expected comma-separated variant or experiment names"),
    ([], "the following arguments are required: COMMAND"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, expected):
    if args[:1] == ["report"] and len(args) > 1:
        args = args + ["--workdir", str(tmp_path / "nothing-here")]
    result = run_cli(args, cli_env(tmp_path), timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert not (tmp_path / "nnlab-runs").exists()


def test_a_planned_lesson_is_one_line_and_exit_2(tmp_path):
    from nnlab.catalog import LESSONS

    planned = [lesson.slug for lesson in LESSONS if lesson.module is None]
    if not planned:
        pytest.skip("every lesson of the catalogue is built")
    result = run_cli(["run", planned[0]], cli_env(tmp_path), timeout=60)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert f"lesson '{planned[0]}' is planned but not built yet" in result.stderr


def test_only_trains_the_named_variants_and_the_rest_later(tmp_path):
    workdir = str(tmp_path / "runs")
    first = run_cli(["run", "neuron", "--quick", "--only", "separable", "--workdir", workdir], cli_env(tmp_path))
    assert first.returncode == 0, first.stderr[-2000:]
    trained = [line for line in first.stdout.splitlines() if line.startswith("[") and "{" in line]
    assert trained and all(" separable / " in line for line in trained)
    rest = run_cli(["run", "neuron", "--quick", "--workdir", workdir], cli_env(tmp_path))
    assert rest.stdout.count("already finished") == len(trained)
    # every run rewrites the course index; `report --all` rebuilds the reports of the lessons run and the index
    index = tmp_path / "runs" / "index.md"
    assert "| `neuron` " in index.read_text() and "[report](neuron/report.md)" in index.read_text()
    index.unlink()
    again = run_cli(["report", "--all", "--workdir", workdir], cli_env(tmp_path), timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stdout.split() == [str(tmp_path / "runs" / "neuron" / "report.md"), str(index)]
    assert "quick, " in index.read_text()


def test_list_shows_all_23_lessons(tmp_path):
    result = run_cli(["list"], cli_env(tmp_path), timeout=60)
    assert result.returncode == 0
    rows = result.stdout.strip().splitlines()[1:]
    assert len(rows) == 23
    assert rows[6].split()[:3] == ["7", "fashion-mlp", "ready"]
    assert rows[7].split()[:3] == ["8", "kaggle-fashion", "ready"]


@pytest.mark.parametrize("slug", ["boston-regression", "fashion-cnn", "cifar10", "notmnist", "dropout"])
def test_keras_lessons_are_ready_and_refuse_bad_options_in_one_line(tmp_path, slug):
    listed = run_cli(["list"], cli_env(tmp_path), timeout=60).stdout.splitlines()
    assert any(line.split()[1:3] == [slug, "ready"] for line in listed[1:])
    result = run_cli(["run", slug, "--seed", "x", "--workdir", str(tmp_path)], cli_env(tmp_path), timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--seed: expected an integer from 0 to 2**32-1. Received: 'x'" in lines[0]
    assert not (tmp_path / "results.sqlite").exists()
