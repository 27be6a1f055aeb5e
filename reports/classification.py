"""Report sections every classification lesson shares: variant tables, curves, confusion matrix."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from reports import plots
from reports.report import ReportView
from reports.store import VariantRecord
from reports.tables import count, markdown_table, number, percent

ACCURACY_COLUMNS = {
    "train acc": lambda r: r.metric("train", "accuracy"),
    "val acc": lambda r: r.metric("val", "accuracy"),
    "test acc": lambda r: r.metric("test", "accuracy"),
    "test loss": lambda r: r.metric("test", "loss"),
}
TIMING_COLUMNS = {
    "parameters": lambda r: r.info.get("parameters"),
    "epochs": lambda r: r.info.get("epochs_run"),
    "s/epoch": lambda r: r.info.get("seconds_per_epoch"),
    "wall s": lambda r: r.wall_seconds,
}
FORMATS = {"train acc": percent, "val acc": percent, "test acc": percent, "test loss": number,
           "parameters": count, "epochs": count, "s/epoch": lambda v: number(v, 2),
           "wall s": lambda v: number(v, 1)}


def variant_table(records: Sequence[VariantRecord], param_columns: dict[str, Callable[[VariantRecord], object]],
                  baseline: VariantRecord | Sequence[VariantRecord] | None = None, *,
                  metric_columns: dict[str, Callable[[VariantRecord], object]] | None = None,
                  formats: dict[str, Callable[[object], str]] | None = None) -> str:
    """One row per variant (the baselines first, in italics): its parameters, scores, size and time.

    The scores are the accuracy columns unless `metric_columns` (with their `formats`) are given.
    """
    baselines = [] if baseline is None else [baseline] if isinstance(baseline, VariantRecord) else list(baseline)
    columns = {"variant": lambda r: f"`{r.variant}`", **param_columns, **(metric_columns or ACCURACY_COLUMNS),
               **TIMING_COLUMNS}
    rows = []
    for record in baselines + list(records):
        row = {name: get(record) for name, get in columns.items()}
        if any(record is b for b in baselines):
            row["variant"] = f"*baseline: {record.variant}*"
        rows.append(row)
    return markdown_table(rows, list(columns), {**FORMATS, **(formats or {})})


def experiment_section(view: ReportView, experiment: str, title: str, description: str,
                       param_columns: dict[str, Callable[[VariantRecord], object]],
                       baseline: VariantRecord | None = None) -> str:
    """Heading, what the experiment varies, its table, and a learning-curve figure."""
    records = view.experiment(experiment)
    if not records:
        return f"## {title}\n\n{description}\n\n*No finished variants recorded yet.*"
    parts = [f"## {title}", description, variant_table(records, param_columns, baseline)]
    curves = {r.variant: r.history for r in records if r.history}
    if curves:
        path = plots.learning_curves(curves, view.figure(f"curves_{experiment}.png"),
                                     title=f"{title}: accuracy per epoch", ylabel="accuracy")
        parts.append(view.image(path, f"learning curves, {title}"))
    return "\n\n".join(parts)


def confusion_section(view: ReportView, record: VariantRecord, class_names: Sequence[str],
                      split: str = "test") -> str:
    """Confusion-matrix heat map and per-class precision/recall/F1 of one variant's predictions."""
    from sklearn.metrics import confusion_matrix

    from reports.tables import per_class_table

    y_true = view.artifact(record, f"{split}_true")
    y_pred = view.artifact(record, f"{split}_pred")
    if y_true is None or y_pred is None:
        return f"*`{record.variant}` has no stored {split} predictions.*"
    matrix = confusion_matrix(y_true, y_pred, labels=list(range(len(class_names))))
    path = plots.confusion_heatmap(matrix, class_names, view.figure(f"confusion_{record.experiment}.png"),
                                   title=f"{record.variant}: where the {split} errors go")
    worst = int(np.argmin(np.diag(matrix) / np.maximum(matrix.sum(axis=1), 1)))
    confused = int(np.argmax(np.where(np.eye(len(matrix), dtype=bool), -1, matrix)[worst]))
    note = (f"Hardest class: **{class_names[worst]}**, recall {matrix[worst, worst] / max(matrix[worst].sum(), 1):.3f}; "
            f"it is most often taken for **{class_names[confused]}** ({matrix[worst, confused]} of "
            f"{matrix[worst].sum()} {split} images).")
    return "\n\n".join([view.image(path, f"confusion matrix of {record.variant}"), note,
                        per_class_table(y_true, y_pred, class_names)])
