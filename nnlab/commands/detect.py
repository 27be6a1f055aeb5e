"""`nnlab detect IMAGE`: run one or more detectors on a picture, print, draw and record what they find.

For each model: a table (rank, label, score, box in pixels, area %), the time of the first call and
the warm median, and an annotated PNG `<out>/<picture>_<model>.png`. Everything is recorded in the
results store as a run of kind "detect" (lesson "detect"), one variant per model, with the detections
as an artifact, so a picture analysed from the command line is kept like a lesson's variants.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from nnlab.detectors import load_detector, timed_detect
from nnlab.pictures import Picture, read_picture

COMMAND = "detect"


@dataclass(frozen=True)
class DetectOptions:
    image: str
    models: tuple[str, ...]
    top: int
    min_score: float
    warm_runs: int
    out_dir: Path
    workdir: Path
    argv: tuple[str, ...] = ()


def output_name(picture: Picture, model: str) -> str:
    stem = Path(picture.source).stem if not picture.source.startswith("skimage:") else picture.source[8:]
    model_part = Path(model.rstrip("/")).stem if ("/" in model or model.endswith(".tflite")) else model
    return re.sub(r"[^A-Za-z0-9._-]+", "-", f"{stem}_{model_part}") + ".png"


def run_detect(options: DetectOptions) -> list[Path]:
    """Detect with every model of `options`, in order; returns the annotated PNGs written."""
    from nnlab.bookkeeping import recorded_run
    from nnlab.runner import Variant, variant_key, versions
    from reports.detections import detection_table, draw_detections
    from reports.store import RunContext

    picture = read_picture(options.image)
    # All models load before anything is recorded, so a model that cannot be had leaves no trace.
    detectors = [load_detector(model) for model in options.models]
    config = {"models": list(options.models), "top": options.top, "min_score": options.min_score,
              "warm_runs": options.warm_runs}
    ctx = RunContext(lesson=COMMAND, kind=COMMAND, seed=0, quick=False, backend="tensorflow",
                     dataset=picture.name, dataset_sha256=picture.sha256, data_info=picture.info(),
                     config=config, versions=versions())
    written = []

    def interrupted_note(store) -> str:
        return (f"the detector running is marked 'interrupted'; {len(written)} annotated pictures were written. "
                f"Run the same command again to detect anew.")

    with recorded_run(options.workdir, ctx, list(options.argv), interrupted_note) as book:
        print(f"{picture.name}: {picture.width}x{picture.height} pixels"
              + (f" ({'; '.join(picture.notes)})" if picture.notes else ""), flush=True)
        for ordinal, (model, detector) in enumerate(zip(options.models, detectors), 1):
            variant = Variant(COMMAND, model, {"model": model, "backend": detector.backend})
            # every call is a new measurement, so the claim never skips a finished key
            claim = book.claim(experiment=COMMAND, variant=model, ordinal=ordinal,
                               key=variant_key(COMMAND, variant, config, ctx), params=variant.params,
                               config=config, rerun=True)
            if claim.holder:
                print(f"\n## {model}: being timed by another nnlab detect ({claim.holder}), skipped", flush=True)
                continue
            timed = timed_detect(detector, picture.pixels, options.top, options.warm_runs)
            found = [d for d in timed.detections if d.score >= options.min_score]
            path = draw_detections(picture.pixels, found, options.out_dir / output_name(picture, model),
                                   labelled=10)
            written.append(path)
            print(f"\n## {model}: {detector.description}\n\n"
                  f"first call {timed.first_seconds:.3f} s, warm median {1000 * timed.warm_median:.1f} ms over "
                  f"{options.warm_runs} calls; {len(found)} objects (top {options.top}, score ≥ {options.min_score})"
                  f"\n\n{detection_table(found, picture.height, picture.width)}\n\nannotated: {path}", flush=True)
            book.finish(
                wall_seconds=timed.first_seconds + sum(timed.warm_seconds),
                metrics={"inference": {"first_s": timed.first_seconds, "warm_median_s": timed.warm_median},
                         "objects": {"listed": len(found), "above_threshold": sum(d.score > 0.5 for d in found)}},
                info={"description": detector.description, "backend": detector.backend,
                      "warm_runs": options.warm_runs},
                artifacts={"detections": [d.as_dict() for d in found], "annotated": str(path)})
    print(f"\nrecorded in {book.store.path} (run #{book.run_id}, lesson '{COMMAND}')", flush=True)
    return written
