"""The same records in seven stores, and the three questions every store is asked, timed as N grows.

A record is one metric value of the results store: (key, lesson, split, metric, value, day). Each store
answers
    lookup(key)           the record with this key, or None                    (a point query)
    range(lo, hi)         the records with lo <= key < hi, sorted by key      (a range scan)
    aggregate()           {metric: (count, mean value)} over every record     (an analytical query)
and the growth its structure predicts is in `EXPECTED` (k: the width of the range).

    python-list    a list searched from the front (the baseline: no structure at all)
    python-dict    a hash table: lookup O(1); no order, so a range visits every key
    sorted-array   keys sorted once, binary search (bisect): lookup O(log n), range O(log n + k)
    key-value      stdlib `dbm` on disk (whichever module `dbm` picks here; `dbm.dumb` keeps a hash
                   index of the keys in memory): lookup O(1) plus one read; no order
    sqlite-scan    SQLite row store, no index on the key: every query reads the table
    sqlite-index   SQLite with the key as INTEGER PRIMARY KEY: the table is a B-tree on it
    duckdb         DuckDB column store, no index: vectorised scans of the needed columns only
"""
from __future__ import annotations

import bisect
import json
import math
import sqlite3
import time
from pathlib import Path
from typing import Any, Callable, Sequence

Record = tuple  # (key, lesson, split, metric, value, day)
COLUMNS = ("key", "lesson", "split", "metric", "value", "day")

EXPECTED = {
    "python-list": {"lookup": "O(n)", "range": "O(n)", "aggregate": "O(n)"},
    "python-dict": {"lookup": "O(1)", "range": "O(n)", "aggregate": "O(n)"},
    "sorted-array": {"lookup": "O(log n)", "range": "O(log n)", "aggregate": "O(n)"},
    "key-value": {"lookup": "O(1)", "range": "O(n)", "aggregate": "O(n)"},
    "sqlite-scan": {"lookup": "O(n)", "range": "O(n)", "aggregate": "O(n)"},
    "sqlite-index": {"lookup": "O(log n)", "range": "O(log n)", "aggregate": "O(n)"},
    "duckdb": {"lookup": "O(n)", "range": "O(n)", "aggregate": "O(n)"},
}
DESCRIPTIONS = {
    "python-list": "Python list, searched from the front (baseline)",
    "python-dict": "Python dict (hash table)",
    "sorted-array": "sorted Python list + bisect (binary search)",
    "key-value": "stdlib dbm on disk (key-value)",
    "sqlite-scan": "SQLite row store, no index on the key",
    "sqlite-index": "SQLite, key as INTEGER PRIMARY KEY (B-tree)",
    "duckdb": "DuckDB column store, no index",
}
OPERATIONS = ("lookup", "range", "aggregate")


def grow(base: Sequence[tuple], n: int, seed: int) -> list[Record]:
    """n records made of the `base` rows (lesson, split, metric, value, day) taken in turn, each under a
    key from a random permutation of 0..n-1: the shape of every record is real, only their number is
    grown, and keys arrive in random order (so no store gets sorted input for free)."""
    import numpy as np

    keys = np.random.default_rng(seed).permutation(n)
    return [(int(keys[i]), *base[i % len(base)]) for i in range(n)]


def summarise(pairs: Sequence[tuple[str, float]]) -> dict[str, tuple[int, float]]:
    """{metric: (count, mean)} of (metric, value) pairs, the answer `aggregate` must give."""
    sums: dict[str, list[float]] = {}
    for metric, value in pairs:
        total = sums.setdefault(metric, [0, 0.0])
        total[0] += 1
        total[1] += value
    return {metric: (int(c), s / c) for metric, (c, s) in sorted(sums.items())}


class PythonList:
    def __init__(self, records: list[Record], folder: Path):
        self.rows = list(records)

    def lookup(self, key: int):
        return next((r for r in self.rows if r[0] == key), None)

    def range(self, lo: int, hi: int) -> list[Record]:
        return sorted(r for r in self.rows if lo <= r[0] < hi)

    def aggregate(self):
        return summarise([(r[3], r[4]) for r in self.rows])

    def close(self) -> None:
        pass


class PythonDict(PythonList):
    def __init__(self, records: list[Record], folder: Path):
        self.rows = {r[0]: r for r in records}

    def lookup(self, key: int):
        return self.rows.get(key)

    def range(self, lo: int, hi: int) -> list[Record]:
        return sorted(r for k, r in self.rows.items() if lo <= k < hi)

    def aggregate(self):
        return summarise([(r[3], r[4]) for r in self.rows.values()])


class SortedArray(PythonList):
    def __init__(self, records: list[Record], folder: Path):
        self.rows = sorted(records)
        self.keys = [r[0] for r in self.rows]

    def lookup(self, key: int):
        i = bisect.bisect_left(self.keys, key)
        return self.rows[i] if i < len(self.keys) and self.keys[i] == key else None

    def range(self, lo: int, hi: int) -> list[Record]:
        return self.rows[bisect.bisect_left(self.keys, lo):bisect.bisect_left(self.keys, hi)]


class KeyValue:
    """dbm: bytes → bytes. The key is the record's key as text, the value the rest as JSON."""

    def __init__(self, records: list[Record], folder: Path):
        import dbm

        path = str(folder / "records.dbm")
        with dbm.open(path, "n") as db:
            for r in records:
                db[str(r[0])] = json.dumps(r[1:])
        self.db = dbm.open(path, "r")
        self.module = dbm.whichdb(path)

    def lookup(self, key: int):
        value = self.db.get(str(key).encode())
        return None if value is None else (key, *json.loads(value))

    def range(self, lo: int, hi: int) -> list[Record]:
        # No order among the keys: every key is read to find the ones in range.
        return sorted((int(k), *json.loads(self.db[k])) for k in self.db.keys() if lo <= int(k) < hi)

    def aggregate(self):
        pairs = []
        for k in self.db.keys():
            row = json.loads(self.db[k])
            pairs.append((row[2], row[3]))
        return summarise(pairs)

    def close(self) -> None:
        self.db.close()


class SQLiteStore:
    def __init__(self, records: list[Record], folder: Path, *, indexed: bool):
        path = folder / f"records-{'index' if indexed else 'scan'}.sqlite"
        path.unlink(missing_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None)
        key = "key INTEGER PRIMARY KEY" if indexed else "key INTEGER"
        self.db.execute(f"CREATE TABLE records ({key}, lesson TEXT, split TEXT, metric TEXT, value REAL, day TEXT)")
        self.db.execute("BEGIN")
        self.db.executemany("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?)", records)
        self.db.execute("COMMIT")

    def lookup(self, key: int):
        return self.db.execute("SELECT * FROM records WHERE key = ?", (key,)).fetchone()

    def range(self, lo: int, hi: int) -> list[Record]:
        return self.db.execute("SELECT * FROM records WHERE key >= ? AND key < ? ORDER BY key", (lo, hi)).fetchall()

    def aggregate(self):
        rows = self.db.execute("SELECT metric, COUNT(*), AVG(value) FROM records GROUP BY metric ORDER BY metric")
        return {m: (int(c), float(mean)) for m, c, mean in rows}

    def close(self) -> None:
        self.db.close()


class DuckDBStore:
    def __init__(self, records: list[Record], folder: Path):
        import duckdb
        import pandas as pd

        path = folder / "records.duckdb"
        path.unlink(missing_ok=True)
        self.con = duckdb.connect(str(path))
        frame = pd.DataFrame(records, columns=list(COLUMNS))
        self.con.register("incoming", frame)
        self.con.execute("CREATE TABLE records AS SELECT * FROM incoming")
        self.con.unregister("incoming")

    def lookup(self, key: int):
        return self.con.execute("SELECT * FROM records WHERE key = ?", [key]).fetchone()

    def range(self, lo: int, hi: int) -> list[Record]:
        return self.con.execute("SELECT * FROM records WHERE key >= ? AND key < ? ORDER BY key", [lo, hi]).fetchall()

    def aggregate(self):
        rows = self.con.execute("SELECT metric, COUNT(*), AVG(value) FROM records GROUP BY metric ORDER BY metric")
        return {m: (int(c), float(mean)) for m, c, mean in rows.fetchall()}

    def close(self) -> None:
        self.con.close()


KINDS: dict[str, Callable[[list[Record], Path], Any]] = {
    "python-list": PythonList,
    "python-dict": PythonDict,
    "sorted-array": SortedArray,
    "key-value": KeyValue,
    "sqlite-scan": lambda records, folder: SQLiteStore(records, folder, indexed=False),
    "sqlite-index": lambda records, folder: SQLiteStore(records, folder, indexed=True),
    "duckdb": DuckDBStore,
}


def per_call(call: Callable[[Any], Any], arguments: Sequence[Any], budget: float) -> float:
    """Seconds per call of `call(argument)`: the calls run in turn until `budget` seconds have passed
    (at least 3, at most all of `arguments`); the median of their times."""
    times = []
    spent = 0.0
    for i, argument in enumerate(arguments):
        start = time.perf_counter()
        call(argument)
        elapsed = time.perf_counter() - start
        times.append(elapsed)
        spent += elapsed
        if i >= 2 and spent >= budget:
            break
    times.sort()
    return times[len(times) // 2]


def time_kind(kind: str, records: list[Record], folder: Path, *, range_width: int, probes: int, budget: float,
              seed: int) -> dict[str, Any]:
    """Build `kind` from `records`, then time each operation; its answers' fingerprints come back too, so
    the caller can check every store answered the same."""
    import numpy as np

    n = len(records)
    start = time.perf_counter()
    store = KINDS[kind](records, folder)
    build = time.perf_counter() - start
    rng = np.random.default_rng(seed)
    keys = [int(k) for k in rng.integers(0, n, size=probes)]
    starts = [int(k) for k in rng.integers(0, max(1, n - range_width), size=probes)]
    try:
        answers = {"lookup": [list(store.lookup(k)) for k in keys[:3]],
                   "range": [len(store.range(lo, lo + range_width)) for lo in starts[:3]],
                   "aggregate": {m: [c, round(mean, 9)] for m, (c, mean) in store.aggregate().items()}}
        found = {"n": n, "build": build,
                 "lookup": per_call(store.lookup, keys, budget),
                 "range": per_call(lambda lo: store.range(lo, lo + range_width), starts, budget),
                 "aggregate": per_call(lambda _: store.aggregate(), range(probes), budget),
                 "answers": answers}
        if kind == "key-value":
            found["module"] = store.module
        return found
    finally:
        store.close()


def growth_exponent(ns: Sequence[int], seconds: Sequence[float]) -> float:
    """The slope of log(seconds) against log(n), least squares: ~0 for O(1) and O(log n), ~1 for O(n)."""
    import numpy as np

    if len(ns) < 2:
        return math.nan
    return float(np.polyfit(np.log(ns), np.log(seconds), 1)[0])
