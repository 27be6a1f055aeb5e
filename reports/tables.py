"""Markdown tables from rows of numbers (pandas -> tabulate), with consistent number formats."""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Sequence

import numpy as np


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def percent(value: float, digits: int = 2) -> str:
    return "–" if _missing(value) else f"{100 * value:.{digits}f}%"


def number(value: Any, digits: int = 3) -> str:
    if _missing(value):
        return "–"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    return f"{float(value):.{digits}f}"


def count(value: Any) -> str:
    """A whole number with thousands separators (pandas may have turned it into a float)."""
    return "–" if _missing(value) else f"{int(round(float(value))):,}"


def markdown_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None,
                   formats: Mapping[str, Callable[[Any], str]] | None = None) -> str:
    """A GitHub-markdown table of `rows` (dicts), columns in the given order, cells formatted."""
    import pandas as pd  # half a second of import, paid only when a table is drawn (not by the CLI's start)

    frame = pd.DataFrame(list(rows))
    if columns is not None:
        frame = frame.reindex(columns=list(columns))
    for column, fmt in (formats or {}).items():
        if column in frame:
            frame[column] = frame[column].map(fmt)
    return frame.to_markdown(index=False, disable_numparse=True, missingval="–")


def per_class_table(y_true: Sequence[int], y_pred: Sequence[int], class_names: Sequence[str]) -> str:
    """Precision, recall, F1 and support per class (scikit-learn), plus macro averages."""
    from sklearn.metrics import precision_recall_fscore_support

    labels = list(range(len(class_names)))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    rows = [{"class": name, "precision": p[i], "recall": r[i], "F1": f[i], "support": int(s[i])}
            for i, name in enumerate(class_names)]
    rows.append({"class": "**macro average**", "precision": float(np.mean(p)), "recall": float(np.mean(r)),
                 "F1": float(np.mean(f)), "support": int(np.sum(s))})
    fmt = {"precision": lambda v: f"{v:.3f}", "recall": lambda v: f"{v:.3f}", "F1": lambda v: f"{v:.3f}"}
    return markdown_table(rows, formats=fmt)
