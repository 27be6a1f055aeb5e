"""A writer killed mid-transaction (SIGKILL): what SQLite's write-ahead log keeps and what it drops.

    python -m nnlab.crash_writer STORE COMMITTED UNCOMMITTED

opens STORE (a copy of a results store: never the user's own), copies COMMITTED of its finished variants,
metrics included, as new rows in one transaction and commits; then opens a second transaction, copies
UNCOMMITTED more, prints `in-transaction ...` and waits to be killed. A tiny page cache makes SQLite spill
the open transaction's pages into the WAL file before any commit, so the kill leaves real uncommitted
frames on disk for recovery to throw away.

`kill_mid_transaction(path, ...)` runs the writer, SIGKILLs it at that moment and reads the copy again:
the committed rows are there, the uncommitted ones are not, and `PRAGMA integrity_check` says ok.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path


def copy_variants(db: sqlite3.Connection, how_many: int, tag: str) -> None:
    """Insert `how_many` copies of finished variants (cycling through them) with their metrics."""
    columns = [c[1] for c in db.execute("PRAGMA table_info(variants)") if c[1] != "id"]
    sources = [r[0] for r in db.execute("SELECT id FROM variants WHERE status = 'finished' ORDER BY id")]
    names = ", ".join(columns)
    chosen = ", ".join("key || ?" if c == "key" else c for c in columns)
    for i in range(how_many):
        source = sources[i % len(sources)]
        new = db.execute(f"INSERT INTO variants ({names}) SELECT {chosen} FROM variants WHERE id = ?",
                         (f"-{tag}-{i}", source)).lastrowid
        db.execute("INSERT INTO metrics (variant_id, split, name, value) SELECT ?, split, name, value "
                   "FROM metrics WHERE variant_id = ?", (new, source))


def write_until_killed(path: str, committed: int, uncommitted: int) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA cache_size=8")  # pages: a transaction bigger than this spills into the WAL
    db.execute("BEGIN IMMEDIATE")
    copy_variants(db, committed, "committed")
    db.execute("COMMIT")
    print(f"committed {committed}", flush=True)
    db.execute("BEGIN IMMEDIATE")
    copy_variants(db, uncommitted, "uncommitted")
    print(f"in-transaction {uncommitted}", flush=True)
    while True:   # the transaction stays open until the process is killed
        time.sleep(1)


def counts(path: Path) -> dict[str, int]:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        found = {table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in ("variants", "metrics")}
        found["finished variants without metrics"] = db.execute(
            "SELECT COUNT(*) FROM variants v WHERE v.status = 'finished' AND NOT EXISTS "
            "(SELECT 1 FROM metrics m WHERE m.variant_id = v.id)").fetchone()[0]
        found["integrity_check"] = db.execute("PRAGMA integrity_check").fetchone()[0]
        return found
    finally:
        db.close()


def kill_mid_transaction(path: Path, committed: int, uncommitted: int, timeout: float = 120) -> dict:
    """Run the writer on the store copy at `path`, SIGKILL it inside its second transaction, and compare
    the copy before and after. Returns the counts, the WAL's size at the kill and the writer's exit."""
    before = counts(path)
    writer = subprocess.Popen([sys.executable, "-m", "nnlab.crash_writer", str(path), str(committed), str(uncommitted)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    said = []
    deadline = time.monotonic() + timeout
    try:
        for line in writer.stdout:
            said.append(line.strip())
            if line.startswith("in-transaction") or time.monotonic() > deadline:
                break
        if not said or not said[-1].startswith("in-transaction"):
            raise RuntimeError(f"the crash writer stopped before its open transaction: {said} "
                               f"{writer.stderr.read() if writer.poll() is not None else ''}")
        wal = Path(f"{path}-wal")
        wal_bytes = wal.stat().st_size if wal.exists() else 0
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        if writer.poll() is None:
            writer.kill()
        writer.wait()
    after = counts(path)
    return {"before": before, "after": after, "committed": committed, "uncommitted": uncommitted,
            "wal_bytes_at_kill": wal_bytes, "exit_status": writer.returncode, "writer_said": said}


if __name__ == "__main__":
    write_until_killed(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
