"""Airline passengers 1949-1960: Box & Jenkins's series G as a two-column monthly CSV."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Mapping

import numpy as np

from nnlab.data.fetch import RemoteFile
from nnlab.data.spec import DatasetSpec
from nnlab.errors import DataError


def parse(paths: Mapping[str, Path]) -> dict[str, np.ndarray]:
    """A two-column CSV with a header, "YYYY-MM",value per row → {"months": str array, "values": float64}."""
    with open(paths["series"], newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    try:
        months = np.array([month for month, _ in rows[1:]])
        values = np.array([float(value) for _, value in rows[1:]])
    except ValueError as error:
        raise DataError(f"{paths['series']} is not a 'month,value' CSV ({error}). Fix: replace the file")
    return {"months": months, "values": values}


SPEC = DatasetSpec(
    name="airline_passengers",
    title="Airline passengers 1949-1960 (Box & Jenkins series G, monthly totals in thousands)",
    files={"series": RemoteFile(
        "airline-passengers.csv",
        "https://raw.githubusercontent.com/jbrownlee/Datasets/master/airline-passengers.csv",
        "8cb51be753a718d9be5d76d7e238cc224792754676adc21faa59e954b0201621")},
    parse=parse,
    licence="public domain; Box & Jenkins (1976), Time Series Analysis, series G",
)
