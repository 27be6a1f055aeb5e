"""Shared test helpers: run the real `nnlab` command in a subprocess with a controlled environment.

Tests never name a data folder: CI points NNLAB_DATA_DIR at an offline copy; without it, lessons in
--quick mode fall back to scikit-learn's bundled digits, so every test still runs the same code paths.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def nnlab_command() -> list[str]:
    script = Path(sys.executable).with_name("nnlab")
    if script.exists():
        return [str(script)]
    found = shutil.which("nnlab")
    return [found] if found else [sys.executable, "-m", "lessons.cli"]


def cli_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """The current environment with a private Keras cache; `None` removes a variable."""
    env = dict(os.environ)
    env["KERAS_HOME"] = str(tmp_path / "keras-home")
    env["PYTHONUNBUFFERED"] = "1"
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_cli(args: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(nnlab_command() + args, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def fashion_quick(tmp_path_factory):
    """One `nnlab run fashion-mlp --quick` shared by the end-to-end and report tests."""
    tmp = tmp_path_factory.mktemp("fashion-quick")
    workdir = tmp / "runs"
    result = run_cli(["run", "fashion-mlp", "--quick", "--workdir", str(workdir)], cli_env(tmp))
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir, result
