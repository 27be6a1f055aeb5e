"""The one base of every lesson's data bundle, and the quick-mode fallback rule.

A bundle is what a lesson's `load_data` returns: its own arrays, plus what the harness records of it
(`nnlab.contract.DataBundle`): the dataset's name and sha256 (both part of every variant's key), whether
a stand-in replaced it, notes for the report header, and `info()`. Subclasses add their arrays as
dataclass fields and say what else the header shows in `details()`; `Splits` is the base of those
holding train/validation/test arrays.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from nnlab.data.registry import load
from nnlab.data.spec import DatasetSpec, Loaded
from nnlab.errors import DataError


@dataclass(kw_only=True)
class Bundle:
    """dataset, sha256, fallback, notes and info(), keyword-only so a subclass's positional fields
    (its arrays) come first: `Segmentation(x_train, ..., dataset=loaded.name, sha256=loaded.sha256)`."""

    dataset: str       # the name shown in the report and stored with every variant
    sha256: str        # of the files read: a different file is different work
    fallback: bool = False  # True when a stand-in replaced the dataset (offline --quick)
    notes: list[str] = field(default_factory=list)

    def info(self) -> dict:
        """What a run records about the data; the report header reads "sizes" and "notes"."""
        return {"dataset": self.dataset, "fallback": self.fallback, "notes": self.notes, **self.details()}

    def details(self) -> dict:
        """What else this kind of data records: sizes per split, shapes, names."""
        return {}


@dataclass
class Splits(Bundle):
    """A bundle of train/validation/test arrays, one row per example: x_* inputs (N, ...), y_* targets (N,)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.y_train), "val": len(self.y_val), "test": len(self.y_test)}


def load_or_fallback(dataset: DatasetSpec | str, *, quick: bool, fallback: Callable[[], Loaded],
                     fallback_title: str) -> tuple[Loaded, list[str], bool]:
    """Load a registered dataset; only in quick mode, if it cannot be had, load `fallback()` instead
    and say so loudly. Returns (loaded, notes for the report header, whether it fell back)."""
    try:
        return load(dataset), [], False
    except DataError as error:
        if not quick:
            raise
        name = dataset if isinstance(dataset, str) else dataset.name
        print(f"WARNING: {error}\nWARNING: --quick falls back to {fallback_title}; "
              f"the figures are NOT {name} figures.", file=sys.stderr)
        return fallback(), [f"FALLBACK: {name} could not be loaded ({error}); this quick run used "
                            f"{fallback_title} instead."], True
