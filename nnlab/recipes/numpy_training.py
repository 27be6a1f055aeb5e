"""The training recipe of the NumPy lessons: a tf_raw DenseNetwork trained on digits over several seeds.

Close variants (one activation against another, 16 against 32 neurons) differ by less than the
spread a new random initialisation causes, so every variant is trained once per seed on the same
split; its metrics are the means over seeds and its info holds their standard deviations.
"""
from __future__ import annotations

import time
from typing import Sequence

import numpy as np

from nnlab.data.images import ImageClasses
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
    series `DenseNetwork.fit` records; info: parameters, epochs, s/epoch, seeds and per-split std of accuracy.
    """
    arrays = {split: (flat(getattr(data, f"x_{split}")), getattr(data, f"y_{split}")) for split in SPLITS}
    per_seed: dict[str, list[float]] = {}
    histories = []
    start = time.perf_counter()
    for seed in seeds:
        network = DenseNetwork(arrays["train"][0].shape[1], hidden, data.n_classes, activation=activation, seed=seed)
        histories.append(network.fit(*arrays["train"], epochs=epochs, batch_size=batch_size,
                                     learning_rate=learning_rate, seed=seed, validation=arrays["val"]))
        for split, (x, y) in arrays.items():
            per_seed.setdefault(f"{split}/accuracy", []).append(float(np.mean(network.predict(x) == y)))
            per_seed.setdefault(f"{split}/loss", []).append(network.loss(x, y))
    seconds = time.perf_counter() - start
    metrics: dict[str, dict[str, float]] = {}
    for key, values in per_seed.items():
        split, name = key.split("/")
        metrics.setdefault(split, {})[name] = float(np.mean(values))
    history = {name: np.mean([h[name] for h in histories], axis=0).tolist() for name in histories[0]}
    info = {"parameters": network.parameters, "epochs_run": epochs, "seeds": list(seeds),
            "seconds_per_epoch": seconds / (epochs * len(seeds)),
            **{f"{split}_accuracy_std": float(np.std(per_seed[f"{split}/accuracy"])) for split in SPLITS}}
    return Outcome(metrics, history, info)
