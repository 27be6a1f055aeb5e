"""Every dataset a lesson can load by name, and `load` itself."""
from __future__ import annotations

from nnlab.data.datasets import (airline_passengers, boston_housing, cifar10, fashion_mnist, fsdd, isbi_membrane,
                                 multi30k, notmnist, nottingham)
from nnlab.data.spec import DatasetSpec, Loaded

DATASETS: dict[str, DatasetSpec] = {module.SPEC.name: module.SPEC for module in (
    fashion_mnist, boston_housing, notmnist, cifar10, airline_passengers, isbi_membrane, multi30k,
    nottingham, fsdd)}


def load(dataset: DatasetSpec | str) -> Loaded:
    """Fetch, verify and parse a registered dataset by name (or a spec, e.g. one a test built on tiny files)."""
    return (DATASETS[dataset] if isinstance(dataset, str) else dataset).load()
