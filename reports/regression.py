"""Table columns every regression lesson shares: its scores per split, in the target's unit."""
from __future__ import annotations

from typing import Callable, Sequence

from reports.store import VariantRecord

SCORES = {"loss": "loss", "MAE": "mae", "RMSE": "rmse", "R²": "r2"}


def metric_columns(splits: Sequence[str], scores: Sequence[str] = tuple(SCORES)
                   ) -> dict[str, Callable[[VariantRecord], float]]:
    """`{"<split> <score>": getter}` for each split and score (loss, MAE, RMSE, R²), in that order."""
    return {f"{split} {label}": (lambda r, s=split, n=SCORES[label]: r.metric(s, n))
            for split in splits for label in scores}


def metric_formats(columns: Sequence[str], digits: int = 3) -> dict[str, Callable[[float], str]]:
    from reports.tables import number

    return {column: (lambda v, d=digits: number(v, d)) for column in columns}
