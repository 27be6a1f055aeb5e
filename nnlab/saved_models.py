"""Trained models a lesson saved to disk and recorded in the store: what `nnlab translate` and
`nnlab compose` choose from."""
from __future__ import annotations

from pathlib import Path

from nnlab.errors import UserError
from reports.store import Store, VariantRecord


def saved_models(workdir: Path | str, lesson: str, kind: str, train_hint: str) -> list[VariantRecord]:
    """The lesson's latest finished variants (full and quick runs alike) whose `info["model_file"]` still
    exists; a UserError naming `train_hint` when there are none. The store is only read."""
    path = Path(workdir) / Store.FILENAME
    if not path.is_file():
        raise UserError(f"no trained {kind} model: {workdir} has no results store. {train_hint}.")
    store = Store(path, readonly=True)
    try:
        # full and quick runs apart: records() keeps the latest of each variant within a mode
        records = [r for quick in (False, True) for r in store.records(lesson, quick=quick)
                   if "model_file" in r.info]
    finally:
        store.close()
    usable = [r for r in records if Path(r.info["model_file"]).is_file()]
    if not usable:
        missing = f" ({len(records)} recorded, their model files are gone)" if records else ""
        raise UserError(f"no trained {kind} model in {workdir}{missing}. {train_hint}.")
    return usable
