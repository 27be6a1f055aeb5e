"""Lesson 23 · data-engineering: the package's own results store as the worked example of the data
lectures (GeekBrains NN2-11..20: data sources, storage kinds, ETL, scraping, normal forms, key-value
stores, schemas, data marts, modelling tools).

What it teaches, every query on real records (the other lessons' runs in this workdir's store):
  (a) schema and normal forms: the store's schema read back by introspection and drawn; its normal forms
      checked on the data. `variants` repeats columns of `runs` (seed, backend, dataset, ...), a 3NF
      violation chosen for read speed; a copy with those columns kept in `runs` only answers the same
      questions identically (reports/schema.py).
  (b) ETL into a data mart: extract from SQLite, transform (JSON columns into typed ones, surrogate keys),
      load a star schema in DuckDB; incremental (only variants not yet loaded) and idempotent (a second
      load loads nothing). The mart's questions (best variant per lesson, accuracy against parameter
      count, seconds per epoch by backend and dataset size, runs per day) are asked of the store too, the
      baseline, and must get the same answers (reports/mart.py).
  (c) storage kinds and data structures: the same records in a Python list (baseline), dict, sorted
      array, a key-value store (dbm), SQLite without and with an index, and DuckDB; point lookups, range
      scans and an aggregate timed as N grows, on log axes beside O(1), O(log n) and O(n)
      (nnlab/storage_kinds.py).
  (d) transactions: a writer process SIGKILLed inside a transaction on a copy of the store; committed
      rows survive, the open transaction vanishes, `PRAGMA integrity_check` says ok (nnlab/crash_writer.py).
  (e) scraping: the lessons' markdown reports rendered to HTML, served on 127.0.0.1, fetched and parsed
      with BeautifulSoup; the scraped header table must equal the store's rows (nnlab/scraping.py).

Data: the results store of `--workdir`, read-only, as a snapshot without this lesson's own rows (so its
results never feed on themselves); its sha256 is a hash of the records read. If the store holds no other
lesson's records, the quick versions of STARTERS run first, and the report says so.

Expected full result (bench/data_engineering.py, seed 0, 201 s on 2 shared CPUs, on a store of quick runs of 4
lessons: 79 variants, 236 metric values): the mart and the 3NF copy give the store's answers to every question
(4/4 each; 11 columns of `variants` are functions of run_id); the ETL's second load loads 0 rows; the scraped
header table equals the store's rows for every report (4/4, the target); the SIGKILLed writer's 20 committed
variants are kept and its 200 uncommitted ones are not, integrity ok. At 10^6 records: lookup dict 1.2 µs,
SQLite with the key as INTEGER PRIMARY KEY 9.3 µs, dbm 11.5 µs, SQLite without an index 50 ms (5,370× the
indexed); aggregate DuckDB 10.8 ms, 38× faster than SQLite from N = 10^4 on; dbm scans take 15.7 s.

Run: `nnlab run data-engineering [--quick] [--workdir DIR]`.
"""
from __future__ import annotations

import hashlib
import sqlite3
import tempfile
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from nnlab.data.bundles import Bundle
from nnlab.runner import GRID_ONLY, Outcome, RunOptions, Variant, apply_run_options
from nnlab.storage_kinds import DESCRIPTIONS, EXPECTED, KINDS, OPERATIONS

SLUG = "data-engineering"
QUICK_NOTE = "storage timings up to 10^4 records, few probes: growth figures are NOT the lesson's results"
STARTERS = ("neuron", "two-layer")   # cheap lessons run --quick first when the store has nothing else
TABLES = ("runs", "variants", "metrics", "history", "artifacts")


@dataclass(frozen=True)
class Config:
    sizes: tuple[int, ...] = (1_000, 10_000, 100_000, 1_000_000)   # N records per storage timing
    kinds: tuple[str, ...] = field(default=tuple(KINDS), metadata=GRID_ONLY)
    range_width: int = 100          # keys per range scan
    probes: int = 200               # random keys (and range starts) per size
    budget_seconds: float = 0.5     # timing of one operation stops after this much (at least 3 calls)
    query_repeats: int = 5          # each mart question is timed as the best of this many runs
    committed: int = 20             # the crash writer's committed transaction: variants copied
    uncommitted: int = 200          # ... and its open transaction when it is killed


def make_config(options: RunOptions) -> Config:
    return apply_run_options(Config(), options, sizes=(1_000, 3_000, 10_000), probes=30, budget_seconds=0.05,
                             query_repeats=2, uncommitted=100)


# ---- data: a snapshot of the store, less this lesson's rows ----------------------------------------

@dataclass
class StoreSnapshot(Bundle):
    """A private copy of the workdir's store without this lesson's rows: every variant of the lesson reads
    the same records even while the run adds its own to the store. `folder` lives as long as the bundle."""

    path: Path            # the snapshot (SQLite)
    source: Path          # the store it was copied from
    workdir: Path
    folder: tempfile.TemporaryDirectory
    rows: dict[str, int]  # per table

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The snapshot, read-only, closed when the block ends."""
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None)
        try:
            yield db
        finally:
            db.close()

    def details(self) -> dict:
        with self.reading() as db:
            lessons = [r[0] for r in db.execute("SELECT DISTINCT lesson FROM runs ORDER BY lesson")]
        return {"source": str(self.source), "rows": self.rows, "lessons": lessons}


def other_lessons_finished(store: Path) -> int:
    """Finished variants of lessons other than this one in the store at `store` (0 if there is none)."""
    from reports.store import Store

    if not store.is_file():
        return 0
    reader = Store(store, readonly=True)
    try:
        return reader.db.execute("SELECT COUNT(*) FROM variants WHERE status = 'finished' AND lesson != ?",
                                 (SLUG,)).fetchone()[0]
    finally:
        reader.close()


def run_starters(options: RunOptions) -> list[str]:
    """Run the quick versions of STARTERS into the workdir; the note the report shows."""
    from nnlab.catalog import load_module
    from nnlab.runner import run_lesson

    print(f"{SLUG}: the store in {options.workdir} has no other lesson's records; running the quick versions "
          f"of {', '.join(STARTERS)} first", flush=True)
    for slug in STARTERS:
        run_lesson(load_module(slug), RunOptions(workdir=options.workdir, seed=options.seed, quick=True,
                                                 argv=["run", slug, "--quick"]))
    return [f"The store had no records of other lessons, so this run first ran `nnlab run {s} --quick` "
            f"into it." for s in STARTERS]


def records_digest(db: sqlite3.Connection) -> tuple[str, dict[str, int]]:
    """The sha256 of every row of the store's tables, in key order, and the rows per table."""
    digest, rows = hashlib.sha256(), {}
    for table in TABLES:
        order = "id" if table in ("runs", "variants") else "1, 2, 3"
        rows[table] = 0
        for row in db.execute(f"SELECT * FROM {table} ORDER BY {order}"):
            digest.update(repr(tuple(row)).encode())
            rows[table] += 1
    return digest.hexdigest(), rows


def load_data(config: Config, options: RunOptions) -> StoreSnapshot:
    from reports.store import Store

    source = Path(options.workdir) / Store.FILENAME
    notes = [] if other_lessons_finished(source) else run_starters(options)
    folder = tempfile.TemporaryDirectory(prefix="nnlab-data-engineering-")
    path = Path(folder.name) / "snapshot.sqlite"
    reader = Store(source, readonly=True)
    snapshot = sqlite3.connect(path, isolation_level=None)
    try:
        reader.db.backup(snapshot)   # SQLite's online backup: a consistent copy, the source only read
    finally:
        reader.close()
    snapshot.execute("BEGIN")
    for table in ("metrics", "history", "artifacts"):
        snapshot.execute(f"DELETE FROM {table} WHERE variant_id IN (SELECT id FROM variants WHERE lesson = ?)", (SLUG,))
    snapshot.execute("DELETE FROM variants WHERE lesson = ?", (SLUG,))
    snapshot.execute("DELETE FROM runs WHERE lesson = ?", (SLUG,))
    snapshot.execute("COMMIT")
    snapshot.execute("VACUUM")
    sha, rows = records_digest(snapshot)
    lessons = snapshot.execute("SELECT COUNT(DISTINCT lesson) FROM variants WHERE status = 'finished'").fetchone()[0]
    snapshot.close()
    return StoreSnapshot(path, source, Path(options.workdir), folder, rows, sha256=sha, notes=notes,
                         dataset=f"nnlab results store ({lessons} lessons, {rows['variants']:,} variants, "
                                 f"{rows['metrics']:,} metric values)")


# ---- the experiment grid -------------------------------------------------------------------------

def grid(config: Config, data: StoreSnapshot) -> list[Variant]:
    variants = [Variant("schema", "normal-forms", {}), Variant("mart", "star-schema-etl", {})]
    variants += [Variant("storage", kind, {"kind": kind, "sizes": list(config.sizes)}) for kind in config.kinds]
    variants += [Variant("transactions", "sigkill-writer", {"committed": config.committed,
                                                            "uncommitted": config.uncommitted}),
                 Variant("scraping", "reports-round-trip", {})]
    return variants


def train(variant: Variant, data: StoreSnapshot, config: Config, seed: int) -> Outcome:
    steps = {"schema": normal_forms, "mart": star_schema_etl, "transactions": sigkill_writer,
             "scraping": scrape_reports}
    if variant.experiment == "storage":
        return storage_timings(variant.params["kind"], data, config, seed)
    return steps[variant.experiment](data, config)


# ---- (a) schema and normal forms -------------------------------------------------------------------

def normal_forms(data: StoreSnapshot, config: Config) -> Outcome:
    from reports.schema import json_columns, normalised_copy, run_dependencies, same_answers, sqlite_tables

    with data.reading() as db:
        tables = sqlite_tables(db)
        dependencies = run_dependencies(db)
        moved = [d["column"] for d in dependencies if d["holds"]]
        copy = normalised_copy(db, Path(data.folder.name) / "normalised.sqlite", moved)
        answers = same_answers(db, copy, moved)
        normalised = sqlite_tables(copy)
        composite = {t.name: json_columns(db, t) for t in tables}
        runs, variants = (db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("runs", "variants"))
    copy.close()
    identical = sum(a["identical"] for a in answers)
    return Outcome(metrics={"check": {"questions": len(answers), "identical_answers": identical,
                                      "moved_columns": len(moved), "values_saved": len(moved) * (variants - runs)}},
                   info={"runs": runs, "variants": variants},
                   artifacts={"tables": [t.as_dict() for t in tables], "normalised": [t.as_dict() for t in normalised],
                              "dependencies": dependencies, "moved": moved, "json_columns": composite,
                              "answers": answers})


# ---- (b) ETL into a star-schema data mart (DuckDB) -----------------------------------------------

def mart_path(workdir: Path) -> Path:
    """The mart lives beside this lesson's report and persists, so each run's ETL is incremental."""
    return Path(workdir) / SLUG / "mart.duckdb"


def star_schema_etl(data: StoreSnapshot, config: Config) -> Outcome:
    from reports.mart import MART_QUERIES, ask, etl, etl_log, foreign_rows, open_mart, row_counts
    from reports.schema import duckdb_tables

    path = mart_path(data.workdir)
    path.parent.mkdir(parents=True, exist_ok=True)
    notes = []
    with data.reading() as source:
        mart = open_mart(path)
        if foreign_rows(mart, source):
            # Variant ids name rows of one store; a mart built from another (a deleted, fresh store) is rebuilt.
            mart.close()
            path.unlink()
            mart = open_mart(path)
            notes.append("the mart held variants of another store (the store was replaced): rebuilt from scratch")
        first = etl(source, mart, str(data.source))
        again = etl(source, mart, str(data.source))   # nothing new: an idempotent ETL loads nothing
        answers = [ask(question, mart, source, config.query_repeats) for question in MART_QUERIES]
        log, counts, schema = etl_log(mart), row_counts(mart), duckdb_tables(mart)
        mart.close()
    same = sum(a["same"] for a in answers)
    return Outcome(metrics={"check": {"new_variants": first.new_variants, "new_facts": first.new_facts,
                                      "second_load_facts": again.new_facts, "questions": len(answers),
                                      "same_answers": same}},
                   info={"mart": str(path), "notes": notes},
                   artifacts={"loads": log, "rows": counts, "schema": [t.as_dict() for t in schema],
                              "answers": answers})


# ---- (c) storage kinds and data structures, timed as N grows ---------------------------------------

def base_records(data: StoreSnapshot) -> list[tuple]:
    """The store's metric values as (lesson, split, metric, value, day): the records every store holds."""
    with data.reading() as db:
        return db.execute("SELECT v.lesson, m.split, m.name, m.value, substr(v.started_at, 1, 10) FROM metrics m "
                          "JOIN variants v ON v.id = m.variant_id WHERE v.status = 'finished' AND m.value IS NOT NULL "
                          "ORDER BY m.variant_id, m.split, m.name").fetchall()


def storage_timings(kind: str, data: StoreSnapshot, config: Config, seed: int) -> Outcome:
    from nnlab.storage_kinds import grow, growth_exponent, time_kind

    base = base_records(data)
    found: dict[str, list] = {"n": [], "build": [], **{op: [] for op in OPERATIONS}}
    answers, module = [], None
    for n in config.sizes:
        records = grow(base, n, seed)
        with tempfile.TemporaryDirectory(dir=data.folder.name) as folder:
            timed = time_kind(kind, records, Path(folder), range_width=config.range_width, probes=config.probes,
                              budget=config.budget_seconds, seed=seed)
        for name in found:
            found[name].append(timed[name])
        answers.append(timed["answers"])
        module = timed.get("module", module)
        print(f"    {kind}: N = {n:,}: " + ", ".join(f"{op} {timed[op] * 1e6:,.1f} µs" for op in OPERATIONS), flush=True)
    metrics = {"largest": {f"{op}_seconds": found[op][-1] for op in ("build", *OPERATIONS)},
               "growth": {op: growth_exponent(found["n"], found[op]) for op in OPERATIONS}}
    return Outcome(metrics=metrics, info={"base_records": len(base), "dbm_module": module},
                   artifacts={"timings": found, "answers": answers})


# ---- (d) transactions: a writer SIGKILLed mid-transaction -------------------------------------------

def sigkill_writer(data: StoreSnapshot, config: Config) -> Outcome:
    from nnlab.crash_writer import kill_mid_transaction

    copy = Path(data.folder.name) / "kill-copy.sqlite"   # a copy: the user's store is never written
    with data.reading() as source, closing(sqlite3.connect(copy)) as target:
        source.backup(target)
    found = kill_mid_transaction(copy, config.committed, config.uncommitted)
    before, after = found["before"], found["after"]
    kept = after["variants"] - before["variants"]
    return Outcome(metrics={"check": {"committed_kept": kept, "uncommitted_kept": kept - config.committed,
                                      "integrity_ok": float(after["integrity_check"] == "ok"),
                                      "wal_bytes_at_kill": found["wal_bytes_at_kill"]}},
                   artifacts={"kill": found})


# ---- (e) scraping the reports on loopback ----------------------------------------------------------

def store_header(db: sqlite3.Connection, run_id: int | None) -> dict:
    """What a report's header says of run `run_id`, read from the store instead."""
    run = db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone() if run_id is not None else None
    if run is None:
        return {}
    names = [c[0] for c in db.execute("SELECT * FROM runs LIMIT 0").description]
    run = dict(zip(names, run))
    variants = db.execute(
        "SELECT COUNT(*) FROM (SELECT DISTINCT experiment, variant FROM variants WHERE lesson = ? AND status = "
        "'finished' AND seed = ? AND quick = ? AND dataset_sha256 = ? AND experiment NOT LIKE 'search:%')",
        (run["lesson"], run["seed"], run["quick"], run["dataset_sha256"])).fetchone()[0]
    return {"run": run["id"], "started": run["started_at"], "status": run["status"], "seed": run["seed"],
            "mode": "quick" if run["quick"] else "full", "dataset": run["dataset"],
            "sha256": run["dataset_sha256"][:16], "variants": variants}


def scrape_reports(data: StoreSnapshot, config: Config) -> Outcome:
    from nnlab.scraping import header_row, render_site, scrape, serve

    with data.reading() as db:
        lessons = [r[0] for r in db.execute("SELECT DISTINCT lesson FROM runs ORDER BY lesson")]
        reports = {slug: data.workdir / slug / "report.md" for slug in lessons
                   if (data.workdir / slug / "report.md").is_file()}
        site = Path(data.folder.name) / "site"
        render_site(reports, site)
        with serve(site) as url:
            scraped = scrape(url)
        rows = []
        for slug in sorted(reports):
            page = header_row(scraped.get(slug, {}))
            stored = store_header(db, page["run"])
            rows.append({"lesson": slug, "scraped": page, "store": stored, "equal": page == stored})
    equal = sum(r["equal"] for r in rows)
    return Outcome(metrics={"check": {"reports": len(rows), "equal": equal}},
                   info={"url": url, "lessons_without_report": sorted(set(lessons) - set(reports))},
                   artifacts={"rows": rows})


# ---- report --------------------------------------------------------------------------------------

def by_name(records) -> dict:
    return {r.variant: r for r in records}


def yes(value: bool) -> str:
    return "yes" if value else "**NO**"


def micro(seconds: float) -> str:
    """Seconds as a readable duration."""
    if seconds != seconds:
        return "–"
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:,.3g} {unit}"
    return f"{seconds * 1e9:,.3g} ns"


def cell(value) -> str:
    """A query result's cell: floats to 4 significant digits, whole numbers with separators, text as it is."""
    if isinstance(value, float):
        return "–" if value != value else f"{value:.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "–" if value is None else str(value)


def data_section(view) -> str:
    from reports.tables import markdown_table

    info = view.data_info
    lines = ["## Data: the results store",
             f"Source: `{info.get('source', '?')}`, opened read-only and copied with SQLite's backup API; this "
             f"lesson's own rows are left out of the copy, so its results never feed on themselves. Lessons in it: "
             + (", ".join(f"`{s}`" for s in info.get("lessons", [])) or "none") + "."]
    lines += [f"> {note}" for note in info.get("notes", [])]
    lines.append(markdown_table([{"table": t, "rows": n} for t, n in info.get("rows", {}).items()],
                                formats={"rows": lambda v: f"{v:,}"}))
    return "\n\n".join(lines)


def schema_section(view) -> str:
    from reports import plots
    from reports.tables import markdown_table

    record = by_name(view.experiment("schema")).get("normal-forms")
    parts = ["## (a) Schema and normal forms"]
    if record is None:
        return "\n\n".join(parts + ["*Not recorded.*"])
    tables = view.artifact(record, "tables")
    moved = view.artifact(record, "moved")
    path = plots.schema_diagram(tables, view.figure("schema.png"), highlight=[f"variants.{c}" for c in moved],
                                title="The results store as SQLite describes it (PRAGMA table_info / foreign_key_list); "
                                      "red: columns of variants that repeat runs")
    parts += ["Read back by introspection, not from the source code: PK primary key, FK foreign key (arrows).",
              view.image(path, "schema of the results store")]
    composite = view.artifact(record, "json_columns")
    rows = [{"table": t["name"], "key": ", ".join(c["name"] for c in t["columns"] if c["primary_key"]),
             "indexes": ", ".join(t["indexes"]) or "–",
             "1NF: composite (JSON) columns": ", ".join(composite.get(t["name"], [])) or "none",
             "3NF: columns that depend on the key through run_id": ", ".join(moved) if t["name"] == "variants" else "none"}
            for t in tables]
    parts += ["### Normal forms", "1NF asks for atomic values: a JSON column holds a record inside a cell, and a "
              "query that needs one field has to parse it (the mart's ETL turns them into typed columns). 2NF holds "
              "for every table: the composite keys of metrics, history and artifacts each determine one value. 3NF "
              "forbids a non-key column that depends on the key through another non-key column: `variants.run_id` "
              "determines the run, and the run determines the columns below.", markdown_table(rows)]
    deps = view.artifact(record, "dependencies")
    parts += ["Each column `variants` shares with `runs`, tested on the data: *runs violated* counts runs whose "
              "variants disagree on it, *rows differing* the variants whose value is not their run's.",
              markdown_table([{"column": d["column"], "runs violated": d["runs violated"],
                               "rows differing": d["rows differing"], "function of run_id": yes(d["holds"])}
                              for d in deps])]
    path = plots.schema_diagram([t for t in view.artifact(record, "normalised") if t["name"] in ("runs", "variants")],
                                view.figure("schema_3nf.png"),
                                title=f"The 3NF copy: {len(moved)} columns kept in runs only (read back with a join, "
                                      "or through the view variants_wide)")
    parts.append(view.image(path, "normalised variants and runs"))
    answers = view.artifact(record, "answers")
    parts += [f"The same questions asked of the store and of the 3NF copy ({record.info['variants']:,} variants "
              f"of {record.info['runs']:,} runs):",
              markdown_table([{"question": a["question"], "rows": a["rows"], "identical answers": yes(a["identical"])}
                              for a in answers])]
    return "\n\n".join(parts)


LOAD_COLUMNS = ("load_id", "loaded_at", "source", "finished_in_source", "already_loaded", "new_variants", "new_facts",
                "seconds")


def mart_section(view) -> str:
    from reports import plots
    from reports.tables import markdown_table

    record = by_name(view.experiment("mart")).get("star-schema-etl")
    parts = ["## (b) ETL into a star-schema data mart (DuckDB)"]
    if record is None:
        return "\n\n".join(parts + ["*Not recorded.*"])
    path = plots.schema_diagram(view.artifact(record, "schema"), view.figure("mart_schema.png"),
                                title="The mart as DuckDB describes it (duckdb_columns / duckdb_constraints): "
                                      "fact_metric and its dimensions")
    parts += ["Grain of the fact table: one metric of one variant of one run. Extract reads the finished variants "
              "the mart lacks; transform parses the JSON columns and assigns surrogate keys; load writes dimensions "
              "then facts in one transaction. Every load, this run's two included:",
              view.image(path, "star schema of the mart"),
              markdown_table(view.artifact(record, "loads"), columns=LOAD_COLUMNS, formats={"seconds": lambda v: f"{v:.3f}"}),
              "Rows in the mart: " + ", ".join(f"{t} {n:,}" for t, n in view.artifact(record, "rows").items()) + "."]
    parts.append("Each question is asked of the mart (DuckDB, star joins) and of the store itself (SQLite, joins "
                 "and `json_extract` on the JSON columns: the baseline); the answers must be the same.")
    for answer in view.artifact(record, "answers"):
        shown = [dict(zip(answer["columns"], row)) for row in answer["rows"]]
        parts += [f"### {answer['question'].capitalize()}",
                  f"Same answer from the store: {yes(answer['same'])}; best time mart {micro(answer['mart_seconds'])}, "
                  f"store {micro(answer['store_seconds'])}.",
                  markdown_table(shown, formats={c: cell for c in answer["columns"]})
                  if shown else "*No rows.*"]
        if answer["question"] == "test accuracy against parameter count" and shown:
            groups: dict[str, tuple[list, list]] = {}
            for row in answer["rows"]:
                xs, ys = groups.setdefault(f"{row[0]} ({row[1]})", ([], []))
                xs.append(row[3])
                ys.append(row[4])
            path = plots.labelled_scatter(groups, view.figure("accuracy_vs_parameters.png"), log_x=True,
                                          xlabel="trainable parameters", ylabel="test accuracy",
                                          title="Test accuracy against parameter count, every recorded variant")
            parts.append(view.image(path, "accuracy against parameters"))
    return "\n\n".join(parts)


def storage_section(view) -> str:
    from nnlab.storage_kinds import growth_exponent
    from reports import plots
    from reports.tables import markdown_table

    records = [r for r in view.experiment("storage")]
    parts = ["## (c) Storage kinds and data structures as N grows"]
    if not records:
        return "\n\n".join(parts + ["*Not recorded.*"])
    width = view.setting("range_width", Config.range_width)
    base = records[0].info["base_records"]
    module = next((r.info["dbm_module"] for r in records if r.info.get("dbm_module")), None)
    parts.append(f"The records are the store's {base:,} metric values (lesson, split, metric, value, day); larger N "
                 f"repeat them under new keys, a random permutation of 0..N−1 inserted in random order. *lookup*: one "
                 f"record by key; *range*: {width} consecutive keys; *aggregate*: count and mean value per metric over "
                 f"all records. Median seconds per call" + (f"; dbm here is `{module}`." if module else "."))
    timings = {r.variant: view.artifact(r, "timings") for r in records}
    largest = max(timings[r.variant]["n"][-1] for r in records)
    rows = []
    for r in records:
        row = {"store": f"*baseline: {r.variant}*" if r.variant == "python-list" else f"`{r.variant}`",
               "what": DESCRIPTIONS.get(r.variant, r.variant),
               f"build (N = {largest:,})": micro(r.metric("largest", "build_seconds"))}
        found = timings[r.variant]
        for op in OPERATIONS:
            row[op] = micro(r.metric("largest", f"{op}_seconds"))
            last = growth_exponent(found["n"][-2:], found[op][-2:])
            row[f"{op} growth: all N, last step (expected)"] = (
                f"n^{r.metric('growth', op):.2f}, n^{last:.2f} ({EXPECTED.get(r.variant, {}).get(op, '?')})")
        rows.append(row)
    parts += [f"Seconds per call at N = {largest:,}; *growth*: the slope of log(time) against log(N) over all the measured "
              "sizes, then between the two largest (≈ 0: O(1) or O(log n); ≈ 1: O(n)), with the structure's expected "
              "growth beside it. A fixed cost per call (a query's parsing and planning) flattens the first slope of a "
              "scan; the last one shows the scan.",
              markdown_table(rows)]
    path = plots.complexity(timings, OPERATIONS, view.figure("storage_timings.png"), labels=DESCRIPTIONS,
                            title="Seconds per call as N grows (log-log); grey: O(1) solid, O(log n) dashed, O(n) dotted")
    parts.append(view.image(path, "storage timings"))
    agree = answers_agree(view, records)
    parts.append(f"Same answers from every store at every N (lookups, range sizes, aggregates to 1e-9): {yes(agree)}.")
    return "\n\n".join(parts)


def answers_agree(view, records) -> bool:
    """Whether every store gave the baseline's answers at every N (aggregates to 1e-9 relative)."""
    import math

    answers = {r.variant: view.artifact(r, "answers") for r in records}
    reference = next(iter(answers.values()))
    for found in answers.values():
        if len(found) != len(reference):
            return False
        for mine, theirs in zip(found, reference):
            if mine["lookup"] != theirs["lookup"] or mine["range"] != theirs["range"]:
                return False
            if mine["aggregate"].keys() != theirs["aggregate"].keys() or any(
                    mine["aggregate"][m][0] != theirs["aggregate"][m][0]
                    or not math.isclose(mine["aggregate"][m][1], theirs["aggregate"][m][1], rel_tol=1e-9, abs_tol=1e-12)
                    for m in mine["aggregate"]):
                return False
    return True


def transactions_section(view) -> str:
    from reports.tables import markdown_table

    record = by_name(view.experiment("transactions")).get("sigkill-writer")
    parts = ["## (d) Transactions: a writer killed mid-transaction"]
    if record is None:
        return "\n\n".join(parts + ["*Not recorded.*"])
    kill = view.artifact(record, "kill")
    parts.append(f"On a copy of the store (never the store itself) a writer process copies {kill['committed']} "
                 f"finished variants with their metrics in one transaction and commits, then copies "
                 f"{kill['uncommitted']} more in a second transaction and is killed with SIGKILL before it commits "
                 f"(exit status {kill['exit_status']}). Its page cache is tiny, so the open transaction had already "
                 f"spilled {kill['wal_bytes_at_kill']:,} bytes into the write-ahead log.")
    before, after = kill["before"], kill["after"]
    parts.append(markdown_table([{"": name, "before": before[name], "after the kill": after[name]}
                                 for name in before]))
    return "\n\n".join(parts)


def scraping_section(view) -> str:
    from reports.tables import markdown_table

    record = by_name(view.experiment("scraping")).get("reports-round-trip")
    parts = ["## (e) Scraping the reports back into a table"]
    if record is None:
        return "\n\n".join(parts + ["*Not recorded.*"])
    rows = view.artifact(record, "rows")
    parts.append(f"Each lesson's report.md rendered to HTML (Python-Markdown), served by `http.server` on "
                 f"127.0.0.1 on a port the system picked ({record.info['url']}, stopped afterwards), fetched with "
                 "urllib from the index page's links and parsed with BeautifulSoup: the header table of each page, "
                 "against the same fields read from the store's `runs` and `variants` rows.")
    if record.info.get("lessons_without_report"):
        parts.append("Lessons in the store without a report in the workdir: "
                     + ", ".join(f"`{s}`" for s in record.info["lessons_without_report"]) + ".")
    table = []
    for row in rows:
        for source in ("scraped", "store"):
            values = row[source]
            table.append({"lesson": f"`{row['lesson']}`", "from": source, **{k: values.get(k) for k in
                          ("run", "started", "status", "seed", "mode", "dataset", "sha256", "variants")},
                          "equal": yes(row["equal"]) if source == "store" else ""})
    parts.append(markdown_table(table) if table else "*No reports to scrape.*")
    return "\n\n".join(parts)


def report_sections(view) -> list[str]:
    return [data_section(view), schema_section(view), mart_section(view), storage_section(view),
            transactions_section(view), scraping_section(view)]


def conclusions(view) -> list[str]:
    queries = queries_verdict(view)
    lines = (schema_conclusions(view) + mart_conclusions(view) + ([queries.sentence()] if queries else [])
             + storage_conclusions(view) + transactions_conclusions(view) + scraping_conclusions(view))
    return [line for line in lines if line]


def verdicts(view) -> list:
    """The targets (COURSE.md): the scraped table equals the store's rows (the headline), and queries run on
    the real store, here judged by what checks them: the mart and the 3NF copy give the store's answers.
    Each is left out when its experiment was not recorded (--only)."""
    return [verdict for verdict in (scraping_verdict(view), queries_verdict(view)) if verdict is not None]


def scraping_verdict(view):
    """`value`: the share of scraped reports whose header table equals the store's rows (NaN: none to scrape)."""
    from reports.conclusions import Verdict

    record = by_name(view.experiment("scraping")).get("reports-round-trip")
    if record is None:
        return None
    reports, equal = record.metric("check", "reports"), record.metric("check", "equal")
    differing = [r["lesson"] for r in view.artifact(record, "rows") if not r["equal"]]
    shown = (f"{equal:.0f} of {reports:.0f} reports" + (
        f"; differing: {', '.join(differing)} (a report older than its lesson's latest records: "
        "`nnlab report LESSON` rewrites it)" if differing else "")) if reports else \
        "no lesson reports in the workdir to scrape"
    return Verdict("the scraped header table equals the store's rows for every report",
                   equal / reports if reports else float("nan"), shown, bool(reports) and equal == reports,
                   full_run=not view.quick, percent=True)


def queries_verdict(view):
    """`value`: the share of the questions asked of the store that the mart and the 3NF copy answer the same."""
    from reports.conclusions import Verdict

    checks = [(name, record.metric("check", "questions"), record.metric("check", key)) for name, record, key in (
        ("mart", by_name(view.experiment("mart")).get("star-schema-etl"), "same_answers"),
        ("3NF copy", by_name(view.experiment("schema")).get("normal-forms"), "identical_answers"))
        if record is not None]
    if not checks:
        return None
    asked, same = sum(c[1] for c in checks), sum(c[2] for c in checks)
    return Verdict("queries on the real store: the mart and the 3NF copy give the store's answers",
                   same / asked if asked else float("nan"),
                   ", ".join(f"{name} {agreed:.0f} of {questions:.0f} questions" for name, questions, agreed in checks),
                   bool(asked) and same == asked, full_run=not view.quick, percent=True)


def schema_conclusions(view) -> list[str]:
    record = by_name(view.experiment("schema")).get("normal-forms")
    if record is None:
        return []
    moved = view.artifact(record, "moved")
    questions, identical = record.metric("check", "questions"), record.metric("check", "identical_answers")
    return [f"3NF: {len(moved)} columns of `variants` ({', '.join(moved)}) are functions of `run_id` on all "
            f"{record.info['runs']:,} runs, so the store keeps {record.metric('check', 'values_saved'):,.0f} values more "
            f"than a normalised one would (one per variant instead of one per run, per column); the 3NF copy answered "
            f"{identical:.0f} of {questions:.0f} questions identically."]


def mart_conclusions(view) -> list[str]:
    record = by_name(view.experiment("mart")).get("star-schema-etl")
    if record is None:
        return []
    answers = view.artifact(record, "answers")
    loads = view.artifact(record, "loads")
    faster = [a["question"] for a in answers if a["mart_seconds"] < a["store_seconds"]]
    lines = [f"ETL: this run loaded {record.metric('check', 'new_facts'):,.0f} facts of "
             f"{record.metric('check', 'new_variants'):,.0f} new variants, and its second load "
             f"{record.metric('check', 'second_load_facts'):,.0f} (idempotent); {len(loads)} loads so far, "
             f"{sum(load['new_facts'] for load in loads):,} facts in all. The mart and the store gave the same answer to "
             f"{record.metric('check', 'same_answers'):.0f} of {len(answers)} questions; the mart was faster on "
             f"{len(faster)} of them at this size ({', '.join(faster) or 'none'})."]
    best = next((a for a in answers if a["question"] == "best variant per lesson"), None)
    if best and best["rows"]:
        lines.append("Best variant per lesson: " + "; ".join(
            f"`{r[0]}` ({r[1]}) `{r[3]}` {r[4]} {r[5]:.4g} of {r[6]}" for r in best["rows"]) + ".")
    scatter = next((a for a in answers if a["question"] == "test accuracy against parameter count"), None)
    if scatter:
        lines.append(parameter_trend(scatter["rows"]))
    return lines


def parameter_trend(rows: list[list]) -> str | None:
    """Spearman's ρ of test accuracy against parameter count within each lesson and mode (tasks differ
    between lessons, so a correlation across them would compare datasets, not model sizes)."""
    from scipy.stats import spearmanr

    groups: dict[str, tuple[list, list]] = {}
    for lesson, mode, _, parameters, accuracy in rows:
        xs, ys = groups.setdefault(f"`{lesson}` ({mode})", ([], []))
        xs.append(parameters)
        ys.append(accuracy)
    found = []
    for name, (xs, ys) in groups.items():
        if len(set(xs)) >= 3 and len(set(ys)) >= 2:
            rho = spearmanr(xs, ys).statistic
            found.append(f"{name} ρ = {rho:.2f} over {len(xs)} variants")
    if not found:
        return None
    return ("Test accuracy against parameter count, Spearman's ρ within each lesson (the grids change depth, learning "
            "rate and epochs too, so size is one cause among several): " + "; ".join(found) + ".")


def storage_conclusions(view) -> list[str]:
    records = {r.variant: r for r in view.experiment("storage")}
    if len(records) < 2:
        return []
    timings = {name: view.artifact(r, "timings") for name, r in records.items()}
    lines = []
    for op in OPERATIONS:
        ranked = sorted(records, key=lambda name: timings[name][op][-1])
        winner, second, slowest = ranked[0], ranked[1], ranked[-1]
        at = {name: timings[name][op][-1] for name in records}
        text = (f"{op.capitalize()} at N = {timings[winner]['n'][-1]:,}: `{winner}` wins ({micro(at[winner])} per call), "
                f"{times(at[second] / at[winner])} faster than `{second}`")
        if "python-list" in records and "python-list" not in (winner, second):
            text += f" and {times(at['python-list'] / at[winner])} faster than the baseline list"
        lines.append(text + f"; slowest `{slowest}` ({micro(at[slowest])}).")
    for fast, slow, op in (("sqlite-index", "sqlite-scan", "lookup"), ("duckdb", "sqlite-scan", "aggregate"),
                           ("duckdb", "sqlite-index", "aggregate"), ("key-value", "sqlite-index", "lookup")):
        if fast in timings and slow in timings:
            lines.append(crossover(timings, fast, slow, op))
    bands = {"flat (slope < 0.25: O(1) or O(log n))": lambda g: g < 0.25,
             "in between (0.25-0.75: a fixed cost per call hiding the growth at small N, or cache misses as the "
             "data outgrows the CPU caches)": lambda g: 0.25 <= g <= 0.75,
             "linear (slope > 0.75: O(n))": lambda g: g > 0.75}
    for op in ("lookup", "range"):
        slopes = {name: r.metric("growth", op) for name, r in records.items()}
        lines.append(f"{op.capitalize()} time against N, measured: " + "; ".join(
            f"{band} " + ", ".join(f"`{n}` n^{g:.2f}" for n, g in slopes.items() if rule(g))
            for band, rule in bands.items() if any(rule(g) for g in slopes.values())) + ".")
    return lines


def times(ratio: float) -> str:
    return f"{ratio:,.0f}×" if ratio >= 100 else f"{ratio:.1f}×"


def crossover(timings: dict, fast: str, slow: str, op: str) -> str:
    """From which measured N `fast` beats `slow` at `op` for good, and by how much at the largest N."""
    ns = timings[fast]["n"]
    ahead = [a < b for a, b in zip(timings[fast][op], timings[slow][op])]
    ratio = timings[slow][op][-1] / timings[fast][op][-1]
    if not ahead[-1]:
        return (f"{op.capitalize()}: `{fast}` is not ahead of `{slow}` at the largest N, {ns[-1]:,} "
                f"({times(1 / ratio)} slower there).")
    first = len(ahead) - next(i for i, a in enumerate(reversed(ahead)) if not a) if not all(ahead) else 0
    return (f"{op.capitalize()}: `{fast}` beats `{slow}` from N = {ns[first]:,} on"
            f"{' (every N measured)' if first == 0 else ''}, {times(ratio)} at N = {ns[-1]:,}.")


def transactions_conclusions(view) -> list[str]:
    record = by_name(view.experiment("transactions")).get("sigkill-writer")
    if record is None:
        return []
    kill = view.artifact(record, "kill")
    kept, lost = record.metric("check", "committed_kept"), kill["uncommitted"] - record.metric("check", "uncommitted_kept")
    ok = kept == kill["committed"] and lost == kill["uncommitted"] and kill["after"]["integrity_check"] == "ok"
    return [f"Transactions: after SIGKILL the copy holds all {kept:.0f} committed variants and none of the "
            f"{kill['uncommitted']} uncommitted ones ({lost:.0f} dropped with the {kill['wal_bytes_at_kill']:,}-byte "
            f"WAL's uncommitted frames), integrity_check {kill['after']['integrity_check']}, finished variants "
            f"without metrics {kill['after']['finished variants without metrics']}: "
            + ("consistent, nothing committed lost." if ok else "**NOT consistent**.")]


def scraping_conclusions(view) -> list[str]:
    target = scraping_verdict(view)
    return ["Scraping round trip: " + target.sentence()] if target is not None else []
