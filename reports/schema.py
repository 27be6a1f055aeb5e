"""A database's schema read back by introspection, the store's normal forms checked on its data, and a
third-normal-form copy of the store that answers the same queries.

Introspection asks the engine, not the source code: SQLite's `sqlite_master` and `PRAGMA table_info /
foreign_key_list / index_list`, DuckDB's `duckdb_columns()` and `duckdb_constraints()`. Both give the same
`Table` records, which `reports.plots.schema_diagram` draws.

Normal forms, on the results store (reports/store.py):
  1NF  every value atomic. The JSON text columns (params, config, info, ...) hold composite values: a
       query that needs one field parses it (`json_extract`), which is what the data mart's ETL undoes.
  3NF  no non-key column depends on the key through another column. `variants` repeats columns of
       `runs` (lesson, seed, backend, dataset, ...): each is a function of `variants.run_id`, so it is
       stored once per variant instead of once per run, a denormalisation that saves a join on every
       report read. `run_dependencies` tests each shared column on the data; `normalised_copy` moves the
       ones that hold to `runs` only, and `NF_QUERIES` run on both give the same answers.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Columns of `variants` that mean something per variant even where `runs` has a column of the same name.
PER_VARIANT = ("id", "status", "started_at", "ended_at")


@dataclass
class Column:
    name: str
    type: str
    primary_key: bool = False
    not_null: bool = False


@dataclass
class ForeignKey:
    column: str
    table: str        # the table referred to
    to_column: str


@dataclass
class Table:
    name: str
    columns: list[Column]
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    indexes: list[str] = field(default_factory=list)   # "name(col, col)"

    @property
    def key(self) -> list[str]:
        return [c.name for c in self.columns if c.primary_key]

    def as_dict(self) -> dict:
        return {"name": self.name, "columns": [vars(c) for c in self.columns],
                "foreign_keys": [vars(f) for f in self.foreign_keys], "indexes": self.indexes}

    @classmethod
    def from_dict(cls, data: dict) -> "Table":
        return cls(data["name"], [Column(**c) for c in data["columns"]],
                   [ForeignKey(**f) for f in data["foreign_keys"]], list(data["indexes"]))


def sqlite_tables(db: sqlite3.Connection) -> list[Table]:
    """Every table of an SQLite database, in creation order, as the engine describes it."""
    names = [row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid")]
    tables = []
    for name in names:
        # table_info: (cid, name, type, notnull, default, pk position or 0)
        columns = [Column(r[1], r[2], bool(r[5]), bool(r[3]) or bool(r[5]))
                   for r in db.execute(f"PRAGMA table_info({name})")]
        # foreign_key_list: (id, seq, table, from, to, ...)
        keys = [ForeignKey(r[3], r[2], r[4] or "id") for r in db.execute(f"PRAGMA foreign_key_list({name})")]
        indexes = []
        for index in db.execute(f"PRAGMA index_list({name})").fetchall():
            if index[3] == "c":   # created by CREATE INDEX, not implied by a key
                cols = [r[2] for r in db.execute(f"PRAGMA index_info({index[1]})")]
                indexes.append(f"{index[1]}({', '.join(cols)})")
        tables.append(Table(name, columns, keys, indexes))
    return tables


def duckdb_tables(con: Any) -> list[Table]:
    """Every table of a DuckDB database (main schema), as its catalogue functions describe it."""
    names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
                                       "ORDER BY table_oid").fetchall()]
    tables = []
    for name in names:
        constraints = con.execute(
            "SELECT constraint_type, constraint_column_names, referenced_table, referenced_column_names "
            "FROM duckdb_constraints() WHERE table_name = ?", [name]).fetchall()
        primary = {c for kind, cols, _, _ in constraints if kind == "PRIMARY KEY" for c in cols}
        columns = [Column(r[0], r[1], r[0] in primary, not r[2]) for r in con.execute(
            "SELECT column_name, data_type, is_nullable FROM duckdb_columns() WHERE table_name = ? "
            "ORDER BY column_index", [name]).fetchall()]
        keys = [ForeignKey(col, table, to) for kind, cols, table, tos in constraints if kind == "FOREIGN KEY"
                for col, to in zip(cols, tos)]
        tables.append(Table(name, columns, keys))
    return tables


def json_columns(db: sqlite3.Connection, table: Table) -> list[str]:
    """The text columns of `table` whose every stored value is a JSON object or array: composite values."""
    found = []
    for column in table.columns:
        if column.type.upper() != "TEXT":
            continue
        values = [r[0] for r in db.execute(f"SELECT {column.name} FROM {table.name} "
                                           f"WHERE {column.name} IS NOT NULL LIMIT 200")]
        if values and all(_composite(v) for v in values):
            found.append(column.name)
    return found


def _composite(text: str) -> bool:
    try:
        return isinstance(json.loads(text), (dict, list))
    except (TypeError, ValueError):
        return False


def run_dependencies(db: sqlite3.Connection) -> list[dict]:
    """For each column `variants` shares with `runs` (less PER_VARIANT): whether it is a function of run_id
    on the stored data (`runs violated`: runs whose variants disagree on it) and equals the run's own value
    (`rows differing`). Both zero: the column is the transitive dependency id → run_id → column."""
    runs = {c[1] for c in db.execute("PRAGMA table_info(runs)")}
    shared = [c[1] for c in db.execute("PRAGMA table_info(variants)") if c[1] in runs and c[1] not in PER_VARIANT]
    found = []
    for column in shared:
        violated = db.execute(f"SELECT COUNT(*) FROM (SELECT run_id FROM variants GROUP BY run_id "
                              f"HAVING COUNT(DISTINCT COALESCE({column}, '∅')) > 1)").fetchone()[0]
        differing = db.execute(f"SELECT COUNT(*) FROM variants v JOIN runs r ON r.id = v.run_id "
                               f"WHERE v.{column} IS NOT r.{column}").fetchone()[0]
        found.append({"column": column, "runs violated": int(violated), "rows differing": int(differing),
                      "holds": violated == 0 and differing == 0})
    return found


def normalised_copy(source: sqlite3.Connection, path: Path, moved: list[str]) -> sqlite3.Connection:
    """A copy of the store at `path` in which `variants` lacks the `moved` columns (each kept in `runs`
    only), plus a view `variants_wide` that joins them back. The source is only read (SQLite's backup API)."""
    path.unlink(missing_ok=True)
    copy = sqlite3.connect(path, isolation_level=None)
    source.backup(copy)
    kept = [c[1] for c in copy.execute("PRAGMA table_info(variants)") if c[1] not in moved]
    copy.execute("PRAGMA foreign_keys=OFF")
    copy.execute("BEGIN")
    copy.execute(f"CREATE TABLE variants_3nf AS SELECT {', '.join(kept)} FROM variants")
    copy.execute("DROP TABLE variants")
    copy.execute("ALTER TABLE variants_3nf RENAME TO variants")
    copy.execute("CREATE INDEX variants_by_key ON variants(key, status)")
    copy.execute(f"CREATE VIEW variants_wide AS SELECT v.*, {', '.join(f'r.{c}' for c in moved)} "
                 "FROM variants v JOIN runs r ON r.id = v.run_id")
    copy.execute("COMMIT")
    return copy


# Questions a report asks of the store, written once over column references: `{variants}` is the FROM
# clause and `{col:NAME}` a column of a variant, both resolved by `nf_query` for the original layout
# (every column on `variants`) or the normalised one (moved columns read from `runs` through run_id).
NF_QUERIES: dict[str, str] = {
    "finished variants per lesson, backend, mode and seed":
        "SELECT {col:lesson}, {col:backend}, {col:quick}, {col:seed}, COUNT(*) FROM {variants} "
        "WHERE v.status = 'finished' GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
    "mean test accuracy per dataset and mode":
        "SELECT {col:dataset}, {col:quick}, COUNT(*), ROUND(AVG(m.value), 12) FROM {variants} "
        "JOIN metrics m ON m.variant_id = v.id WHERE m.split = 'test' AND m.name = 'accuracy' "
        "AND v.status = 'finished' GROUP BY 1, 2 ORDER BY 1, 2",
    "distinct configs and package versions per lesson":
        "SELECT {col:lesson}, COUNT(DISTINCT {col:config}), COUNT(DISTINCT {col:versions}) FROM {variants} "
        "GROUP BY 1 ORDER BY 1",
    "the latest finished variant of each lesson and its data":
        "SELECT {col:lesson}, v.experiment, v.variant, substr({col:dataset_sha256}, 1, 16) FROM {variants} "
        "WHERE v.id IN (SELECT MAX(v.id) FROM {variants} WHERE v.status = 'finished' GROUP BY {col:lesson}) "
        "ORDER BY 1",
}


def nf_query(template: str, moved: list[str]) -> str:
    """`template` (see NF_QUERIES) as SQL over the original store (`moved` empty) or the normalised copy."""
    import re

    sql = re.sub(r"\{col:(\w+)\}", lambda m: f"{'r' if m.group(1) in moved else 'v'}.{m.group(1)}", template)
    source = "variants v JOIN runs r ON r.id = v.run_id" if moved else "variants v"
    return sql.replace("{variants}", source)


def same_answers(original: sqlite3.Connection, copy: sqlite3.Connection, moved: list[str]) -> list[dict]:
    """Each NF_QUERIES question asked of both layouts: its rows, and whether the answers are identical."""
    found = []
    for question, template in NF_QUERIES.items():
        before = [tuple(r) for r in original.execute(nf_query(template, []))]
        after = [tuple(r) for r in copy.execute(nf_query(template, moved))]
        found.append({"question": question, "rows": len(before), "identical": before == after,
                      "answer": [list(r) for r in before]})
    return found
