"""What a lesson's notebook (`nnlab notebook LESSON`) calls in its cells to show the lesson step by step.

The notebook trains nothing by itself: it calls `runner.run_lesson` once per experiment (as
`nnlab run LESSON --only EXPERIMENT` would), so the results store, resuming and the report are the
command line's. These helpers only display: the config, the data bundle, the grid, and after each
experiment the sections of the freshly compiled report with a table row of its variants, figures inline.
A section that covers several experiments (one table of baselines and networks, say) is shown again,
grown, after each of them; sections with no variant's row (a side-by-side summary, the best variant's
confusion matrix) and the conclusions come at the end.
"""
from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from nnlab.runner import RunOptions, Variant, config_dict, run_lesson

# As the CLI does: TensorFlow's C++ start-up lines (oneDNN, CUDA probes) would fill the first training
# cell's output; errors still show. Set before any cell imports a lesson, hence TensorFlow.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

EXAMPLES_SHOWN = 8                                            # images or values shown per array
FIGURE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+\.png)\)")      # a PNG the report links beside itself
CONCLUSIONS = "## Conclusions"


def load_lesson(slug: str) -> ModuleType:
    """The lesson's module (`catalog.load_module`), Keras and TensorFlow imported first with their C++
    start-up lines held back, as the CLI does (`nnlab.quiet`); NNLAB_THREADS is the CLI's alone."""
    from nnlab.catalog import load_module
    from nnlab.quiet import import_keras_quietly

    import_keras_quietly()
    return load_module(slug)


def show(markdown: str) -> None:
    """Display markdown as a rendered output (IPython); plain text outside a notebook."""
    from IPython.display import Markdown, display

    display(Markdown(markdown))


def show_config(config: Any) -> None:
    """The lesson's Config as a table of field and value, every knob of the run in one place."""
    from reports.tables import markdown_table

    show(markdown_table([{"field": name, "value": repr(value)} for name, value in config_dict(config).items()]))


def show_data(data: Any) -> None:
    """What the bundle holds: its info() (dataset, sizes, notes), each array's shape, dtype and first
    values, and the first few examples drawn when an array holds images (N, H, W) or (N, H, W, 1|3)."""
    from reports.tables import markdown_table

    info = data.info()
    notes = info.pop("notes", [])
    parts = [markdown_table([{"": key, "value": _short(value)} for key, value in info.items()])]
    arrays = _arrays(data)
    if arrays:
        parts.append(markdown_table([{"array": name, "shape": " × ".join(map(str, a.shape)) or "scalar",
                                      "dtype": str(a.dtype), "first values": _first_values(a)}
                                     for name, a in arrays.items()]))
    parts += [f"> {note}" for note in notes]
    show("\n\n".join(parts))
    _show_example_images(arrays, info.get("class_names") or [])


def show_grid(variants: list[Variant]) -> list[str]:
    """The experiment grid as a table (experiment, variant, parameters); returns the experiment names in
    grid order, each of which the notebook then trains and reports in turn."""
    from reports.tables import markdown_table

    show(markdown_table([{"experiment": v.experiment, "variant": f"`{v.name}`",
                          "parameters": ", ".join(f"{k}={_short(p)}" for k, p in v.params.items()) or "–"}
                         for v in variants]))
    return list(dict.fromkeys(v.experiment for v in variants))


@dataclass
class Walk:
    """A lesson's notebook going through its experiments: what the report sections last looked like
    when shown, so that one unchanged since is not shown twice."""

    module: ModuleType
    options: RunOptions
    data: Any
    variants: list[Variant]
    shown: dict[str, str] = field(default_factory=dict)   # heading line -> section text as last shown
    report: Path | None = None

    def experiment(self, name: str) -> None:
        """Train one experiment through the harness (`--only NAME`: finished variants are skipped), then
        show the report sections with a table row of its variants (a row opens with `name`); if none
        has, those that changed with this run and are not on screen as they are (a section that shows the
        experiment without a row per variant). The conclusions wait for the end."""
        show(f"## Experiment `{name}`")
        before = {_heading(s): s for s in report_sections(self.report)} if self.report else None
        self.report = run_lesson(self.module, replace(self.options, only=(name,)), data=self.data).report
        sections = [s for s in report_sections(self.report) if not s.startswith(CONCLUSIONS)]
        rows = re.compile("|".join(rf"^\|\s*`{re.escape(v.name)}`\s*\|" for v in self.variants
                                   if v.experiment == name), re.MULTILINE)
        found = [s for s in sections if rows.search(s)]
        if not found and before is not None:
            found = [s for s in sections if before.get(_heading(s)) != s and self.shown.get(_heading(s)) != s]
        if not found:
            show(f"*No section of the report is about `{name}` yet; its figures are in the lines above, and in "
                 f"later tables (as a baseline row) or the conclusions.*")
        for section in found:
            self.display(section)

    def finish(self) -> None:
        """The sections no experiment showed (summaries across experiments), then the conclusions."""
        if self.report is None:
            return
        sections = report_sections(self.report)
        for section in sections:
            if _heading(section) not in self.shown and not section.startswith(CONCLUSIONS):
                self.display(section)
        for section in sections:
            if section.startswith(CONCLUSIONS):
                self.display(section)

    def display(self, section: str) -> None:
        self.shown[_heading(section)] = section
        show_section(section, self.report.parent)


def report_sections(report: Path) -> list[str]:
    """The sections of a compiled report.md after its header: each from one `## ` heading to the next
    (its `###` subsections included), the conclusions last."""
    chunks = re.split(r"(?m)^(?=## )", report.read_text(encoding="utf-8"))
    return [chunk.strip() for chunk in chunks if chunk.startswith("## ")]


def show_section(section: str, folder: Path) -> None:
    """A report section with its figures inline: the markdown around each linked PNG, and the PNG itself
    (embedded in the notebook, so it still shows where the report's folder is not)."""
    from IPython.display import Image, display

    start = 0
    for match in FIGURE.finditer(section):
        if section[start:match.start()].strip():
            show(section[start:match.start()])
        path = folder / match.group(2)
        if path.is_file():
            display(Image(filename=str(path)))
        else:
            show(f"*({match.group(1)}: {path.name} is not in {folder})*")
        start = match.end()
    if section[start:].strip():
        show(section[start:])


def _heading(section: str) -> str:
    return section.split("\n", 1)[0]


def _arrays(data: Any) -> dict[str, np.ndarray]:
    if not is_dataclass(data):
        return {}
    return {f.name: getattr(data, f.name) for f in fields(data) if isinstance(getattr(data, f.name), np.ndarray)}


def _short(value: Any, limit: int = 80) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _first_values(array: np.ndarray) -> str:
    if array.ndim != 1:
        return f"one row: {' × '.join(map(str, array.shape[1:]))}, values {array.min():.3g} … {array.max():.3g}" \
            if array.size and np.issubdtype(array.dtype, np.number) else "–"
    return _short(", ".join(str(v) for v in array[:EXAMPLES_SHOWN].tolist()))


def _show_example_images(arrays: dict[str, np.ndarray], class_names: list[str]) -> None:
    """The first examples of the first array shaped like images, captioned by the labels beside it
    (x_train with y_train) through the class names when the bundle has them."""
    from IPython.display import Image, display

    from reports.plots import image_grid

    for name, images in arrays.items():
        grey = images.ndim == 3 and min(images.shape[1:]) >= 8
        colour = images.ndim == 4 and images.shape[-1] in (1, 3) and min(images.shape[1:3]) >= 8
        if not (grey or colour) or not np.issubdtype(images.dtype, np.number):
            continue
        labels = arrays.get(name.replace("x_", "y_", 1)) if name.startswith("x_") else None
        shown = images[:EXAMPLES_SHOWN].astype(np.float64)
        if shown.max() <= 1.0:  # pixels scaled to [0, 1]; the grid draws 0..255
            shown = shown * 255
        shown = shown[..., 0] if colour and images.shape[-1] == 1 else shown.astype(np.uint8) if colour else shown
        captions = [_caption(labels[i], class_names) if labels is not None and labels.ndim == 1 else f"#{i}"
                    for i in range(len(shown))]
        with tempfile.TemporaryDirectory() as folder:
            path = image_grid(list(shown), captions, Path(folder) / "examples.png",
                              title=f"the first {len(shown)} of {name}")
            display(Image(filename=str(path)))
        return


def _caption(label: Any, class_names: list[str]) -> str:
    if class_names and np.issubdtype(np.asarray(label).dtype, np.integer) and 0 <= int(label) < len(class_names):
        return str(class_names[int(label)])
    return str(label)
