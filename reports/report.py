"""Compile a lesson's markdown report from the store: header, the lesson's sections, conclusions.

The report lives in `<workdir>/<slug>/report.md` with its PNGs beside it. It is rebuilt from the
store alone (`nnlab report <slug>`), never from a process's memory, so what it says is what was
recorded. It covers the records of one context: the lesson's latest run's seed, quick/full mode and
dataset; for each (experiment, variant) the latest finished record.
"""
from __future__ import annotations

import json
import sqlite3
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from nnlab.errors import UserError
from reports.store import Store, VariantRecord


SEARCH_PREFIX = "search:"  # experiments of Keras Tuner trials (tuning/search.py)


class CatalogueEntry(Protocol):
    """What the report's title reads of the lesson's catalogue entry (`nnlab.catalog.LessonInfo`)."""

    number: int
    slug: str
    title: str
    covers: str


@dataclass
class ReportView:
    """What a lesson's `report_sections` and `conclusions` read: the run header and the records."""

    slug: str
    run: sqlite3.Row
    records: list[VariantRecord]         # the lesson's own grid
    store: Store
    out_dir: Path
    search: list[VariantRecord] = field(default_factory=list)  # Keras Tuner trials (experiments "search:...")

    @property
    def quick(self) -> bool:
        return bool(self.run["quick"])

    @property
    def data_info(self) -> dict:
        return json.loads(self.run["data_info"])

    def setting(self, name: str, default: Any) -> Any:
        """A config field as the run being reported had it; `default` for a run recorded before the
        field existed (a REPORT_ONLY field added later, which the records' own configs may lack too)."""
        return json.loads(self.run["config"]).get(name, default)

    def experiments(self) -> "OrderedDict[str, list[VariantRecord]]":
        grouped: OrderedDict[str, list[VariantRecord]] = OrderedDict()
        for record in self.records:
            grouped.setdefault(record.experiment, []).append(record)
        return grouped

    def experiment(self, name: str) -> list[VariantRecord]:
        return [r for r in self.records if r.experiment == name]

    def artifact(self, record: VariantRecord, name: str) -> Any:
        return self.store.artifact(record.id, name)

    def figure(self, filename: str) -> Path:
        """Where a PNG of this report goes; link it with `image(...)`."""
        return self.out_dir / filename

    @staticmethod
    def image(path: Path, alt: str) -> str:
        return f"![{alt}]({path.name})"


def report_dir(workdir: Path | str, slug: str) -> Path:
    return Path(workdir) / slug


def make_view(store: Store, slug: str, run: sqlite3.Row, out_dir: Path) -> ReportView:
    """The records a report of `run` covers: its context's (seed, mode, data, backend) latest finished
    record of each variant, the lesson's grid apart from Keras Tuner trials."""
    records = store.records(slug, seed=run["seed"], quick=bool(run["quick"]),
                            dataset_sha256=run["dataset_sha256"], backend=run["backend"])
    return ReportView(slug, run, [r for r in records if not r.experiment.startswith(SEARCH_PREFIX)], store,
                      out_dir, [r for r in records if r.experiment.startswith(SEARCH_PREFIX)])


def compile_report(module: ModuleType, lesson: CatalogueEntry, store: Store, workdir: Path | str,
                   run_id: int | None = None, *, out_dir: Path | None = None) -> Path:
    """Write `<workdir>/<slug>/report.md` (or `<out_dir>/report.md`) and its figures for the given or the
    latest run of `module`, the lesson whose catalogue entry is `lesson`."""
    slug = lesson.slug
    run = store.run(run_id) if run_id is not None else (store.latest_run(slug, kind="run")
                                                         or store.latest_run(slug))
    if run is None:
        raise UserError(f"no runs of '{slug}' are recorded in {Path(workdir)}. "
                        f"Fix: run `nnlab run {slug}` first (or pass the --workdir it used).")
    out_dir = Path(out_dir) if out_dir is not None else report_dir(workdir, slug)
    out_dir.mkdir(parents=True, exist_ok=True)
    view = make_view(store, slug, run, out_dir)
    parts = [header(view, lesson, getattr(module, "QUICK_NOTE", None))]
    parts += module.report_sections(view)
    if view.search:
        from reports.search import search_sections

        parts += search_sections(view)
    findings = module.conclusions(view)
    compared = other_backends(view)
    if compared:
        section, finding = compared
        parts.append(section)
        findings = [*findings, finding]
    if findings:
        parts.append("## Conclusions\n\n" + "\n".join(f"- {line}" for line in findings))
    path = out_dir / "report.md"
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return path


# The metric a cross-backend comparison shows: the first of these a lesson records on its test split.
HEADLINE_METRICS = ("accuracy", "rmse", "mae", "nll_pitch", "bleu", "mse", "loss")


def other_backends(view: ReportView) -> tuple[str, str] | None:
    """When the same lesson, seed, mode and data were also run under another Keras backend: a table of
    each variant's headline test metric under both, and a conclusion line on how far apart they are."""
    run = view.run
    mine = {(r.experiment, r.variant): r for r in view.records}
    others = [r for backend in view.store.backends(view.slug) if backend != run["backend"]
              for r in view.store.records(view.slug, seed=run["seed"], quick=bool(run["quick"]),
                                          dataset_sha256=run["dataset_sha256"], backend=backend)
              if (r.experiment, r.variant) in mine]
    if not others:
        return None
    rows, gaps = [], []
    for other in others:
        record = mine[(other.experiment, other.variant)]
        shared = [m for m in HEADLINE_METRICS if m in record.metrics.get("test", {}) and m in other.metrics.get("test", {})]
        if not shared:
            continue
        name = shared[0]
        a, b = record.metric("test", name), other.metric("test", name)
        gaps.append((abs(a - b), other.variant, name, other.backend))
        rows.append({"variant": other.variant, "test metric": name, run["backend"]: f"{a:.4f}",
                     other.backend: f"{b:.4f}", "difference": f"{a - b:+.4f}",
                     f"wall s ({run['backend']} / {other.backend})": f"{record.wall_seconds:.1f} / {other.wall_seconds:.1f}"})
    if not rows:
        return None
    from reports.tables import markdown_table

    backends = sorted({g[3] for g in gaps})
    largest = max(gaps)
    mean_gap = sum(g[0] for g in gaps) / len(gaps)
    mine_wall = sum(mine[(o.experiment, o.variant)].wall_seconds for o in others)
    their_wall = sum(o.wall_seconds for o in others)
    section = (f"## The same variants under {', '.join(backends)}\n\nThis lesson was also run with seed "
               f"{run['seed']} on the same data under {', '.join(backends)}: each variant's headline test metric "
               f"under both backends (same code, same seed; the engines differ in initialisation streams and "
               f"kernels, so equal seeds do not give equal numbers).\n\n" + markdown_table(rows))
    finding = (f"Backends: {len(gaps)} variants run under both {run['backend']} and {', '.join(backends)} differ by "
               f"{mean_gap:.4f} on average in their headline test metric (largest {largest[0]:.4f}, "
               f"`{largest[1]}`, {largest[2]}); together they took {mine_wall:.0f} s under {run['backend']} and "
               f"{their_wall:.0f} s under {', '.join(backends)}.")
    return section, finding


def crash_rows(view: ReportView) -> list[tuple[str, str]]:
    """A header row when trainings of this context crashed (their process died: SIGKILL, power loss)."""
    run = view.run
    crashed, pending = view.store.crashed(view.slug, seed=run["seed"], quick=bool(run["quick"]),
                                          dataset_sha256=run["dataset_sha256"])
    if not crashed:
        return []
    state = (f"{pending} not trained since: run the lesson again to train them" if pending
             else "each trained again since")
    return [("crashed", f"{crashed} training{'s' if crashed > 1 else ''} lost with their process; {state}")]


QUICK_NOTE = "small stratified subset, few epochs: figures are NOT the lesson's results"


def header(view: ReportView, lesson: CatalogueEntry, quick_note: str | None = None) -> str:
    """Title, data, mode, seed, backend, versions. A lesson whose --quick means something else than
    QUICK_NOTE (nothing is trained, say) sets its own QUICK_NOTE."""
    run = view.run
    info = view.data_info
    versions = json.loads(run["versions"])
    devices = versions.pop("devices", None)  # recorded by `--distribute`; absent: Keras's default placement
    sizes = info.get("sizes", {})
    mode = f"quick ({quick_note or QUICK_NOTE})" if view.quick else "full"
    lines = [
        f"# Lesson {lesson.number} · `{lesson.slug}`: {lesson.title}",
        "",
        f"Source: {lesson.covers}.",
        "",
    ]
    for note in info.get("notes", []):
        if note.startswith("FALLBACK"):
            lines += [f"> **{note}**", ""]
    rows = [
        ("dataset", f"{run['dataset']} (sha256 {run['dataset_sha256'][:16]}…)"),
        ("splits", ", ".join(f"{k} {sizes[k]:,}" for k in ("train", "val", "test") if k in sizes) or "–"),
        ("mode", mode),
        ("seed", str(run["seed"])),
        ("backend", run["backend"] + (f", devices {devices}" if devices else "")),
        ("versions", ", ".join(f"{k} {v}" for k, v in versions.items())),
        ("run", f"#{run['id']} started {run['started_at']}, status {run['status']}"),
        ("variants in this report", str(len(view.records))
         + (f" (+ {len(view.search)} Keras Tuner records)" if view.search else "")),
        *crash_rows(view),
        ("compiled", datetime.now(timezone.utc).isoformat(timespec="seconds")),
    ]
    lines += ["| | |", "| --- | --- |"] + [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(lines)
