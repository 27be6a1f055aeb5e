"""The results store: one SQLite file per workdir holding every run and every variant.

Schema (normalised, so a report or a query never parses logs):

    runs      one row per `nnlab run` / `nnlab tune` invocation: lesson, seed, quick, backend,
              dataset + sha256, config, package versions, status
    variants  one row per trained variant: experiment, variant name, hyper-parameters, the key
              that identifies "the same work" for resuming, timings, status
    metrics   final metric values per split      (variant_id, split, name) -> value
    history   per-epoch values                   (variant_id, epoch, name) -> value
    artifacts JSON blobs a report needs later    (variant_id, name) -> json (predictions, ...)

A variant row is inserted as 'running' when it starts and becomes 'finished' in the same
transaction that writes its metrics, history and artifacts, so a crash can never leave a
'finished' variant with half its numbers. WAL mode lets a report read while a run writes.
All SQL is parameterised.

Claims and crashes. A 'running' row is a claim: `claim_variant` inserts it with the process's pid, host
and start time in the same write transaction (BEGIN IMMEDIATE) that checks no finished row and no live
claim has the key, so two runs of one lesson into one workdir never train the same variant. Opening the
store for writing reconciles: a 'running' variant or run whose process is gone (SIGKILL, power loss) is
marked 'crashed', and its variant is trained again by the next run. A process is "gone" when its pid is
not alive on this host, or the pid now belongs to a process started at another time; a claim made on
another host cannot be checked from here and is trusted for FOREIGN_CLAIM_HOURS.

Opening checks the file before trusting it: a folder that is a file or read-only, a file that is not
SQLite, a damaged one (`PRAGMA quick_check`) or one written by a newer nnlab (`PRAGMA user_version`)
is a `StoreError`, one line naming the path and the fix, and the file is left as it is. Commands that
only read (`nnlab report`, `nnlab translate`) open it read-only: no schema, no WAL switch, no write,
so a store on read-only media can be reported on.
"""
from __future__ import annotations

import json
import os
import socket
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping, NamedTuple
from urllib.parse import quote

from nnlab.errors import StoreError

SCHEMA_VERSION = 2  # 2: variants and runs record pid, host and process start; status 'crashed'
FOREIGN_CLAIM_HOURS = 24
FRESH_WORKDIR = "Fix: pass a fresh --workdir (or set NNLAB_HOME to one)"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    lesson TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'run',
    started_at TEXT NOT NULL,
    ended_at TEXT,
    status TEXT NOT NULL,
    seed INTEGER NOT NULL,
    quick INTEGER NOT NULL,
    backend TEXT NOT NULL,
    dataset TEXT NOT NULL,
    dataset_sha256 TEXT NOT NULL,
    fallback INTEGER NOT NULL DEFAULT 0,
    data_info TEXT NOT NULL DEFAULT '{}',
    config TEXT NOT NULL DEFAULT '{}',
    versions TEXT NOT NULL DEFAULT '{}',
    argv TEXT NOT NULL DEFAULT '[]',
    pid INTEGER,
    host TEXT,
    process_started TEXT
);
CREATE TABLE IF NOT EXISTS variants (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    lesson TEXT NOT NULL,
    experiment TEXT NOT NULL,
    variant TEXT NOT NULL,
    ordinal INTEGER NOT NULL DEFAULT 0,
    key TEXT NOT NULL,
    params TEXT NOT NULL,
    config TEXT NOT NULL,
    seed INTEGER NOT NULL,
    backend TEXT NOT NULL,
    dataset TEXT NOT NULL,
    dataset_sha256 TEXT NOT NULL,
    quick INTEGER NOT NULL,
    versions TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    wall_seconds REAL,
    status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'interrupted', 'failed', 'crashed')),
    info TEXT NOT NULL DEFAULT '{}',
    pid INTEGER,
    host TEXT,
    process_started TEXT
);
CREATE INDEX IF NOT EXISTS variants_by_key ON variants(key, status);
CREATE INDEX IF NOT EXISTS variants_by_lesson ON variants(lesson, status);
CREATE TABLE IF NOT EXISTS metrics (
    variant_id INTEGER NOT NULL REFERENCES variants(id),
    split TEXT NOT NULL,
    name TEXT NOT NULL,
    value REAL,
    PRIMARY KEY (variant_id, split, name)
);
CREATE TABLE IF NOT EXISTS history (
    variant_id INTEGER NOT NULL REFERENCES variants(id),
    epoch INTEGER NOT NULL,
    name TEXT NOT NULL,
    value REAL,
    PRIMARY KEY (variant_id, epoch, name)
);
CREATE TABLE IF NOT EXISTS artifacts (
    variant_id INTEGER NOT NULL REFERENCES variants(id),
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (variant_id, name)
);
"""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class RunContext:
    """What identifies a run's data and environment; copied onto every variant row."""

    lesson: str
    seed: int
    quick: bool
    backend: str
    dataset: str
    dataset_sha256: str
    fallback: bool = False
    data_info: Mapping[str, Any] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    versions: Mapping[str, str] = field(default_factory=dict)
    kind: str = "run"


@dataclass
class VariantRecord:
    """A finished variant as a report sees it."""

    id: int
    run_id: int
    experiment: str
    variant: str
    ordinal: int
    params: dict
    config: dict
    seed: int
    quick: bool
    dataset: str
    dataset_sha256: str
    wall_seconds: float
    started_at: str
    info: dict
    metrics: dict[str, dict[str, float]]
    history: dict[str, list[float]]
    artifact_names: list[str]
    backend: str = "tensorflow"

    def metric(self, split: str, name: str, default: float = float("nan")) -> float:
        return self.metrics.get(split, {}).get(name, default)


class Store:
    """Results store in `<workdir>/results.sqlite`."""

    FILENAME = "results.sqlite"

    def __init__(self, path: Path | str, *, readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        self.db = self._open()
        try:
            self._check()
            if not readonly:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA foreign_keys=ON")
                self._create_or_migrate()
                self.reconcile()
        except sqlite3.Error as error:
            self.db.close()
            raise self._error(error) from None
        except BaseException:
            self.db.close()
            raise

    def _open(self) -> sqlite3.Connection:
        """A connection (isolation_level=None: transactions are opened by hand, so a commit is exactly where
        we say), after the folder and file checks that need no SQL."""
        if self.readonly:
            if not self.path.is_file():
                raise StoreError(f"no results store at {self.path}. Fix: run a lesson first, or pass the "
                                 f"--workdir it used")
            target, uri = f"file:{quote(str(self.path.resolve()))}?mode=ro", True
        else:
            folder = self.path.parent
            if folder.exists() and not folder.is_dir():
                raise StoreError(f"the workdir {folder} is a file, not a folder. {FRESH_WORKDIR}")
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StoreError(f"cannot create the workdir {folder} ({error.strerror or error}). "
                                 f"{FRESH_WORKDIR}") from None
            for place in (folder, self.path):
                if place.exists() and not os.access(place, os.W_OK):
                    raise StoreError(f"{place} is read-only, so results cannot be recorded. {FRESH_WORKDIR}")
            target, uri = str(self.path), False
        if self.path.is_dir():
            raise StoreError(f"{self.path} is a folder, not a results store. {FRESH_WORKDIR}")
        try:
            db = sqlite3.connect(target, timeout=60, isolation_level=None, uri=uri)
            if self.readonly:
                db = self._readable(db, target)
        except sqlite3.Error as error:
            raise self._error(error) from None
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA busy_timeout=60000")
        return db

    @staticmethod
    def _readable(db: sqlite3.Connection, target: str) -> sqlite3.Connection:
        """`db`, or on read-only media (where a WAL store's -shm index cannot be created) the same file
        opened immutable: nothing can write there, so nothing can change under the reader."""
        try:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return db
        except sqlite3.OperationalError:
            db.close()
            return sqlite3.connect(target + "&immutable=1", timeout=60, isolation_level=None, uri=True)

    def _check(self) -> None:
        """Refuse a store that is damaged or from a newer nnlab before reading or writing a row of it."""
        found = self.db.execute("PRAGMA user_version").fetchone()[0]
        if found > SCHEMA_VERSION:
            raise StoreError(f"the results store {self.path} was written by a newer nnlab (store schema "
                             f"{found}, this nnlab reads up to {SCHEMA_VERSION}). Fix: upgrade nnlab "
                             f"(pip install -U nnlab), or pass a fresh --workdir")
        verdict = self.db.execute("PRAGMA quick_check(1)").fetchone()[0]
        if verdict != "ok":
            first = next(line for line in verdict.splitlines() if not line.startswith("***"))
            raise StoreError(f"the results store {self.path} is damaged ({first}); it is left as it "
                             f"is. {FRESH_WORKDIR}, or restore the file from a backup")

    def _create_or_migrate(self) -> None:
        """A new file gets the schema; a store of an older schema is migrated in one transaction."""
        # Rebuilding a table needs foreign keys off, and that pragma is a no-op inside a transaction.
        self.db.execute("PRAGMA foreign_keys=OFF")
        with self.transaction() as db:
            found = db.execute("PRAGMA user_version").fetchone()[0]
            if found == 0:  # a new file (every nnlab store since the first has set its version)
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                found = SCHEMA_VERSION
            for version in range(found, SCHEMA_VERSION):
                MIGRATIONS[version](db)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        self.db.execute("PRAGMA foreign_keys=ON")

    def _error(self, error: sqlite3.Error) -> StoreError:
        """An SQLite failure while opening, as the one-line error a user can act on."""
        text = str(error)
        if "not a database" in text or "malformed" in text:
            return StoreError(f"the results store {self.path} is damaged or not an SQLite file ({text}); it "
                              f"is left as it is. {FRESH_WORKDIR}, or restore the file from a backup")
        if "readonly" in text or "read-only" in text:
            return StoreError(f"the results store {self.path} is read-only, so results cannot be recorded. "
                              f"{FRESH_WORKDIR}")
        return StoreError(f"cannot open the results store {self.path} ({text}). {FRESH_WORKDIR}")

    @classmethod
    def check_writable(cls, workdir: Path | str) -> None:
        """The checks of opening `<workdir>/results.sqlite` for writing, creating nothing: a StoreError if a
        file is in the way, a folder or the store is read-only, or the store is damaged or from a newer nnlab."""
        path = Path(workdir) / cls.FILENAME
        if path.is_file():
            cls(path, readonly=True).close()
        place = path
        while not place.exists() and place != place.parent:
            place = place.parent
        if place != path and not place.is_dir():
            raise StoreError(f"the workdir {workdir} cannot be created: {place} is a file, not a folder. "
                             f"{FRESH_WORKDIR}")
        if not os.access(place, os.W_OK):
            raise StoreError(f"{place} is read-only, so results cannot be recorded. {FRESH_WORKDIR}")

    @classmethod
    def in_workdir(cls, workdir: Path | str, *, readonly: bool = False) -> "Store":
        return cls(Path(workdir) / cls.FILENAME, readonly=readonly)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE takes the write lock up front, so two processes finishing at once
        # (tuner workers) serialise instead of failing half-way.
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    # ---- runs -------------------------------------------------------------------------------
    def start_run(self, ctx: RunContext, argv: list[str]) -> int:
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO runs (lesson, kind, started_at, status, seed, quick, backend, dataset,"
                " dataset_sha256, fallback, data_info, config, versions, argv, pid, host, process_started)"
                " VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (ctx.lesson, ctx.kind, now(), ctx.seed, int(ctx.quick), ctx.backend, ctx.dataset,
                 ctx.dataset_sha256, int(ctx.fallback), _dumps(ctx.data_info), _dumps(ctx.config),
                 _dumps(ctx.versions), _dumps(argv), *this_process()),
            )
            return int(cur.lastrowid)

    def end_run(self, run_id: int, status: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE runs SET status = ?, ended_at = ? WHERE id = ?", (status, now(), run_id))

    def latest_run(self, lesson: str, kind: str | None = None) -> sqlite3.Row | None:
        sql = "SELECT * FROM runs WHERE lesson = ?"
        args: list[Any] = [lesson]
        if kind is not None:
            sql += " AND kind = ?"
            args.append(kind)
        return self.db.execute(sql + " ORDER BY id DESC LIMIT 1", args).fetchone()

    def runs(self, lesson: str, kind: str | None = None) -> list[sqlite3.Row]:
        """Every run of `lesson` (of one kind: 'run', 'tune'), the oldest first."""
        sql, args = "SELECT * FROM runs WHERE lesson = ?", [lesson]
        if kind is not None:
            sql += " AND kind = ?"
            args.append(kind)
        return self.db.execute(sql + " ORDER BY id", args).fetchall()

    def run(self, run_id: int) -> sqlite3.Row:
        return self.db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()

    # ---- variants ---------------------------------------------------------------------------
    def finished_variant(self, key: str) -> int | None:
        row = self.db.execute(
            "SELECT id FROM variants WHERE key = ? AND status = 'finished' ORDER BY id DESC LIMIT 1",
            (key,)).fetchone()
        return None if row is None else int(row["id"])

    def start_variant(self, run_id: int, ctx: RunContext, *, experiment: str, variant: str,
                      ordinal: int, key: str, params: Mapping, config: Mapping) -> int:
        with self.transaction() as db:
            return _insert_variant(db, run_id, ctx, experiment=experiment, variant=variant, ordinal=ordinal,
                                   key=key, params=params, config=config)

    def finish_variant(self, variant_id: int, *, wall_seconds: float,
                       metrics: Mapping[str, Mapping[str, float]],
                       history: Mapping[str, list[float]] | None = None,
                       info: Mapping[str, Any] | None = None,
                       artifacts: Mapping[str, Any] | None = None) -> None:
        """Write a variant's results and mark it finished, all in one transaction."""
        with self.transaction() as db:
            self._write_results(db, variant_id, metrics, history, artifacts)
            db.execute(
                "UPDATE variants SET status = 'finished', ended_at = ?, wall_seconds = ?, info = ?"
                " WHERE id = ?", (now(), wall_seconds, _dumps(info or {}), variant_id))

    @staticmethod
    def _write_results(db: sqlite3.Connection, variant_id: int, metrics: Mapping[str, Mapping[str, float]],
                       history: Mapping[str, list[float]] | None, artifacts: Mapping[str, Any] | None) -> None:
        db.executemany(
            "INSERT OR REPLACE INTO metrics (variant_id, split, name, value) VALUES (?, ?, ?, ?)",
            [(variant_id, split, name, _real(value))
             for split, values in metrics.items() for name, value in values.items()])
        db.executemany(
            "INSERT OR REPLACE INTO history (variant_id, epoch, name, value) VALUES (?, ?, ?, ?)",
            [(variant_id, epoch, name, _real(value))
             for name, values in (history or {}).items() for epoch, value in enumerate(values, 1)])
        db.executemany(
            "INSERT OR REPLACE INTO artifacts (variant_id, name, value) VALUES (?, ?, ?)",
            [(variant_id, name, _dumps(value)) for name, value in (artifacts or {}).items()])

    def record_once(self, run_id: int, ctx: RunContext, *, experiment: str, variant: str, ordinal: int,
                    key: str, params: Mapping, config: Mapping, wall_seconds: float,
                    metrics: Mapping[str, Mapping[str, float]], history: Mapping[str, list[float]] | None = None,
                    info: Mapping[str, Any] | None = None, artifacts: Mapping[str, Any] | None = None) -> int | None:
        """Insert an already finished variant unless one with `key` is finished; atomic across processes.

        For work done elsewhere (a tuner trial on any worker): the check and the insert share one
        write transaction, so two processes finishing the same trial at once still record it once.
        Returns the new row's id, or None if it was already recorded.
        """
        with self.transaction() as db:
            if db.execute("SELECT 1 FROM variants WHERE key = ? AND status = 'finished'", (key,)).fetchone():
                return None
            variant_id = _insert_variant(db, run_id, ctx, experiment=experiment, variant=variant, ordinal=ordinal,
                                         key=key, params=params, config=config, status="finished",
                                         wall_seconds=wall_seconds, info=info)
            self._write_results(db, variant_id, metrics, history, artifacts)
            return variant_id

    def mark_variant(self, variant_id: int, status: str) -> None:
        """Mark an unfinished variant 'interrupted' or 'failed' (a finished one is never touched)."""
        with self.transaction() as db:
            db.execute("UPDATE variants SET status = ?, ended_at = ? WHERE id = ? AND status = 'running'",
                       (status, now(), variant_id))

    # ---- claims and crashes -------------------------------------------------------------------
    def claim_variant(self, run_id: int, ctx: RunContext, *, experiment: str, variant: str, ordinal: int,
                      key: str, params: Mapping, config: Mapping, rerun: bool = False) -> Claim:
        """Claim `key` for this process, atomically across processes: a 'running' row with our pid.

        Returns the claim (its `variant_id` set), or why there is none: the key is finished already
        (unless `rerun`), or another live process holds it (`holder` says which)."""
        with self.transaction() as db:
            if not rerun and db.execute("SELECT 1 FROM variants WHERE key = ? AND status = 'finished'",
                                        (key,)).fetchone():
                return Claim(finished=True)
            for row in db.execute("SELECT id, pid, host, process_started, started_at FROM variants"
                                  " WHERE key = ? AND status = 'running'", (key,)).fetchall():
                if _owner_alive(row):
                    return Claim(holder=f"pid {row['pid']} on {row['host']}")
                db.execute("UPDATE variants SET status = 'crashed', ended_at = ? WHERE id = ?", (now(), row["id"]))
            variant_id = _insert_variant(db, run_id, ctx, experiment=experiment, variant=variant, ordinal=ordinal,
                                         key=key, params=params, config=config)
            return Claim(variant_id=variant_id)

    def reconcile(self) -> int:
        """Mark 'running' variants and runs whose process is gone as 'crashed'; how many variants."""
        crashed = 0
        with self.transaction() as db:
            for table in ("variants", "runs"):
                for row in db.execute(f"SELECT id, pid, host, process_started, started_at FROM {table}"
                                      " WHERE status = 'running'").fetchall():
                    if not _owner_alive(row):
                        db.execute(f"UPDATE {table} SET status = 'crashed', ended_at = ? WHERE id = ?",
                                   (now(), row["id"]))
                        crashed += table == "variants"
        return crashed

    def crashed(self, lesson: str, *, seed: int, quick: bool, dataset_sha256: str) -> tuple[int, int]:
        """(crashed trainings, those whose variant has not finished since) of one run context."""
        rows = self.db.execute(
            "SELECT c.key, EXISTS (SELECT 1 FROM variants f WHERE f.key = c.key AND f.status = 'finished'"
            " AND f.id > c.id) AS redone FROM variants c WHERE c.lesson = ? AND c.status = 'crashed'"
            " AND c.seed = ? AND c.quick = ? AND c.dataset_sha256 = ?",
            (lesson, seed, int(quick), dataset_sha256)).fetchall()
        return len(rows), sum(1 for row in rows if not row["redone"])

    def count(self, lesson: str, status: str | None = None) -> int:
        sql, args = "SELECT COUNT(*) FROM variants WHERE lesson = ?", [lesson]
        if status:
            sql += " AND status = ?"
            args.append(status)
        return int(self.db.execute(sql, args).fetchone()[0])

    def records(self, lesson: str, *, seed: int | None = None, quick: bool | None = None,
                dataset_sha256: str | None = None, experiment_prefix: str | None = None,
                backend: str | None = None) -> list[VariantRecord]:
        """The latest finished record of each (experiment, variant), in grid order."""
        sql = "SELECT * FROM variants WHERE lesson = ? AND status = 'finished'"
        args: list[Any] = [lesson]
        for column, value in (("seed", seed), ("quick", None if quick is None else int(quick)),
                              ("dataset_sha256", dataset_sha256), ("backend", backend)):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(value)
        if experiment_prefix is not None:
            sql += " AND experiment LIKE ?"
            args.append(experiment_prefix + "%")
        latest: dict[tuple[str, str], sqlite3.Row] = {}
        for row in self.db.execute(sql + " ORDER BY id", args):
            latest[(row["experiment"], row["variant"])] = row
        rows = sorted(latest.values(), key=lambda r: (r["ordinal"], r["id"]))
        return [self._record(row) for row in rows]

    def backends(self, lesson: str) -> list[str]:
        """The Keras backends that finished variants of `lesson` were trained under."""
        return [row[0] for row in self.db.execute(
            "SELECT DISTINCT backend FROM variants WHERE lesson = ? AND status = 'finished' ORDER BY backend",
            (lesson,))]

    def artifact(self, variant_id: int, name: str) -> Any:
        row = self.db.execute("SELECT value FROM artifacts WHERE variant_id = ? AND name = ?",
                              (variant_id, name)).fetchone()
        return None if row is None else json.loads(row["value"])

    def _record(self, row: sqlite3.Row) -> VariantRecord:
        vid = int(row["id"])
        metrics: dict[str, dict[str, float]] = {}
        for m in self.db.execute("SELECT split, name, value FROM metrics WHERE variant_id = ?", (vid,)):
            metrics.setdefault(m["split"], {})[m["name"]] = _float(m["value"])
        history: dict[str, list[float]] = {}
        for h in self.db.execute(
                "SELECT epoch, name, value FROM history WHERE variant_id = ? ORDER BY name, epoch", (vid,)):
            history.setdefault(h["name"], []).append(_float(h["value"]))
        names = [a["name"] for a in self.db.execute(
            "SELECT name FROM artifacts WHERE variant_id = ? ORDER BY name", (vid,))]
        return VariantRecord(
            id=vid, run_id=int(row["run_id"]), experiment=row["experiment"], variant=row["variant"],
            ordinal=int(row["ordinal"]), params=json.loads(row["params"]), config=json.loads(row["config"]),
            seed=int(row["seed"]), quick=bool(row["quick"]), dataset=row["dataset"],
            dataset_sha256=row["dataset_sha256"], wall_seconds=float(row["wall_seconds"] or 0.0),
            started_at=row["started_at"], info=json.loads(row["info"]), metrics=metrics,
            history=history, artifact_names=names, backend=row["backend"])


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=_json_default)


def _json_default(value: Any) -> Any:
    # NumPy scalars and arrays arrive here from training code.
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"Cannot store a {type(value).__name__} in the results store. Received: {value!r}")


def _real(value: Any) -> float | None:
    value = float(value)
    return None if value != value else value  # NaN is stored as NULL


def _float(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _insert_variant(db: sqlite3.Connection, run_id: int, ctx: RunContext, *, experiment: str, variant: str,
                    ordinal: int, key: str, params: Mapping, config: Mapping, status: str = "running",
                    wall_seconds: float | None = None, info: Mapping[str, Any] | None = None) -> int:
    """Insert a variant row owned by this process; its id. A 'finished' one ends as it starts."""
    stamp, me = now(), this_process()
    cur = db.execute(
        "INSERT INTO variants (run_id, lesson, experiment, variant, ordinal, key, params, config, seed, backend,"
        " dataset, dataset_sha256, quick, versions, started_at, ended_at, wall_seconds, status, info, pid, host,"
        " process_started) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (run_id, ctx.lesson, experiment, variant, ordinal, key, _dumps(params), _dumps(config), ctx.seed,
         ctx.backend, ctx.dataset, ctx.dataset_sha256, int(ctx.quick), _dumps(ctx.versions), stamp,
         stamp if status == "finished" else None, wall_seconds, status, _dumps(info or {}), *me))
    return int(cur.lastrowid)


@dataclass(frozen=True)
class Claim:
    """The answer of `Store.claim_variant`: ours (`variant_id`), finished already, or held by `holder`."""

    variant_id: int | None = None
    finished: bool = False
    holder: str | None = None


class Process(NamedTuple):
    pid: int
    host: str
    started: str | None  # when the process started, to tell a live owner from a reused pid


def this_process() -> Process:
    return Process(os.getpid(), socket.gethostname(), process_start(os.getpid()))


def process_start(pid: int) -> str | None:
    """The start time of process `pid` in clock ticks since boot (Linux /proc), or None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22, counted after the parenthesised command name


def _owner_alive(row: sqlite3.Row) -> bool:
    """Whether the process that wrote a 'running' row is still running it (see the module docstring).
    A row without a pid was left by schema 1, whose processes are long gone."""
    if row["pid"] is None:
        return False
    if row["host"] != socket.gethostname():
        started = datetime.fromisoformat(row["started_at"])
        return (datetime.now(timezone.utc) - started).total_seconds() < FOREIGN_CLAIM_HOURS * 3600
    try:
        os.kill(row["pid"], 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by another user
    return row["process_started"] is None or process_start(row["pid"]) in (None, row["process_started"])


def _v1_to_v2(db: sqlite3.Connection) -> None:
    """Version 2: owner columns on runs and variants, and 'crashed' among a variant's statuses (a CHECK
    constraint changes only by rebuilding the table, SQLite's documented twelve-step way)."""
    for column in ("pid INTEGER", "host TEXT", "process_started TEXT"):
        db.execute(f"ALTER TABLE runs ADD COLUMN {column}")
    old_columns = [row[1] for row in db.execute("PRAGMA table_info(variants)")]
    create = _SCHEMA[_SCHEMA.index("CREATE TABLE IF NOT EXISTS variants"):]
    create = create[:create.index(";")].replace("IF NOT EXISTS variants", "variants_v2")
    db.execute(create)
    names = ", ".join(old_columns)
    db.execute(f"INSERT INTO variants_v2 ({names}) SELECT {names} FROM variants")
    db.execute("DROP TABLE variants")
    db.execute("ALTER TABLE variants_v2 RENAME TO variants")
    db.execute("CREATE INDEX IF NOT EXISTS variants_by_key ON variants(key, status)")
    db.execute("CREATE INDEX IF NOT EXISTS variants_by_lesson ON variants(lesson, status)")
    if db.execute("PRAGMA foreign_key_check").fetchone() is not None:
        raise sqlite3.IntegrityError("foreign key check failed after migrating to schema 2")


MIGRATIONS = {1: _v1_to_v2}  # from version N to N + 1
