"""The Keras lessons on both backends nnlab supports: TensorFlow (the default) and JAX.

Keras fixes its backend when it is imported, so everything here that runs Keras runs it in a subprocess
with KERAS_BACKEND set. The JAX tests need the `jax` extra (`pip install -e ".[jax]"`; the `test` extra
brings it too, so CI runs them) and are skipped without it.
"""
from __future__ import annotations

import ast
import importlib.util
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import cli_env, run_cli

ROOT = Path(__file__).resolve().parent.parent
HAVE_JAX = importlib.util.find_spec("jax") is not None
needs_jax = pytest.mark.skipif(not HAVE_JAX, reason='jax is not installed (pip install -e ".[jax]")')
BACKENDS = ["tensorflow", pytest.param("jax", marks=needs_jax)]


def test_every_builder_is_exercised():
    """Each `build_*` function and keras.Model subclass in keras_models appears in backend_builders.py,
    so a new builder cannot skip the two-backend round trip."""
    script = (ROOT / "tests" / "backend_builders.py").read_text()
    missing = []
    for path in sorted((ROOT / "keras_models").glob("*.py")):
        for node in ast.parse(path.read_text()).body:
            is_builder = isinstance(node, ast.FunctionDef) and node.name.startswith("build_")
            is_model = isinstance(node, ast.ClassDef) and any(ast.unparse(b).endswith("Model") for b in node.bases)
            if (is_builder or is_model) and node.name not in script:
                missing.append(f"{path.name}:{node.name}")
    assert not missing, f"add these to tests/backend_builders.py: {missing}"


@pytest.mark.parametrize("backend", BACKENDS)
def test_builders_train_save_and_load(backend, tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "tests" / "backend_builders.py"), str(tmp_path)],
                            env=cli_env(tmp_path, KERAS_BACKEND=backend), capture_output=True, text=True,
                            timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    done = [line for line in result.stdout.splitlines() if line.startswith("ok ")]
    assert len(done) >= 12 and all(f"({backend}," in line for line in done), result.stdout


# Under JAX each net of a quick grid compiles anew (the four whole grids: 6 minutes of CI on 2 CPUs), and most
# nets of a grid differ from another only in a width or a rate. CI trains, per lesson, the baselines and the
# nets that hold every layer kind and training setting of the lesson: fashion-mlp's dense net, its dropout
# and each optimiser family; fashion-cnn's regularised experiment (batch norm, block dropout, the
# augmentation layers); boston-regression's MLP with dropout and each loss family; lstm-airline's four
# recurrent cells and the gradient experiment. The scikit-learn peers do not run Keras and are skipped.
QUICK_UNDER_JAX = {
    "fashion-mlp": ["--only", "baseline,width-64,sgd,rmsprop,dropout-0.3"],
    "fashion-cnn": ["--only", "baseline,regularised"],
    "boston-regression": ["--only", "baseline,64x64-relu-adam-mse,64x64-relu-adam-huber,64x64-relu-adam-mse-dropout0.2"],
    "lstm-airline": ["--only", "baseline,forecast,lstm,gru-clipped"],
}


@needs_jax
@pytest.mark.parametrize("lesson", list(QUICK_UNDER_JAX))
def test_quick_run_under_jax(lesson, tmp_path):
    workdir = tmp_path / "runs"
    result = run_cli(["run", lesson, "--quick", *QUICK_UNDER_JAX[lesson], "--workdir", str(workdir)],
                     cli_env(tmp_path, KERAS_BACKEND="jax"), timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    report = (workdir / lesson / "report.md").read_text()
    assert "| backend | jax |" in report
    assert "jax " in report.split("| versions |", 1)[1].split("\n", 1)[0]  # jax's version recorded
    assert "Traceback" not in result.stderr


@needs_jax
def test_distributed_epoch_matches_one_device(tmp_path):
    """One epoch data-parallel over 2 (forced CPU) devices gives the loss of one device: the batch is
    split and the gradients averaged, which is the same sum in another order (tolerance 1e-5 relative)."""
    losses = {}
    for distribute in (False, True):
        workdir = tmp_path / f"runs-{distribute}"
        args = ["run", "fashion-mlp", "--quick", "--only", "width-64", "--epochs", "1", "--workdir", str(workdir)]
        result = run_cli(args + (["--distribute"] if distribute else []),
                         cli_env(tmp_path, KERAS_BACKEND="jax",
                                 XLA_FLAGS="--xla_force_host_platform_device_count=2"))
        assert result.returncode == 0, result.stderr[-3000:]
        with sqlite3.connect(workdir / "results.sqlite") as db:
            losses[distribute] = db.execute(
                "SELECT h.value FROM history h JOIN variants v ON v.id = h.variant_id"
                " WHERE v.variant = 'width-64' AND h.name = 'loss' AND h.epoch = 1").fetchone()[0]
        header = (workdir / "fashion-mlp" / "report.md").read_text().split("| versions |", 1)[0]
        assert ("devices 2, data-parallel (cpu:0, cpu:1)" in header) == distribute, header
    assert losses[True] == pytest.approx(losses[False], rel=1e-5)


@pytest.mark.parametrize("backend, args, expected", [
    ("torch-ish", ["run", "fashion-mlp", "--quick"], "KERAS_BACKEND=torch-ish: nnlab runs on tensorflow or jax"),
    ("tensorflow", ["run", "fashion-mlp", "--quick", "--distribute"], "--distribute needs the JAX backend"),
])
def test_backend_errors_are_one_line(backend, args, expected, tmp_path):
    result = run_cli(args + ["--workdir", str(tmp_path / "runs")], cli_env(tmp_path, KERAS_BACKEND=backend))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("nnlab: error:")]
    assert len(lines) == 1 and expected in lines[0], result.stderr[-2000:]
    assert "Traceback" not in result.stderr
