"""`nnlab notebook`: a lesson as a Jupyter notebook that teaches it step by step, or one per ready lesson
with an index.

A lesson's notebook opens with the module's docstring, installs nnlab where it is missing (Colab), then
calls the package: the config, the data (`load_data`, shown by `nnlab.notebook.show_data`), the grid,
each experiment trained through the harness (`run_lesson` with `--only EXPERIMENT`, so the results
store and resuming work as from the shell) with its report sections inline, and the conclusions. The
experiments are read from the grid when the notebook runs, since a grid may depend on its data (the
detectors a machine has, say); writing a notebook loads nothing and imports no lesson.
"""
from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from nnlab.catalog import LESSONS, LessonInfo, ready
from nnlab.errors import UserError

INSTALL_SPEC = "nnlab"   # what `%pip install` asks for where nnlab is missing
INDEX = "index.ipynb"


@dataclass(frozen=True)
class NotebookOptions:
    """How a written notebook runs its lesson: quick or full, and the workdir of its results store
    (None: the notebook's own default, $NNLAB_HOME or ./nnlab-runs beside the kernel)."""

    quick: bool = False
    workdir: Path | None = None
    install: str = INSTALL_SPEC  # what the first cell gives `%pip install` (a name, a git URL, a wheel)


def lesson_docstring(lesson: LessonInfo) -> str:
    """The lesson module's docstring, read from its source without importing it (no TensorFlow)."""
    spec = importlib.util.find_spec(lesson.module)
    source = Path(spec.origin).read_text(encoding="utf-8")
    return ast.get_docstring(ast.parse(source)) or lesson.title


def lesson_notebook(lesson: LessonInfo, options: NotebookOptions):
    """The notebook of one ready lesson (an nbformat v4 NotebookNode)."""
    from nbformat.v4 import new_code_cell, new_markdown_cell

    mode = "quick (a small subset and few epochs: the code of the lesson, not its figures)" if options.quick \
        else "full (the lesson's figures; hours for some lessons on a CPU)"
    workdir = f"Path({str(options.workdir)!r})" if options.workdir is not None else "default_workdir()"
    title, _, body = lesson_docstring(lesson).partition("\n")
    cells = [
        new_markdown_cell(f"# {title}\n\n{body.strip()}"),
        new_markdown_cell("Written by `nnlab notebook`. Run the cells top to bottom. The first installs nnlab "
                          "where it is missing (Colab); where nnlab is importable it does nothing."),
        new_code_cell("try:\n    import nnlab\nexcept ImportError:\n"
                      f"    %pip install {options.install}"),
        new_markdown_cell(f"## Set-up\n\nThe lesson module, the run's options and its config. Mode: {mode}. "
                          "Results go to the results store in `options.workdir`; running a cell again skips "
                          "every variant already finished there (change `quick` or `seed` to train anew)."),
        new_code_cell("from pathlib import Path\n\n"
                      "from nnlab.notebook import Walk, load_lesson, show_config, show_data, show_grid\n"
                      "from nnlab.runner import RunOptions, default_workdir\n\n"
                      f"lesson = load_lesson({lesson.slug!r})\n"
                      f"options = RunOptions(workdir={workdir}, quick={options.quick}, seed=0)\n"
                      "config = lesson.make_config(options)\n"
                      "show_config(config)"),
        new_markdown_cell("## The data\n\nWhat `load_data` returns: the dataset, its splits and arrays, and "
                          "the first examples."),
        new_code_cell("data = lesson.load_data(config, options)\nshow_data(data)"),
        new_markdown_cell("## The experiment grid\n\nEvery variant the lesson trains, in report order; "
                          "each experiment is one block of the report."),
        new_code_cell("variants = lesson.grid(config, data)\nexperiments = show_grid(variants)"),
        new_markdown_cell("## The experiments\n\nEach experiment is trained as `nnlab run "
                          f"{lesson.slug} --only EXPERIMENT` would: every variant is recorded in the store "
                          "when it finishes, and the report is compiled again. Below each heading: the "
                          "training lines, then the report's sections on that experiment."),
        new_code_cell("walk = Walk(lesson, options, data, variants)\n"
                      "for experiment in experiments:\n"
                      "    walk.experiment(experiment)"),
        new_markdown_cell("## Across the experiments, and the conclusions\n\nThe report's remaining sections; "
                          "the conclusions are computed from the recorded numbers."),
        new_code_cell("walk.finish()"),
    ]
    return _notebook(cells)


def index_notebook(written: dict[str, str]):
    """The course's index: every lesson of the catalogue in order, number, title, status, and a link to
    its notebook where one was written (`written`: slug -> file name)."""
    from nbformat.v4 import new_markdown_cell

    rows = ["| # | lesson | status | notebook |", "| --- | --- | --- | --- |"]
    for lesson in LESSONS:
        link = f"[{written[lesson.slug]}]({written[lesson.slug]})" if lesson.slug in written else "–"
        rows.append(f"| {lesson.number} | {lesson.title} (`{lesson.slug}`) | {lesson.status} | {link} |")
    return _notebook([new_markdown_cell("# The nnlab course: one notebook per lesson\n\n"
                                        "Written by `nnlab notebook --all`; a planned lesson has no notebook yet."
                                        "\n\n" + "\n".join(rows))])


def write_notebooks(slugs: list[str], out: Path, options: NotebookOptions, *, index: bool) -> list[Path]:
    """Write `<out>/<slug>.ipynb` for each lesson (and `<out>/index.ipynb` when `index`); the paths."""
    import nbformat

    lessons = [ready(slug) for slug in slugs]
    written: dict[str, str] = {}
    paths = []
    for lesson in lessons:
        paths.append(_write(nbformat, lesson_notebook(lesson, options), out / f"{lesson.slug}.ipynb"))
        written[lesson.slug] = paths[-1].name
    if index:
        paths.append(_write(nbformat, index_notebook(written), out / INDEX))
    return paths


def _notebook(cells):
    from nbformat.v4 import new_notebook

    return new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})


def _write(nbformat, notebook, path: Path) -> Path:
    nbformat.validate(notebook)
    try:
        nbformat.write(notebook, str(path))
    except OSError as error:
        raise UserError(f"cannot write {path} ({error.strerror or error}). Fix: pass --out DIR, a folder you "
                        f"can write") from None
    return path
