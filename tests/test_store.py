"""The results store: atomic variant commits, latest-record selection, interrupted rows kept."""
from __future__ import annotations

import math

import pytest

from reports.store import RunContext, Store


@pytest.fixture
def store(tmp_path):
    s = Store.in_workdir(tmp_path)
    yield s
    s.close()


def context(**kw) -> RunContext:
    base = dict(lesson="demo", seed=0, quick=True, backend="tensorflow", dataset="d", dataset_sha256="abc")
    return RunContext(**{**base, **kw})


def start(store, run_id, ctx, name="v1", key="k1", ordinal=1):
    return store.start_variant(run_id, ctx, experiment="e", variant=name, ordinal=ordinal, key=key,
                               params={"units": 3}, config={"epochs": 1})


def test_wal_mode_and_a_finished_variant_round_trips(store):
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    ctx = context()
    run_id = store.start_run(ctx, ["run", "demo"])
    vid = start(store, run_id, ctx)
    assert store.finished_variant("k1") is None
    store.finish_variant(vid, wall_seconds=1.5, metrics={"test": {"accuracy": 0.5, "loss": float("nan")}},
                         history={"accuracy": [0.1, 0.4]}, info={"parameters": 7},
                         artifacts={"test_pred": [1, 2]})
    assert store.finished_variant("k1") == vid
    [record] = store.records("demo")
    assert record.metric("test", "accuracy") == 0.5 and math.isnan(record.metric("test", "loss"))
    assert record.history == {"accuracy": [0.1, 0.4]} and record.info == {"parameters": 7}
    assert record.params == {"units": 3} and store.artifact(vid, "test_pred") == [1, 2]


def test_a_failed_commit_leaves_no_half_written_variant(store):
    ctx = context()
    run_id = store.start_run(ctx, [])
    vid = start(store, run_id, ctx)
    with pytest.raises(TypeError):
        store.finish_variant(vid, wall_seconds=1.0, metrics={"test": {"accuracy": 0.9}},
                             artifacts={"bad": object()})  # not JSON: the transaction rolls back
    assert store.finished_variant("k1") is None
    assert store.db.execute("SELECT COUNT(*) FROM metrics").fetchone()[0] == 0
    store.mark_variant(vid, "interrupted")
    assert store.db.execute("SELECT status FROM variants WHERE id = ?", (vid,)).fetchone()[0] == "interrupted"


def test_marking_never_touches_a_finished_variant(store):
    ctx = context()
    run_id = store.start_run(ctx, [])
    vid = start(store, run_id, ctx)
    store.finish_variant(vid, wall_seconds=1.0, metrics={"test": {"accuracy": 0.9}})
    store.mark_variant(vid, "interrupted")
    assert store.finished_variant("k1") == vid


def test_records_take_the_latest_finished_of_each_variant_in_one_context(store):
    ctx, other = context(), context(seed=1)
    run_id = store.start_run(ctx, [])
    for accuracy in (0.1, 0.2):
        vid = start(store, run_id, ctx)
        store.finish_variant(vid, wall_seconds=1.0, metrics={"test": {"accuracy": accuracy}})
    vid = start(store, run_id, other, key="k-other")
    store.finish_variant(vid, wall_seconds=1.0, metrics={"test": {"accuracy": 0.9}})
    start(store, run_id, ctx, name="v2", key="k2", ordinal=2)  # still running: not a result
    records = store.records("demo", seed=0, quick=True, dataset_sha256="abc")
    assert [(r.variant, r.metric("test", "accuracy")) for r in records] == [("v1", 0.2)]
    assert store.count("demo") == 4 and store.count("demo", "finished") == 3
