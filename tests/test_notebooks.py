"""`nnlab notebook`: the written notebooks run top to bottom in a real Jupyter kernel (nbclient + ipykernel),
every code cell without error, and show the report's tables; `--all` writes an index; bad input is one line.

One kernel per notebook, quick mode, nothing run twice: fashion-mlp's notebook resumes a copy of the store
of the suite's `nnlab run fashion-mlp --quick` (every variant skipped, as a rerun from the shell would);
raw-networks' and lstm-airline's train from scratch inside the kernel.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from nnlab.catalog import LESSONS
from tests.conftest import cli_env, run_cli

TABLE_ROW = "| `"   # a variant's row in a report table: its name in backticks opens the row


def write_notebook(tmp_path: Path, slug: str, workdir: Path) -> Path:
    result = run_cli(["notebook", slug, "--quick", "--out", str(tmp_path / "notebooks"), "--workdir", str(workdir)],
                     cli_env(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    path = tmp_path / "notebooks" / f"{slug}.ipynb"
    assert result.stdout.strip() == str(path)
    return path


def execute(path: Path, monkeypatch) -> nbformat.NotebookNode:
    """Run every cell in a fresh python3 kernel (the one of this interpreter), in the notebook's folder;
    a cell that raises fails here with its traceback (nbclient's CellExecutionError)."""
    monkeypatch.setenv("KERAS_HOME", str(path.parent / "keras-home"))  # the kernel inherits the environment
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return notebook


def outputs(notebook: nbformat.NotebookNode) -> tuple[str, str]:
    """(the markdown the cells displayed, the text they printed), each joined over all code cells."""
    markdown, text = [], []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        assert cell.execution_count is not None, cell.source
        for output in cell.outputs:
            assert output.output_type != "error", output
            if output.output_type == "stream":
                text.append(output.text)
            else:
                markdown.append(output.get("data", {}).get("text/markdown", ""))
    return "\n".join(markdown), "\n".join(text)


def check_lesson_notebook(notebook, experiments: list[str]) -> tuple[str, str]:
    markdown, text = outputs(notebook)
    for experiment in experiments:
        assert f"## Experiment `{experiment}`" in markdown
    assert markdown.count(TABLE_ROW) >= 3, markdown[:3000]
    assert "## Conclusions" in markdown
    assert "Traceback" not in text
    return markdown, text


def test_fashion_mlp_notebook_resumes_the_store_of_a_quick_run(tmp_path, fashion_quick, monkeypatch):
    workdir = tmp_path / "runs"
    shutil.copytree(fashion_quick[0], workdir)
    notebook = execute(write_notebook(tmp_path, "fashion-mlp", workdir), monkeypatch)
    markdown, text = check_lesson_notebook(notebook, ["baseline", "width", "depth", "optimizer", "dropout"])
    assert "already finished, skipped" in text and "trained 0," in text and "trained 1" not in text
    assert "## Best variant" in markdown
    images = sum("image/png" in output.get("data", {}) for cell in notebook.cells if cell.cell_type == "code"
                 for output in cell.outputs)
    assert images >= 5   # the first examples of the data, a learning-curve figure per experiment, the confusion matrix


def test_raw_networks_notebook_trains_in_the_kernel(tmp_path, monkeypatch):
    notebook = execute(write_notebook(tmp_path, "raw-networks", tmp_path / "runs"), monkeypatch)
    markdown, text = check_lesson_notebook(notebook, ["baseline", "mlp", "cnn"])
    assert "`mlp-raw`" in markdown and "`cnn-keras`" in markdown and "## Side by side" in markdown
    assert (tmp_path / "runs" / "results.sqlite").is_file()


def test_lstm_airline_notebook_trains_in_the_kernel(tmp_path, monkeypatch):
    from nnlab.data.datasets import airline_passengers
    from nnlab.errors import DataError

    try:
        airline_passengers.SPEC.load()
    except DataError as error:  # no quick fallback for a time series; CI's offline copy has it
        pytest.skip(f"airline passengers not available here: {error}")
    notebook = execute(write_notebook(tmp_path, "lstm-airline", tmp_path / "runs"), monkeypatch)
    markdown, _ = check_lesson_notebook(notebook, ["baseline", "forecast", "scaling", "twin", "gradients"])
    assert "`simple_rnn-w12`" in markdown and "## (d) The NumPy LSTM" in markdown


def test_all_writes_one_notebook_per_ready_lesson_and_an_index(tmp_path):
    out = tmp_path / "course"
    spec = "git+https://example.org/course/nnlab.git"
    result = run_cli(["notebook", "--all", "--out", str(out), "--pip", spec], cli_env(tmp_path), timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    ready = [lesson for lesson in LESSONS if lesson.module]
    assert sorted(p.name for p in out.iterdir()) == sorted([f"{l.slug}.ipynb" for l in ready] + ["index.ipynb"])
    index = nbformat.read(out / "index.ipynb", as_version=4)
    nbformat.validate(index)
    rows = [line for line in index.cells[0].source.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert [int(row.split("|")[1]) for row in rows] == [lesson.number for lesson in LESSONS]
    for lesson, row in zip(LESSONS, rows):
        assert lesson.title in row and lesson.status in row
        assert (f"[{lesson.slug}.ipynb]({lesson.slug}.ipynb)" in row) == (lesson.module is not None)
    lesson = nbformat.read(out / "fashion-mlp.ipynb", as_version=4)
    nbformat.validate(lesson)
    assert lesson.cells[0].source.startswith("# Lesson 7 · fashion-mlp")
    install = next(cell for cell in lesson.cells if cell.cell_type == "code")
    assert "import nnlab" in install.source and f"%pip install {spec}" in install.source
    assert "quick=False" in "".join(cell.source for cell in lesson.cells)


@pytest.mark.parametrize("args, message", [
    (["notebook", "fashion-mpl"], "unknown lesson 'fashion-mpl'. Did you mean 'fashion-mlp'?"),
    (["notebook", "fashion-mlp", "--pip", " "], "--pip: expected what pip installs"),
    (["notebook"], "give one LESSON or --all"),
    (["notebook", "fashion-mlp", "--all"], "give one LESSON or --all"),
])
def test_bad_lesson_is_one_line(tmp_path, args, message):
    result = run_cli(args + ["--out", str(tmp_path)], cli_env(tmp_path), timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nnlab") and "error: " in lines[0] and message in lines[0], \
        result.stderr
    assert list(tmp_path.glob("*.ipynb")) == []


def test_an_unwritable_out_folder_is_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    result = run_cli(["notebook", "fashion-mlp", "--out", str(blocker / "notebooks")], cli_env(tmp_path), timeout=60)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "cannot create" in result.stderr and "Fix: pass --out DIR" in result.stderr
