"""ETL of the results store into a star-schema data mart in DuckDB, and the questions the mart answers.

Star schema (Kimball): one fact table at the finest grain the store has, one metric of one variant of
one run, surrounded by the dimensions a question slices it by:

    fact_metric  (variant_key, split, metric) -> value, with lesson_key, dataset_key, date_key
    dim_lesson   the lesson's slug
    dim_variant  experiment, variant, params, seed, backend, run, parameter count, epochs, s/epoch
    dim_dataset  name, sha256, quick or full, fallback, training-set size (a subset is another dataset)
    dim_time     the day the variant started: date, year, month, weekday

Extract reads finished variants from SQLite (the OLTP store, opened read-only by the caller); transform
parses the JSON columns into typed columns (1NF, see reports/schema.py) and assigns surrogate keys;
load inserts dimensions, then facts, in one DuckDB transaction, and appends a line to `etl_log`.

Incremental and idempotent: a variant already in `dim_variant` (by its store id) is never extracted
again, so a second load after more runs loads only the new variants and a load with nothing new loads
nothing. A finished variant never changes in the store, so its loaded rows never go stale.

Every question in MART_QUERIES is written twice, for the mart and for the store itself (joins and
`json_extract` on the OLTP schema: the baseline), and `ask` checks both give the same answer.
"""
from __future__ import annotations

import json
import math
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

MART_SCHEMA = """
CREATE TABLE IF NOT EXISTS dim_lesson (lesson_key INTEGER PRIMARY KEY, slug VARCHAR NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS dim_dataset (
    dataset_key INTEGER PRIMARY KEY, name VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, quick BOOLEAN NOT NULL,
    fallback BOOLEAN NOT NULL, train_size INTEGER, UNIQUE (name, sha256, quick, train_size));
CREATE TABLE IF NOT EXISTS dim_time (
    date_key INTEGER PRIMARY KEY, date DATE NOT NULL, year INTEGER, month INTEGER, day INTEGER, weekday VARCHAR);
CREATE TABLE IF NOT EXISTS dim_variant (
    variant_key INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, experiment VARCHAR NOT NULL, variant VARCHAR NOT NULL,
    params VARCHAR NOT NULL, seed INTEGER NOT NULL, backend VARCHAR NOT NULL, parameters BIGINT, epochs INTEGER,
    wall_seconds DOUBLE, seconds_per_epoch DOUBLE, started_at TIMESTAMP NOT NULL);
CREATE TABLE IF NOT EXISTS fact_metric (
    variant_key INTEGER NOT NULL REFERENCES dim_variant (variant_key),
    lesson_key INTEGER NOT NULL REFERENCES dim_lesson (lesson_key),
    dataset_key INTEGER NOT NULL REFERENCES dim_dataset (dataset_key),
    date_key INTEGER NOT NULL REFERENCES dim_time (date_key),
    split VARCHAR NOT NULL, metric VARCHAR NOT NULL, value DOUBLE NOT NULL,
    PRIMARY KEY (variant_key, split, metric));
CREATE TABLE IF NOT EXISTS etl_log (
    load_id INTEGER PRIMARY KEY, loaded_at TIMESTAMP NOT NULL, source VARCHAR NOT NULL,
    finished_in_source INTEGER NOT NULL, already_loaded INTEGER NOT NULL, new_variants INTEGER NOT NULL,
    new_facts INTEGER NOT NULL, seconds DOUBLE NOT NULL);
"""

_EXTRACT_VARIANTS = """
SELECT v.id, v.run_id, v.lesson, v.experiment, v.variant, v.params, v.seed, v.backend, v.dataset,
       v.dataset_sha256, v.quick, v.started_at, v.wall_seconds, v.info, r.fallback, r.data_info
FROM variants v JOIN runs r ON r.id = v.run_id WHERE v.status = 'finished' ORDER BY v.id"""
_EXTRACT_METRICS = """
SELECT m.variant_id, m.split, m.name, m.value FROM metrics m JOIN variants v ON v.id = m.variant_id
WHERE v.status = 'finished' AND m.value IS NOT NULL ORDER BY m.variant_id, m.split, m.name"""


def open_mart(path: Path | str) -> Any:
    """The DuckDB mart at `path` (created with the star schema if new)."""
    import duckdb

    con = duckdb.connect(str(path))
    for statement in MART_SCHEMA.split(";"):
        if statement.strip():
            con.execute(statement)
    return con


@dataclass
class Load:
    """What one ETL run did (also a row of `etl_log`)."""

    load_id: int
    finished_in_source: int
    already_loaded: int
    new_variants: int
    new_facts: int
    seconds: float


def etl(source: sqlite3.Connection, mart: Any, source_name: str) -> Load:
    """Extract the finished variants of `source` not yet in `mart`, transform, load; one `etl_log` row."""
    import pandas as pd

    start = time.perf_counter()
    # ---- extract: only what the mart lacks
    loaded = {r[0] for r in mart.execute("SELECT variant_key FROM dim_variant").fetchall()}
    rows = source.execute(_EXTRACT_VARIANTS).fetchall()
    new = [r for r in rows if r[0] not in loaded]
    wanted = {r[0] for r in new}
    metrics = [m for m in source.execute(_EXTRACT_METRICS) if m[0] in wanted] if new else []
    # ---- transform: typed columns out of JSON, surrogate keys for the dimensions
    lessons = dict(mart.execute("SELECT slug, lesson_key FROM dim_lesson").fetchall())
    datasets = {(n, s, bool(q), t): k for k, n, s, q, t in
                mart.execute("SELECT dataset_key, name, sha256, quick, train_size FROM dim_dataset").fetchall()}
    days = {r[0] for r in mart.execute("SELECT date_key FROM dim_time").fetchall()}
    new_lessons, new_datasets, new_days, variants, context = [], [], [], [], {}
    for (vid, run_id, lesson, experiment, variant, params, seed, backend, dataset, sha, quick, started, wall,
         info, fallback, data_info) in new:
        if lesson not in lessons:
            lessons[lesson] = len(lessons) + 1
            new_lessons.append((lessons[lesson], lesson))
        train = json.loads(data_info).get("sizes", {}).get("train")
        dkey = (dataset, sha, bool(quick), train)
        if dkey not in datasets:
            datasets[dkey] = len(datasets) + 1
            new_datasets.append((datasets[dkey], dataset, sha, bool(quick), bool(fallback), train))
        moment = datetime.fromisoformat(started)
        day = moment.year * 10_000 + moment.month * 100 + moment.day
        if day not in days:
            days.add(day)
            new_days.append((day, moment.date(), moment.year, moment.month, moment.day, moment.strftime("%A")))
        facts = json.loads(info)
        epochs = facts.get("epochs_run")
        per_epoch = facts.get("seconds_per_epoch")
        if per_epoch is None and epochs and wall is not None:
            per_epoch = wall / epochs
        variants.append((vid, run_id, experiment, variant, params, seed, backend, facts.get("parameters"), epochs,
                         wall, per_epoch, moment.astimezone(timezone.utc).replace(tzinfo=None)))
        context[vid] = (lessons[lesson], datasets[dkey], day)
    facts_rows = [(vid, *context[vid], split, name, value) for vid, split, name, value in metrics]
    # ---- load: dimensions before facts (foreign keys), all in one transaction
    frames = {
        "dim_lesson": pd.DataFrame(new_lessons, columns=["lesson_key", "slug"]),
        "dim_dataset": pd.DataFrame(new_datasets, columns=["dataset_key", "name", "sha256", "quick", "fallback",
                                                           "train_size"]),
        "dim_time": pd.DataFrame(new_days, columns=["date_key", "date", "year", "month", "day", "weekday"]),
        "dim_variant": pd.DataFrame(variants, columns=["variant_key", "run_id", "experiment", "variant", "params",
                                                       "seed", "backend", "parameters", "epochs", "wall_seconds",
                                                       "seconds_per_epoch", "started_at"]),
        "fact_metric": pd.DataFrame(facts_rows, columns=["variant_key", "lesson_key", "dataset_key", "date_key",
                                                         "split", "metric", "value"]),
    }
    mart.execute("BEGIN TRANSACTION")
    try:
        for table, frame in frames.items():
            if len(frame):
                mart.register("incoming", frame)
                mart.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
                mart.unregister("incoming")
        load_id = mart.execute("SELECT COALESCE(MAX(load_id), 0) + 1 FROM etl_log").fetchone()[0]
        seconds = time.perf_counter() - start
        mart.execute("INSERT INTO etl_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     [load_id, datetime.now(timezone.utc).replace(tzinfo=None), source_name, len(rows),
                      len(rows) - len(new), len(new), len(facts_rows), seconds])
        mart.execute("COMMIT")
    except BaseException:
        mart.execute("ROLLBACK")
        raise
    return Load(load_id, len(rows), len(rows) - len(new), len(new), len(facts_rows), seconds)


def etl_log(mart: Any) -> list[dict]:
    columns = ["load_id", "loaded_at", "source", "finished_in_source", "already_loaded", "new_variants",
               "new_facts", "seconds"]
    rows = mart.execute(f"SELECT {', '.join(columns)} FROM etl_log ORDER BY load_id").fetchall()
    return [dict(zip(columns, (str(v) if isinstance(v, datetime) else v for v in row))) for row in rows]


def row_counts(mart: Any) -> dict[str, int]:
    return {table: mart.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("fact_metric", "dim_lesson", "dim_variant", "dim_dataset", "dim_time")}


# ---- the mart's questions, each written for the mart (DuckDB) and for the store (SQLite) --------------

# The metric that ranks a lesson's variants: the first of these the lesson records (1: higher is better).
HEADLINE = ("('test', 'accuracy', 1, 1), ('val', 'accuracy', 1, 2), ('test', 'bleu', 1, 3), "
            "('test', 'mean_return', 1, 4), ('test', 'success_rate', 1, 5), ('test', 'mae', 0, 6), "
            "('test', 'rmse', 0, 7), ('check', 'passed', 1, 8)")

_MART_FACTS = """
SELECT l.slug AS lesson, d.quick, v.variant_key, v.experiment, v.variant, f.split, f.metric, f.value
FROM fact_metric f JOIN dim_lesson l ON l.lesson_key = f.lesson_key JOIN dim_dataset d ON d.dataset_key = f.dataset_key
JOIN dim_variant v ON v.variant_key = f.variant_key"""
_STORE_FACTS = """
SELECT v.lesson, v.quick, v.id AS variant_key, v.experiment, v.variant, m.split, m.name AS metric, m.value
FROM metrics m JOIN variants v ON v.id = m.variant_id WHERE v.status = 'finished' AND m.value IS NOT NULL"""

_BEST = """
WITH headline(split, metric, higher, priority) AS (VALUES {headline}),
facts AS ({facts}),
scored AS (SELECT f.*, h.higher, h.priority FROM facts f JOIN headline h ON h.split = f.split AND h.metric = f.metric),
chosen AS (SELECT lesson, quick, MIN(priority) AS priority FROM scored GROUP BY lesson, quick),
ranked AS (SELECT s.*, ROW_NUMBER() OVER (PARTITION BY s.lesson, s.quick ORDER BY
                  CASE WHEN s.higher = 1 THEN -s.value ELSE s.value END, s.variant_key) AS place,
                  COUNT(*) OVER (PARTITION BY s.lesson, s.quick) AS records
           FROM scored s JOIN chosen c ON c.lesson = s.lesson AND c.quick = s.quick AND c.priority = s.priority)
SELECT lesson, CASE WHEN quick THEN 'quick' ELSE 'full' END, experiment, variant, split || ' ' || metric, value,
       records FROM ranked WHERE place = 1 ORDER BY 1, 2"""

_STORE_PARAMETERS = "CAST(json_extract(v.info, '$.parameters') AS INTEGER)"
_STORE_PER_EPOCH = ("COALESCE(json_extract(v.info, '$.seconds_per_epoch'), CASE WHEN json_extract(v.info, "
                    "'$.epochs_run') > 0 THEN v.wall_seconds / json_extract(v.info, '$.epochs_run') END)")

MART_QUERIES: dict[str, dict[str, Any]] = {
    "best variant per lesson": {
        "columns": ["lesson", "mode", "experiment", "variant", "ranked by", "value", "records ranked"],
        "mart": _BEST.format(headline=HEADLINE, facts=_MART_FACTS),
        "store": _BEST.format(headline=HEADLINE, facts=_STORE_FACTS),
    },
    "test accuracy against parameter count": {
        "columns": ["lesson", "mode", "variant", "parameters", "test accuracy"],
        "mart": """SELECT l.slug, CASE WHEN d.quick THEN 'quick' ELSE 'full' END, v.variant, v.parameters, f.value
                   FROM fact_metric f JOIN dim_variant v ON v.variant_key = f.variant_key
                   JOIN dim_lesson l ON l.lesson_key = f.lesson_key JOIN dim_dataset d ON d.dataset_key = f.dataset_key
                   WHERE f.split = 'test' AND f.metric = 'accuracy' AND v.parameters > 0
                   ORDER BY 1, 2, 4, v.variant_key""",
        "store": f"""SELECT v.lesson, CASE WHEN v.quick THEN 'quick' ELSE 'full' END, v.variant, {_STORE_PARAMETERS},
                     m.value FROM metrics m JOIN variants v ON v.id = m.variant_id
                     WHERE v.status = 'finished' AND m.split = 'test' AND m.name = 'accuracy' AND m.value IS NOT NULL
                     AND {_STORE_PARAMETERS} > 0 ORDER BY 1, 2, 4, v.id""",
    },
    "seconds per epoch by backend and dataset size": {
        "columns": ["backend", "dataset", "mode", "training examples", "variants", "mean s/epoch", "max s/epoch"],
        "mart": """SELECT v.backend, d.name, CASE WHEN d.quick THEN 'quick' ELSE 'full' END, d.train_size, COUNT(*),
                          AVG(v.seconds_per_epoch), MAX(v.seconds_per_epoch)
                   FROM dim_variant v JOIN (SELECT DISTINCT variant_key, dataset_key FROM fact_metric) f
                   ON f.variant_key = v.variant_key JOIN dim_dataset d ON d.dataset_key = f.dataset_key
                   WHERE v.seconds_per_epoch IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 4, 2, 3""",
        "store": f"""SELECT v.backend, v.dataset, CASE WHEN v.quick THEN 'quick' ELSE 'full' END,
                            json_extract(r.data_info, '$.sizes.train'), COUNT(*), AVG({_STORE_PER_EPOCH}),
                            MAX({_STORE_PER_EPOCH})
                     FROM variants v JOIN runs r ON r.id = v.run_id
                     WHERE v.status = 'finished' AND {_STORE_PER_EPOCH} IS NOT NULL
                     AND EXISTS (SELECT 1 FROM metrics m WHERE m.variant_id = v.id AND m.value IS NOT NULL)
                     GROUP BY 1, 2, 3, 4 ORDER BY 1, 4, 2, 3""",
    },
    "runs per day": {
        "columns": ["day (UTC)", "runs", "variants", "metric values"],
        "mart": """SELECT CAST(t.date AS VARCHAR), COUNT(DISTINCT v.run_id), COUNT(DISTINCT v.variant_key), COUNT(*)
                   FROM fact_metric f JOIN dim_time t ON t.date_key = f.date_key
                   JOIN dim_variant v ON v.variant_key = f.variant_key GROUP BY 1 ORDER BY 1""",
        "store": """SELECT substr(v.started_at, 1, 10), COUNT(DISTINCT v.run_id), COUNT(DISTINCT v.id), COUNT(*)
                    FROM metrics m JOIN variants v ON v.id = m.variant_id
                    WHERE v.status = 'finished' AND m.value IS NOT NULL GROUP BY 1 ORDER BY 1""",
    },
}


def ask(question: str, mart: Any, source: sqlite3.Connection, repeats: int = 5) -> dict:
    """One MART_QUERIES question asked of the mart and of the store: both answers' rows, whether they are
    the same (floats to 1e-9 relative: the engines sum in different orders), and the best of `repeats`
    timings of each."""
    query = MART_QUERIES[question]
    answers, seconds = {}, {}
    for side, run in (("mart", lambda: mart.execute(query["mart"]).fetchall()),
                      ("store", lambda: source.execute(query["store"]).fetchall())):
        best = math.inf
        for _ in range(repeats):
            start = time.perf_counter()
            rows = run()
            best = min(best, time.perf_counter() - start)
        answers[side], seconds[side] = [list(r) for r in rows], best
    return {"question": question, "columns": query["columns"], "rows": answers["mart"],
            "same": same_rows(answers["mart"], answers["store"]), "mart_seconds": seconds["mart"],
            "store_seconds": seconds["store"]}


def same_rows(a: list[list], b: list[list]) -> bool:
    """Equal row by row; floats equal to 1e-9 relative, an int and an equal float equal."""
    if len(a) != len(b):
        return False
    for row_a, row_b in zip(a, b):
        if len(row_a) != len(row_b):
            return False
        for x, y in zip(row_a, row_b):
            if isinstance(x, (int, float)) and isinstance(y, (int, float)) and not isinstance(x, bool):
                if not math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=1e-12):
                    return False
            elif x != y:
                return False
    return True


def foreign_rows(mart: Any, source: sqlite3.Connection) -> int:
    """Loaded variants that the source store does not hold as they were loaded (same id, another experiment,
    variant or start): a mart built from another store, whose ids mean other rows here."""
    loaded = mart.execute("SELECT variant_key, experiment, variant, run_id FROM dim_variant").fetchall()
    if not loaded:
        return 0
    stored = {r[0]: tuple(r) for r in source.execute(
        "SELECT id, experiment, variant, run_id FROM variants WHERE status = 'finished'")}
    return sum(1 for row in loaded if stored.get(row[0]) != tuple(row))
