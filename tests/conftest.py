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
    return [found] if found else [sys.executable, "-m", "nnlab"]


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


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def table_after(report: str, heading: str) -> list[list[str]]:
    """The rows (cells) of the first markdown table after `heading`."""
    section = report.split(heading, 1)[1]
    table = []
    for line in section.splitlines():
        if line.startswith("|"):
            table.append([cell.strip() for cell in line.strip("|").split("|")])
        elif table:
            break
    return [row for row in table if not set("".join(row)) <= set(":-")]


def linked_pngs_open(report_path: Path) -> list[str]:
    """Every PNG the report links is a real PNG that matplotlib reads, at least 200x200; their names."""
    import re

    import matplotlib.image

    names = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", report_path.read_text())
    for name in names:
        path = report_path.parent / name
        assert path.read_bytes()[:8] == PNG_SIGNATURE, name
        height, width = matplotlib.image.imread(path).shape[:2]
        assert height > 200 and width > 200, name
    return names


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
