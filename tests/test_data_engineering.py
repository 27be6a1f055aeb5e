"""Lesson 23 · data-engineering: the ETL (idempotent, incremental, same answers as the store), the 3NF copy
(same answers), the storage kinds (same answers), the scraper (round trip over loopback HTTP), the writer
killed mid-transaction (nothing committed lost, nothing uncommitted kept), and a quick run through the CLI.
Every store here is a real results store written through reports.store."""
from __future__ import annotations

import re
import sqlite3

import pytest

from reports.store import RunContext, Store
from tests.conftest import cli_env, linked_pngs_open, run_cli, table_after


def record_run(store: Store, lesson: str, *, seed: int = 0, variants: int = 3, dataset: str = "digits",
               sha: str = "a" * 64) -> int:
    """A run of `lesson` with `variants` finished variants (test accuracy, loss, parameters, epochs)."""
    ctx = RunContext(lesson=lesson, seed=seed, quick=True, backend="tensorflow", dataset=dataset,
                     dataset_sha256=sha, data_info={"sizes": {"train": 100 * (seed + 1)}}, config={"epochs": 2},
                     versions={"python": "3"})
    run_id = store.start_run(ctx, ["run", lesson])
    for i in range(variants):
        store.record_once(run_id, ctx, experiment="width", variant=f"w{i}", ordinal=i, key=f"{lesson}-{seed}-{i}",
                          params={"units": 2 ** i}, config={"epochs": 2}, wall_seconds=1.0 + i,
                          metrics={"test": {"accuracy": 0.5 + 0.1 * i, "loss": 1.0 / (i + 1)},
                                   "train": {"accuracy": 0.6 + 0.1 * i}},
                          info={"parameters": 10 * 4 ** i, "epochs_run": 2})
    store.end_run(run_id, "finished")
    return run_id


@pytest.fixture
def store(tmp_path):
    s = Store.in_workdir(tmp_path / "runs")
    record_run(s, "two-layer")
    record_run(s, "neuron", variants=2, dataset="blobs", sha="b" * 64)
    yield s
    s.close()


def read_only(store: Store) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{store.path}?mode=ro", uri=True, isolation_level=None)


# ---- ETL into the mart ---------------------------------------------------------------------------

def test_etl_is_idempotent_and_incremental_and_the_mart_answers_as_the_store(store, tmp_path):
    from reports.mart import MART_QUERIES, ask, etl, foreign_rows, open_mart, row_counts

    mart = open_mart(tmp_path / "mart.duckdb")
    source = read_only(store)
    first = etl(source, mart, "store")
    assert (first.new_variants, first.new_facts, first.already_loaded) == (5, 15, 0)
    again = etl(source, mart, "store")
    assert (again.new_variants, again.new_facts, again.already_loaded) == (0, 0, 5)
    assert row_counts(mart) == {"fact_metric": 15, "dim_lesson": 2, "dim_variant": 5, "dim_dataset": 2, "dim_time": 1}

    record_run(store, "two-layer", seed=1, variants=2)        # more runs: only they are loaded
    third = etl(source, mart, "store")
    assert (third.new_variants, third.new_facts, third.already_loaded) == (2, 6, 5)
    assert row_counts(mart)["fact_metric"] == 21 and row_counts(mart)["dim_dataset"] == 3
    assert foreign_rows(mart, source) == 0

    for question in MART_QUERIES:
        answer = ask(question, mart, source, repeats=1)
        assert answer["same"], question
        assert answer["rows"], question
    best = ask("best variant per lesson", mart, source, repeats=1)["rows"]
    assert [(r[0], r[3], r[4], round(r[5], 6), r[6]) for r in best] == [
        ("neuron", "w1", "test accuracy", 0.6, 2), ("two-layer", "w2", "test accuracy", 0.7, 5)]
    per_epoch = ask("seconds per epoch by backend and dataset size", mart, source, repeats=1)["rows"]
    assert [r[3] for r in per_epoch] == [100, 100, 200]   # training-set sizes from the runs' data_info
    mart.close()


def test_a_mart_built_from_another_store_is_noticed(store, tmp_path):
    from reports.mart import etl, foreign_rows, open_mart

    mart = open_mart(tmp_path / "mart.duckdb")
    etl(read_only(store), mart, "store")
    other = Store.in_workdir(tmp_path / "other")
    record_run(other, "neuron", variants=5)
    assert foreign_rows(mart, read_only(other)) > 0
    other.close()


# ---- normal forms ---------------------------------------------------------------------------------

def test_the_3nf_copy_moves_what_depends_on_run_id_and_answers_identically(store, tmp_path):
    from reports.schema import normalised_copy, run_dependencies, same_answers, sqlite_tables

    source = read_only(store)
    found = {d["column"]: d["holds"] for d in run_dependencies(source)}
    assert all(found[c] for c in ("lesson", "seed", "backend", "dataset", "dataset_sha256", "quick", "config"))
    moved = [c for c, holds in found.items() if holds]
    copy = normalised_copy(source, tmp_path / "3nf.sqlite", moved)
    assert not set(moved) & {c.name for c in next(t for t in sqlite_tables(copy) if t.name == "variants").columns}
    answers = same_answers(source, copy, moved)
    assert all(a["identical"] and a["rows"] for a in answers), answers
    # the view joins the moved columns back
    assert copy.execute("SELECT COUNT(*), COUNT(DISTINCT seed) FROM variants_wide").fetchone() == (5, 1)


def test_a_column_that_disagrees_with_its_run_is_not_moved(store, tmp_path):
    from reports.schema import normalised_copy, run_dependencies, same_answers

    store.db.execute("UPDATE variants SET backend = 'jax' WHERE id = 1")
    source = read_only(store)
    found = {d["column"]: d for d in run_dependencies(source)}
    assert found["backend"]["runs violated"] == 1 and not found["backend"]["holds"]
    moved = [c for c, d in found.items() if d["holds"]]
    assert "backend" not in moved
    copy = normalised_copy(source, tmp_path / "3nf.sqlite", moved)
    assert all(a["identical"] for a in same_answers(source, copy, moved))


def test_introspection_reads_keys_and_foreign_keys(store):
    from reports.schema import sqlite_tables

    tables = {t.name: t for t in sqlite_tables(read_only(store))}
    assert tables["metrics"].key == ["variant_id", "split", "name"]
    assert [(f.column, f.table) for f in tables["variants"].foreign_keys] == [("run_id", "runs")]
    assert any(i.startswith("variants_by_key") for i in tables["variants"].indexes)


# ---- storage kinds --------------------------------------------------------------------------------

def test_every_storage_kind_gives_the_same_answers(tmp_path):
    from nnlab.storage_kinds import KINDS, grow, time_kind

    base = [("two-layer", "test", "accuracy", 0.25 * i, "2024-01-02") for i in range(4)] + \
           [("neuron", "train", "loss", 1.5, "2024-01-03")]
    records = grow(base, 300, seed=0)
    assert sorted(r[0] for r in records) == list(range(300))
    found = {}
    for kind in KINDS:
        folder = tmp_path / kind
        folder.mkdir()
        found[kind] = time_kind(kind, records, folder, range_width=10, probes=5, budget=0.0, seed=0)["answers"]
    reference = found["python-list"]
    assert reference["range"] == [10, 10, 10]
    assert reference["aggregate"] == {"accuracy": [240, pytest.approx(0.375)], "loss": [60, 1.5]}
    for kind, answers in found.items():
        assert answers["lookup"] == reference["lookup"], kind
        assert answers["range"] == reference["range"], kind
        assert answers["aggregate"] == reference["aggregate"], kind


# ---- transactions ---------------------------------------------------------------------------------

def test_a_writer_killed_mid_transaction_keeps_the_committed_and_drops_the_rest(store, tmp_path):
    import shutil

    from nnlab.crash_writer import kill_mid_transaction

    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    copy = tmp_path / "copy.sqlite"
    shutil.copyfile(store.path, copy)
    untouched = store.db.execute("SELECT COUNT(*) FROM variants").fetchone()[0]
    found = kill_mid_transaction(copy, committed=4, uncommitted=60)
    assert found["exit_status"] == -9 and found["wal_bytes_at_kill"] > 0
    assert found["after"]["variants"] == found["before"]["variants"] + 4
    assert found["after"]["metrics"] == found["before"]["metrics"] + 4 * 3
    assert found["after"]["integrity_check"] == "ok"
    assert found["after"]["finished variants without metrics"] == 0
    assert store.db.execute("SELECT COUNT(*) FROM variants").fetchone()[0] == untouched   # the copy only


# ---- scraping -------------------------------------------------------------------------------------

def test_reports_scraped_over_loopback_equal_the_store_rows(store, tmp_path):
    from lessons.data_engineering import store_header
    from nnlab.catalog import find
    from nnlab.scraping import header_row, render_site, scrape, serve
    from reports.report import ReportView, header

    reports = {}
    for slug in ("two-layer", "neuron"):
        run = store.latest_run(slug)
        records = store.records(slug, seed=run["seed"], quick=True, dataset_sha256=run["dataset_sha256"])
        view = ReportView(slug, run, records, store, tmp_path)
        reports[slug] = tmp_path / slug / "report.md"
        reports[slug].parent.mkdir()
        reports[slug].write_text(header(view, find(slug)) + "\n\n## More\n\ntext\n")
    site = tmp_path / "site"
    render_site(reports, site)
    with serve(site) as url:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", url)
        scraped = scrape(url)
    assert sorted(scraped) == ["neuron", "two-layer"]
    source = read_only(store)
    for slug, fields in scraped.items():
        row = header_row(fields)
        assert row == store_header(source, row["run"]), slug
        assert row["variants"] == (3 if slug == "two-layer" else 2)
    with pytest.raises(OSError):   # the server is gone once the block ends
        from nnlab.scraping import fetch

        fetch(url)


# ---- the lesson, end to end -----------------------------------------------------------------------

def test_lesson_runs_quick_on_an_empty_workdir_and_writes_its_report(tmp_path):
    workdir = tmp_path / "runs"
    result = run_cli(["run", "data-engineering", "--quick", "--workdir", str(workdir)], cli_env(tmp_path), timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "running the quick versions of neuron, two-layer first" in result.stdout
    report_path = workdir / "data-engineering" / "report.md"
    report = report_path.read_text()
    assert "ran `nnlab run neuron --quick`" in report
    assert {"schema.png", "schema_3nf.png", "mart_schema.png", "storage_timings.png"} <= set(linked_pngs_open(report_path))
    identical = table_after(report, "The same questions asked of the store and of the 3NF copy")
    assert identical and all(row[-1] == "yes" for row in identical[1:])
    assert report.count("Same answer from the store: yes") == 4
    assert "Same answers from every store at every N (lookups, range sizes, aggregates to 1e-9): yes." in report
    assert "consistent, nothing committed lost." in report
    assert ("Scraping round trip: Target (the scraped header table equals the store's rows for every report) "
            "applies to a full run; this quick run: 2 of 2 reports.") in report
    assert "the scraped header table equals the store's rows for every report" in (workdir / "index.md").read_text()
    assert (workdir / "data-engineering" / "mart.duckdb").is_file()
    # a second run skips everything (the snapshot leaves the lesson's own rows out, so its hash is unchanged)
    again = run_cli(["run", "data-engineering", "--quick", "--workdir", str(workdir)], cli_env(tmp_path), timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "trained 0, skipped 11" in again.stdout
