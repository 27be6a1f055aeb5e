"""Lesson 16 · detection: pretrained object detectors on your own picture (GeekBrains L7).

What it teaches: what an off-the-shelf COCO detector sees in a picture, and what the two classic
designs trade. The lesson runs every detector it can load on one picture:
  - SSD MobileNet v2 320x320 (one stage: boxes and classes straight from anchor boxes) and
  - Faster R-CNN ResNet50 v1 640x640 (two stages: region proposals, then a classifier per region),
    both from TF Hub (the TF2 Detection Zoo), and
  - the uint8 TFLite SSD MobileNet v1 kept in $NNLAB_MODELS_DIR, which works without internet;
it lists each one's top 10 and top 100 objects (label, score, box in pixels, area), draws them, times
the first call and the warm median, and compares the models on the same picture: how many objects
each finds above a score of 0.5, which of them the models agree on (same label, IoU >= 0.5), and
the time. The report ends with a written review of YOLO, a detector the lesson does not run
(homework question 1).

Data: your picture (`--image photo.jpg`), or scikit-image's `astronaut` photo (512x512).

Expected result: on `astronaut` the TFLite SSD's top object is the person (score about 0.65); the
README shows its whole table. A detector that cannot be loaded (a TF Hub model not yet cached on a
machine without internet) is listed as unavailable in the report; the others still run.

Run: `nnlab run detection [--image photo.jpg] [--quick]`.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from importlib import resources
from itertools import combinations

from nnlab.data.bundles import Bundle
from nnlab.detectors import Detection, Detector, TFLiteSSD, load_detector, timed_detect
from nnlab.errors import UserError
from nnlab.pictures import Picture, read_picture
from nnlab.runner import Outcome, RunOptions, Variant, apply_run_options

QUICK_NOTE = "2 warm runs per detector instead of 10: detections are the same, timings rougher"
SLUG = "detection"
ACCEPTS_IMAGE = True  # `nnlab run detection --image PATH`
REVIEW = "detection_data/review_yolo.md"
TARGET_DETECTORS = 2  # COURSE.md: "both models" (SSD MobileNet v2, Faster R-CNN) on one picture; any two count


@dataclass(frozen=True)
class Config:
    models: tuple[str, ...] = ("ssd", "faster-rcnn", "ssd-v1-tflite")
    tops: tuple[int, ...] = (10, 100)    # the homework: find 10 objects, then 100
    min_score: float = 0.0               # list whatever the model returns, down to its weakest object
    object_threshold: float = 0.5        # "an object" when comparing models: score above this
    match_iou: float = 0.5               # two models agree on an object: same label and IoU at least this
    warm_runs: int = 10                  # timed calls after the first one (their median is reported)
    default_picture: str = "skimage:astronaut"


def make_config(options: RunOptions) -> Config:
    if options.epochs:
        raise UserError("--epochs does not apply to the detection lesson: its detectors are pretrained, "
                        "nothing is trained. Fix: drop --epochs")
    return apply_run_options(Config(), options, warm_runs=2)


# ---- data: the picture and the detectors that can be loaded --------------------------------------

@dataclass
class Scene(Bundle):
    """The picture (the lesson's whole dataset, named and hashed by its pixels) and its detectors."""

    picture: Picture
    detectors: dict[str, Detector]
    unavailable: dict[str, str]          # model -> why it could not be loaded

    def details(self) -> dict:
        return {**self.picture.info(), "unavailable": self.unavailable,
                "models": {name: d.description for name, d in self.detectors.items()}}


def load_data(config: Config, options: RunOptions) -> Scene:
    picture = read_picture(options.image or config.default_picture)
    detectors, unavailable = {}, {}
    for name in config.models:
        try:
            detectors[name] = load_detector(name)
        except UserError as error:
            unavailable[name] = str(error)
            print(f"{SLUG}: model '{name}' is unavailable and is left out: {error}", flush=True)
    return Scene(picture, detectors, unavailable, dataset=picture.name, sha256=picture.sha256,
                 notes=picture.notes)


# ---- the experiment grid: one variant per detector -----------------------------------------------

def grid(config: Config, data: Scene) -> list[Variant]:
    return [Variant("models", name, {"model": name, "backend": detector.backend})
            for name, detector in data.detectors.items()]


def train(variant: Variant, data: Scene, config: Config, seed: int) -> Outcome:
    """Nothing is trained: the detector runs on the picture, once cold and `warm_runs` times warm."""
    detector = data.detectors[variant.name]
    timed = timed_detect(detector, data.picture.pixels, max(config.tops), config.warm_runs)
    found = [d for d in timed.detections if d.score >= config.min_score]
    artifacts = {"detections": [d.as_dict() for d in found]}
    if isinstance(detector, TFLiteSSD):
        artifacts["builtin"] = [d.as_dict() for d in detector.builtin()]
    metrics = {"inference": {"first_s": timed.first_seconds, "warm_median_s": timed.warm_median},
               "objects": {"listed": len(found),
                           "above_threshold": sum(d.score > config.object_threshold for d in found)}}
    info = {"description": detector.description, "backend": detector.backend, "warm_runs": config.warm_runs}
    return Outcome(metrics=metrics, info=info, artifacts=artifacts)


# ---- report --------------------------------------------------------------------------------------

def found_by(view, record) -> list[Detection]:
    return [Detection.from_dict(row) for row in view.artifact(record, "detections") or []]


def above(view, record) -> list[Detection]:
    threshold = record.config.get("object_threshold", 0.5)
    return [d for d in found_by(view, record) if d.score > threshold]


def figure_name(model: str, top: int) -> str:
    return f"detections_{re.sub(r'[^A-Za-z0-9]+', '-', model).strip('-')}_top{top}.png"


def reload_picture(view) -> Picture | None:
    """The picture the run used, read again from its source, if it is still there unchanged."""
    try:
        picture = read_picture(view.data_info.get("source", ""))
    except UserError:
        return None
    return picture if picture.sha256 == view.run["dataset_sha256"] else None


def report_sections(view) -> list[str]:
    from reports.tables import markdown_table

    info = view.data_info
    records = view.experiment("models")
    picture = reload_picture(view)
    notes = "; ".join(info.get("notes", [])) or "none (already RGB, 8 bits)"
    sections = [f"## The picture\n\n**{info.get('picture')}**, {info.get('width')}×{info.get('height')} pixels "
                f"(source `{info.get('source')}`). Conversions: {notes}."
                + ("" if picture else "\n\n*The picture can no longer be read from its source, so the annotated "
                                      "images are not redrawn.*")]
    rows = [{"model": f"`{r.variant}`", "what": r.info.get("description"), "status": "ran"} for r in records]
    rows += [{"model": f"`{name}`", "what": "–", "status": f"unavailable: {why}"}
             for name, why in info.get("unavailable", {}).items()]
    sections.append("## Detectors\n\n" + (markdown_table(rows) if rows else "*No detectors were configured.*"))
    sections += [model_section(view, record, picture) for record in records]
    sections.append(comparison_section(view, records))
    sections.append(resources.files("nnlab").joinpath(REVIEW).read_text(encoding="utf-8").strip())
    return sections


def model_section(view, record, picture: Picture | None) -> str:
    from reports.detections import detection_table, draw_detections

    found = found_by(view, record)
    height, width = view.data_info["height"], view.data_info["width"]
    tops = record.config.get("tops", [10, 100])
    parts = [f"## `{record.variant}`: the top {' and the top '.join(str(t) for t in tops)}",
             f"{record.info.get('description')}. First call {record.metric('inference', 'first_s'):.3f} s; "
             f"warm median {1000 * record.metric('inference', 'warm_median_s'):.1f} ms over "
             f"{record.info.get('warm_runs')} calls. {len(found)} objects listed, "
             f"{len(above(view, record))} with a score above {record.config.get('object_threshold')}."]
    for top in tops:
        shown = found[:top]
        if picture is not None:
            path = draw_detections(picture.pixels, shown, view.figure(figure_name(record.variant, top)),
                                   labelled=min(top, 10))
            parts.append(view.image(path, f"{record.variant}: top {top} objects"))
        table = detection_table(shown, height, width)
        if top > min(tops):
            table = f"<details><summary>Top {top}: {len(shown)} objects</summary>\n\n{table}\n\n</details>"
        else:
            table = f"Top {top}:\n\n{table}"
        parts.append(table)
    builtin = view.artifact(record, "builtin")
    if builtin is not None:
        parts.append(builtin_check(found, [Detection.from_dict(row) for row in builtin]))
    return "\n\n".join(parts)


def builtin_agreement(decoded: list[Detection], builtin: list[Detection]) -> int:
    """How many leading rows of the decoded list equal the built-in post-processing's (label, score, box)."""
    same = 0
    for mine, theirs in zip(decoded, builtin):
        if mine.class_id != theirs.class_id or not math.isclose(mine.score, theirs.score, abs_tol=1e-4) \
                or max(abs(a - b) for a, b in zip(mine.box, theirs.box)) > 1e-3:
            break
        same += 1
    return same


def builtin_check(decoded: list[Detection], builtin: list[Detection]) -> str:
    same = builtin_agreement(decoded, builtin)
    verdict = "identical" if same == len(builtin) else f"identical up to rank {same}, then different"
    return (f"The TFLite model's built-in post-processing stops at {len(builtin)} objects; the longer list is "
            f"decoded from its anchors and raw scores. Its first {len(builtin)} rows against the built-in "
            f"list: **{verdict}** (label, score within 1e-4, box within 1e-3).")


def comparison_section(view, records) -> str:
    from reports.detections import matched_pairs
    from reports.tables import markdown_table

    if not records:
        return "## Comparison on the same picture\n\n*No detector ran on this picture, so there is nothing to compare.*"
    threshold = records[0].config.get("object_threshold", 0.5)
    rows = []
    for record in records:
        objects = above(view, record)
        best = objects[0] if objects else None
        rows.append({"model": f"`{record.variant}`", "backend": record.info.get("backend"),
                     f"objects > {threshold}": len(objects),
                     "labels": ", ".join(f"{d.label} {d.score:.2f}" for d in objects) or "–",
                     "first call s": f"{record.metric('inference', 'first_s'):.3f}",
                     "warm median ms": f"{1000 * record.metric('inference', 'warm_median_s'):.1f}",
                     "top-1": f"{best.label} {best.score:.2f}" if best else "–"})
    parts = ["## Comparison on the same picture", markdown_table(rows)]
    if len(records) < 2:
        parts.append(f"Agreement between models needs two of them; only `{records[0].variant}` ran here.")
        return "\n\n".join(parts)
    iou_needed = records[0].config.get("match_iou", 0.5)
    pairs = []
    for a, b in combinations(records, 2):
        matched = matched_pairs(above(view, a), above(view, b), iou_needed)
        pairs.append({"models": f"`{a.variant}` / `{b.variant}`",
                      "objects": f"{len(above(view, a))} / {len(above(view, b))}",
                      "matched pairs": len(matched),
                      "matched (IoU)": ", ".join(f"{x.label} ({overlap:.2f})" for x, _, overlap in matched) or "–"})
    parts += [f"Agreement: objects above {threshold} of two models are paired when they have the same label "
              f"and their boxes overlap with IoU ≥ {iou_needed} (greedy, best overlap first).",
              markdown_table(pairs)]
    return "\n\n".join(parts)


def conclusions(view) -> list[str]:
    from reports.detections import matched_pairs

    records = view.experiment("models")
    lines = [f"Not run: `{name}` ({why.split('. Fix:')[0]})."
             for name, why in view.data_info.get("unavailable", {}).items()]
    if not records:
        return lines + ["No detector could be loaded, so the picture was not analysed."]
    threshold = records[0].config.get("object_threshold", 0.5)
    counts = {r.variant: len(above(view, r)) for r in records}
    for record in records:
        found = found_by(view, record)
        if found:
            lines.append(f"`{record.variant}` ranks **{found[0].label}** first ({found[0].score:.2f}) and finds "
                         f"{counts[record.variant]} object(s) above {threshold} among the {len(found)} it lists.")
    if len(records) > 1:
        most = max(records, key=lambda r: counts[r.variant])
        fastest = min(records, key=lambda r: r.metric("inference", "warm_median_s"))
        slowest = max(records, key=lambda r: r.metric("inference", "warm_median_s"))
        lines.append(f"Most objects above {threshold}: `{most.variant}` ({counts[most.variant]}).")
        ratio = slowest.metric("inference", "warm_median_s") / fastest.metric("inference", "warm_median_s")
        lines.append(f"Fastest when warm: `{fastest.variant}` at "
                     f"{1000 * fastest.metric('inference', 'warm_median_s'):.1f} ms, {ratio:.1f}× faster than "
                     f"`{slowest.variant}`.")
        iou_needed = records[0].config.get("match_iou", 0.5)
        for a, b in combinations(records, 2):
            matched = matched_pairs(above(view, a), above(view, b), iou_needed)
            lines.append(f"`{a.variant}` and `{b.variant}` agree on {len(matched)} of their "
                         f"{counts[a.variant]} and {counts[b.variant]} objects above {threshold}.")
    for record in records:
        builtin = view.artifact(record, "builtin")
        if builtin is not None:
            rows = [Detection.from_dict(row) for row in builtin]
            same = builtin_agreement(found_by(view, record), rows)
            lines.append(f"`{record.variant}`: the decoded top-100 list reproduces the built-in top {len(rows)} "
                         f"on {same} of its first {len(rows)} rows.")
    lines += [verdict.sentence() for verdict in verdicts(view)]
    return lines



def verdicts(view) -> list:
    """The target (COURSE.md): on the same picture, both models list their top 10 and top 100 objects.
    `value`: how many detectors listed the longest top in full; a detector that could not be loaded
    (a TF Hub model offline) counts as not listing, and the shown text names it."""
    from reports.conclusions import Verdict

    records = view.experiment("models")
    if not records:
        return []
    tops = records[0].config.get("tops", [10, 100])
    full = [r for r in records if r.metric("objects", "listed") >= max(tops)]
    unavailable = list(view.data_info.get("unavailable", {}))
    shown = (f"{len(full)} of {len(records) + len(unavailable)} detectors on {view.data_info.get('picture')}; "
             "objects listed: " + ", ".join(f"`{r.variant}` {r.metric('objects', 'listed'):.0f}" for r in records)
             + ("; not loaded: " + ", ".join(f"`{name}`" for name in unavailable) if unavailable else ""))
    return [Verdict(f"{TARGET_DETECTORS} detectors list their top {' and top '.join(map(str, tops))} objects "
                    f"on the same picture", float(len(full)), shown, len(full) >= TARGET_DETECTORS,
                    full_run=not view.quick)]
