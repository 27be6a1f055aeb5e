"""The universal dataset function: arrays in, a shuffled, batched, prefetched tf.data pipeline out."""
from __future__ import annotations

import numpy as np
import tensorflow as tf


def make_dataset(x: np.ndarray, y: np.ndarray | None = None, *, batch_size: int = 32, shuffle: bool = True,
                 seed: int | None = None, drop_remainder: bool = False) -> tf.data.Dataset:
    """(x, y) arrays -> tf.data yielding (x_batch, y_batch) (or x_batch alone when y is None).

    Shuffling uses a buffer as large as the data (a full permutation), reshuffled every epoch; with a
    `seed` the sequence of epochs is repeatable. Batches are (batch_size, *x.shape[1:]); the last one is
    smaller unless drop_remainder. prefetch lets the next batch be prepared while a step runs.
    """
    if y is not None and len(x) != len(y):
        raise ValueError(f"Expected as many labels as samples. Received: {len(x)} samples, {len(y)} labels")
    if batch_size < 1:
        raise ValueError(f"Expected a positive batch_size. Received: batch_size={batch_size!r}")
    data = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
    if shuffle:
        data = data.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return data.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)
