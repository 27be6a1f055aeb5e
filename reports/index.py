"""The course at a glance: `<workdir>/index.md`, one row per lesson of the catalogue, from the store alone.

Each row gives the lesson's status, its last run (quick or full, date, seed, backend), its headline figure
against its COURSE.md target (the first of the lesson's `verdicts`: met, missed, or not judged on a quick
run), the training wall time and a link to its report. A second section compares the runs of one lesson
that differ in one thing (seed, backend, quick/full, data): the headline figure of each, and its spread over
seeds. `nnlab report --all` writes it; every `nnlab run` rewrites it.

A *context* is what a report covers: one lesson's records of one (seed, mode, data, backend), the latest
finished record of each variant (`reports.report.make_view`).
"""
from __future__ import annotations

import json
import math
import statistics
import textwrap
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

from reports.conclusions import Verdict
from reports.report import make_view, report_dir
from reports.store import Store
from reports.tables import markdown_table

INDEX = "index.md"
# What two contexts of a lesson may differ in, as the comparison names it.
ASPECTS = ("seed", "mode", "backend", "data")


@dataclass
class Context:
    """One lesson's records of one (seed, mode, data, backend), judged by the lesson's verdicts."""

    slug: str
    run: Any                      # the latest run of the context (sqlite3.Row)
    runs: int
    variants: int
    wall_seconds: float
    versions: list[str]           # nnlab versions of the context's runs
    verdicts: list[Verdict] | None  # None: the lesson states no verdicts
    problem: str = ""              # why it could not be judged

    @property
    def aspects(self) -> dict[str, str]:
        return {"seed": str(self.run["seed"]), "mode": "quick" if self.run["quick"] else "full",
                "backend": self.run["backend"],
                "data": f"{self.run['dataset']} {self.run['dataset_sha256'][:8]}"
                        + (" (fallback)" if self.run["fallback"] else "")}

    @property
    def headline(self) -> Verdict | None:
        return self.verdicts[0] if self.verdicts else None

    def describe_run(self) -> str:
        run = self.run
        state = "" if run["status"] == "finished" else f", {run['status']}"
        return (f"{'quick' if run['quick'] else 'full'}, {run['started_at'][:10]}, seed {run['seed']}, "
                f"{run['backend']}{state}")


def contexts(store: Store, slug: str, judge: Callable[[Any], list[Verdict]] | None, workdir: Path) -> list[Context]:
    """Every context of `slug` with finished records, the latest first."""
    found: dict[tuple, list] = {}
    for run in store.runs(slug, kind="run"):
        key = (run["seed"], run["quick"], run["dataset_sha256"], run["backend"])
        found.setdefault(key, []).append(run)
    out = []
    for runs in found.values():
        latest = max(runs, key=lambda r: r["id"])
        view = make_view(store, slug, latest, report_dir(workdir, slug))
        if not view.records:
            continue
        versions = sorted({json.loads(r["versions"]).get("nnlab", "?") for r in runs})
        verdicts, problem = None, ""
        if judge is not None:
            try:
                verdicts = judge(view)
            except Exception as error:  # one lesson's broken verdict must not hide the others' rows
                verdicts, problem = [], f"{type(error).__name__}: {error}"
        out.append(Context(slug, latest, len(runs), len(view.records), sum(r.wall_seconds for r in view.records),
                           versions, verdicts, problem))
    return sorted(out, key=lambda c: c.run["id"], reverse=True)


def lesson_row(lesson: Any, found: list[Context], workdir: Path) -> dict[str, str]:
    """The lesson's row: its latest full run's context, or its latest quick one when it has no full run."""
    row = {"#": str(lesson.number), "lesson": f"`{lesson.slug}`", "status": lesson.status, "run": "not run",
           "headline": "–", "target": "–", "verdict": "not run", "wall": "–", "report": "–"}
    if not found:
        return row
    shown = next((c for c in found if not c.run["quick"]), found[0])
    report = report_dir(workdir, lesson.slug) / "report.md"
    row |= {"run": shown.describe_run(), "wall": wall(shown.wall_seconds),
            "report": f"[report]({report.relative_to(workdir).as_posix()})" if report.is_file() else "–"}
    verdict = shown.headline
    if verdict is None:
        why = shown.problem or ("the lesson states no verdicts" if shown.verdicts is None
                                else "its headline variants are not recorded in this run")
        return row | {"verdict": f"not judged: {why}"}
    return row | {"headline": verdict.shown, "target": verdict.target, "verdict": verdict.status}


def wall(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def differing(a: Context, b: Context) -> list[str]:
    return [k for k in ASPECTS if a.aspects[k] != b.aspects[k]]


def comparison(slug: str, found: list[Context]) -> tuple[str, list[str]] | None:
    """A table of the lesson's contexts and sentences on the pairs that differ in one thing."""
    judged = [c for c in found if c.headline is not None]
    if len(found) < 2:
        return None
    rows = []
    for c in found:
        verdict = c.headline
        rows.append({**c.aspects, "nnlab": ", ".join(c.versions),
                     "headline": verdict.shown if verdict else "–",
                     "verdict": verdict.status if verdict else "not judged",
                     "variants": str(c.variants), "wall": wall(c.wall_seconds),
                     "last started": c.run["started_at"][:16].replace("T", " ")})
    findings = []
    for i, a in enumerate(judged):
        for b in judged[i + 1:]:
            apart = differing(a, b)
            if len(apart) != 1 or apart[0] == "seed":
                continue
            aspect = apart[0]
            va, vb = a.headline, b.headline
            findings.append(f"`{slug}`, {aspect} {a.aspects[aspect]} against {b.aspects[aspect]} (all else equal): "
                            f"{va.shown} against {vb.shown}; {va.target}: {va.status} against {vb.status}.")
    findings += seed_spread(slug, judged)
    return markdown_table(rows), findings


def seed_spread(slug: str, judged: Sequence[Context]) -> list[str]:
    """For contexts equal in everything but the seed: the headline's mean ± std over the seeds."""
    groups: dict[tuple, list[Context]] = {}
    for c in judged:
        groups.setdefault(tuple(v for k, v in c.aspects.items() if k != "seed"), []).append(c)
    lines = []
    for group in groups.values():
        values = [c.headline.value for c in group if not math.isnan(c.headline.value)]
        if len(values) < 2:
            continue
        seeds = ", ".join(c.aspects["seed"] for c in group)
        mode, backend = group[0].aspects["mode"], group[0].aspects["backend"]
        show = group[0].headline.format
        met = sum(c.headline.met for c in group)
        lines.append(f"`{slug}` ({mode}, {backend}), seeds {seeds}: the headline figure ({group[0].headline.target}) "
                     f"is {show(statistics.fmean(values))} ± {show(statistics.stdev(values))} (mean ± std over "
                     f"{len(values)} seeds; {show(min(values))} to {show(max(values))}); the target met on {met} of "
                     f"{len(group)}.")
    return lines


def judge_of(slug: str, load: Callable[[str], Any]) -> Callable[[Any], list[Verdict]] | None:
    """The lesson's `verdicts`; a lesson that cannot be imported here is judged by a function that raises
    its error, so its row says why instead of the whole index failing."""
    try:
        return getattr(load(slug), "verdicts", None)
    except Exception as error:
        def unloadable(view, error=error):
            raise error
        return unloadable


def write_index(store: Store, workdir: Path | str, lessons: Sequence[Any], load: Callable[[str], Any]) -> Path:
    """Write `<workdir>/index.md` from the store: `lessons` is the catalogue, `load(slug)` a lesson module."""
    workdir = Path(workdir)
    table, sections = [], []
    ready = met = judged = 0
    for lesson in lessons:
        found: list[Context] = []
        if lesson.module and store.runs(lesson.slug, kind="run"):
            found = contexts(store, lesson.slug, judge_of(lesson.slug, load), workdir)
        ready += bool(lesson.module)
        row = lesson_row(lesson, found, workdir)
        table.append(row)
        if row["verdict"] in ("met", "missed"):
            judged += 1
            met += row["verdict"] == "met"
        compared = comparison(lesson.slug, found)
        if compared:
            rows, findings = compared
            sections.append(f"### {lesson.number} · `{lesson.slug}`\n\n{rows}"
                            + ("\n\n" + "\n".join(f"- {f}" for f in findings) if findings else ""))
    run_lessons = sum(row["run"] != "not run" for row in table)
    intro = textwrap.fill(
        f"Compiled from the results store in this folder at {datetime.now(timezone.utc).isoformat(timespec='seconds')}, "
        f"never typed: {len(lessons)} lessons in the course, {ready} ready, {run_lessons} run here; {met} of the "
        f"{judged} judged on a full run meet their target. A row shows the lesson's latest full run (its latest "
        f"quick run when it has none): its headline is the first target its conclusions judge (COURSE.md) on that "
        f"run's records, and a quick run is not judged. Wall time is the training time of the variants the report "
        f"covers.", 110)
    parts = ["# The course at a glance", intro, markdown_table(table)]
    parts.append("## Runs of one lesson that differ in one thing")
    if sections:
        parts.append(textwrap.fill(
            "Every (seed, mode, backend, data) a lesson was run with, latest first: its headline figure and "
            "verdict; below each table, the pairs that differ in one aspect, and the spread over seeds.", 110))
        parts += sections
    else:
        parts.append("No lesson has been run here in more than one way yet (another `--seed`, `--quick`, or "
                     "`KERAS_BACKEND=jax` gives a second run to compare).")
    path = workdir / INDEX
    partial = path.with_name(INDEX + ".partial")  # replaced in one step: an interrupted write leaves the old one
    partial.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    partial.replace(path)
    return path
