"""The training recipe of the NumPy lessons: a tf_raw DenseNetwork trained on digits over several seeds.

Close variants (one activation against another, 16 against 32 neurons) differ by less than the
spread a new random initialisation causes, so every variant is trained once per seed on the same
split; its metrics are the means over seeds and its info holds their standard deviations.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from nnlab.data.images import ImageClasses
from nnlab.recipes.seeds import over_seeds
from nnlab.runner import Outcome
from tf_raw.two_layer import DenseNetwork

SPLITS = ("train", "val", "test")


def flat(x: np.ndarray) -> np.ndarray:
    """(n, H, W) images → (n, H·W) rows, the input a dense network takes."""
    return x.reshape(len(x), -1)


def dense_network_outcome(data: ImageClasses, *, hidden: Sequence[int], activation: str, epochs: int,
                          batch_size: int, learning_rate: float, seeds: Sequence[int]) -> Outcome:
    """Train DenseNetwork(hidden, activation) by mini-batch SGD once per seed; report means over the seeds.

    metrics: split → {"accuracy", "loss"} (means); history: the per-epoch mean over seeds of every
    series `DenseNetwork.fit` records; info: parameters, epochs, s/epoch, seeds and the per-split std of
    accuracy and loss (`over_seeds`).
    """
    arrays = {split: (flat(getattr(data, f"x_{split}")), getattr(data, f"y_{split}")) for split in SPLITS}

    def train_one(seed: int) -> Outcome:
        network = DenseNetwork(arrays["train"][0].shape[1], hidden, data.n_classes, activation=activation, seed=seed)
        history = network.fit(*arrays["train"], epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                              seed=seed, validation=arrays["val"])
        metrics = {split: {"accuracy": float(np.mean(network.predict(x) == y)), "loss": network.loss(x, y)}
                   for split, (x, y) in arrays.items()}
        return Outcome(metrics, history, {"parameters": network.parameters, "epochs_run": epochs})

    return over_seeds(train_one, seeds)
