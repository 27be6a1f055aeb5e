"""The course index (`reports/index.py`): rows from the store, verdicts from the lesson, runs compared.

The store is real (SQLite in a temporary folder) and filled through its own API; the "lesson" is a small
module-like object with the one name the index reads, `verdicts(view)`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from reports.conclusions import TEST_ACCURACY, Verdict, target_verdict
from reports.index import write_index
from reports.store import RunContext, Store


@dataclass(frozen=True)
class Entry:
    number: int
    slug: str
    module: str | None

    @property
    def status(self) -> str:
        return "ready" if self.module else "planned"


def record_run(store: Store, slug: str, *, seed: int, quick: bool, backend: str, accuracy: float,
               version: str = "0.1.0") -> None:
    ctx = RunContext(lesson=slug, seed=seed, quick=quick, backend=backend, dataset="toy", dataset_sha256="ab" * 32,
                     versions={"nnlab": version})
    run_id = store.start_run(ctx, ["nnlab", "run", slug])
    store.record_once(run_id, ctx, experiment="nets", variant="net", ordinal=0,
                      key=json.dumps([slug, seed, quick, backend]), params={}, config={}, wall_seconds=90.0,
                      metrics={"val": {"accuracy": accuracy}, "test": {"accuracy": accuracy}})
    store.end_run(run_id, "finished")


def judge(view) -> list[Verdict]:
    (net,) = view.records
    return [target_verdict(net.metric("test", "accuracy"), 0.9, TEST_ACCURACY, full_run=not view.quick,
                           detail=f"`{net.variant}`")]


@pytest.fixture
def store(tmp_path):
    store = Store.in_workdir(tmp_path)
    yield store
    store.close()


def build(store, workdir, lessons, modules):
    return write_index(store, workdir, lessons, lambda slug: modules[slug]).read_text(encoding="utf-8")


def test_rows_name_last_run_headline_and_verdict(store, tmp_path):
    lessons = [Entry(1, "toy", "lessons.toy"), Entry(2, "silent", "lessons.silent"), Entry(3, "later", None)]
    record_run(store, "toy", seed=0, quick=False, backend="tensorflow", accuracy=0.93)
    record_run(store, "silent", seed=0, quick=True, backend="tensorflow", accuracy=0.5)
    (tmp_path / "toy").mkdir()
    (tmp_path / "toy" / "report.md").write_text("# toy\n")
    text = build(store, tmp_path, lessons, {"toy": SimpleNamespace(verdicts=judge), "silent": SimpleNamespace()})
    rows = {line.split("|")[2].strip(): line for line in text.splitlines() if line.startswith("| ")}
    assert "93.00%, `net`" in rows["`toy`"] and "test accuracy ≥ 90.00%" in rows["`toy`"]
    assert "| met " in rows["`toy`"] and "full, " in rows["`toy`"] and "[report](toy/report.md)" in rows["`toy`"]
    assert "not judged: the lesson states no verdicts" in rows["`silent`"] and "quick, " in rows["`silent`"]
    assert "planned" in rows["`later`"] and "not run" in rows["`later`"]
    assert "1 of the 1 judged on a full run meet their target" in text
    assert not (tmp_path / "index.md.partial").exists()


def test_runs_differing_in_one_thing_are_compared_with_the_seed_spread(store, tmp_path):
    lessons = [Entry(1, "toy", "lessons.toy")]
    for seed, accuracy in ((0, 0.91), (1, 0.89), (2, 0.93)):
        record_run(store, "toy", seed=seed, quick=False, backend="tensorflow", accuracy=accuracy)
    record_run(store, "toy", seed=0, quick=False, backend="jax", accuracy=0.92)
    record_run(store, "toy", seed=0, quick=True, backend="tensorflow", accuracy=0.7)
    text = build(store, tmp_path, lessons, {"toy": SimpleNamespace(verdicts=judge)})
    row = next(line for line in text.splitlines() if line.startswith("| 1 "))
    assert row.split("|")[4].strip().startswith("full, ") and "seed 0, jax" in row and "92.00%" in row  # the latest full run, not the quick one after it
    section = text[text.index("## Runs of one lesson"):]
    assert section.count("| tensorflow ") == 4 and section.count("| jax ") == 1
    assert "mode quick against full (all else equal): 70.00%, `net` against 91.00%, `net`" in section
    assert "backend jax against tensorflow (all else equal): 92.00%, `net` against 91.00%, `net`" in section
    # seeds 0, 1, 2 under TensorFlow: mean 91.00%, std 2.00 points; the target met on 2 of 3
    assert "seeds 2, 1, 0" in section and "91.00% ± 2.00%" in section and "met on 2 of 3" in section


def test_a_verdict_that_raises_is_shown_not_hidden(store, tmp_path):
    def broken(view):
        raise KeyError("test")

    record_run(store, "toy", seed=0, quick=False, backend="tensorflow", accuracy=0.9)
    text = build(store, tmp_path, [Entry(1, "toy", "lessons.toy")], {"toy": SimpleNamespace(verdicts=broken)})
    assert "not judged: KeyError: 'test'" in text


def test_a_lesson_that_cannot_be_imported_keeps_its_row(store, tmp_path):
    def load(slug):
        raise ModuleNotFoundError("No module named 'somelib'")

    record_run(store, "toy", seed=0, quick=False, backend="tensorflow", accuracy=0.9)
    text = write_index(store, tmp_path, [Entry(1, "toy", "lessons.toy")], load).read_text(encoding="utf-8")
    assert "not judged: ModuleNotFoundError: No module named 'somelib'" in text
