"""Trained models a lesson saved to disk and recorded in the store: how they are written (a model file and
a JSON spec beside it) and what `nnlab translate`, `nnlab compose` and `nnlab say` choose from."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable

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


def save_model_files(stem: Path, save: Callable[[Path], None], spec: dict, *, suffix: str = ".keras") -> Path:
    """Write `<stem><suffix>` with `save(path)` and `<stem>.json` holding `spec`, each under a partial name
    first and renamed into place, so an interrupted save never leaves half a file under the real name.
    Returns the model file's path."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    model_path, spec_path = Path(f"{stem}{suffix}"), Path(f"{stem}.json")
    partial = Path(f"{stem}.partial{suffix}")
    save(partial)
    os.replace(partial, model_path)
    partial_spec = spec_path.with_suffix(".partial")
    partial_spec.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    os.replace(partial_spec, spec_path)
    return model_path


def load_keras_model_files(model_path: Path) -> tuple[Any, dict]:
    """The Keras model `save_model_files` wrote to `model_path` (a .keras file) and its JSON spec."""
    import keras

    model_path = Path(model_path)
    spec = json.loads(model_path.with_suffix(".json").read_text(encoding="utf-8"))
    return keras.models.load_model(str(model_path), compile=False), spec
