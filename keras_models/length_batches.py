"""Batches of sentence pairs of similar length, cut to the length they need.

Padded to a fixed length, a batch of captions is mostly padding: the German side averages 14 of its
24 slots. Padding costs the same recurrent steps and output-layer products as words, then the loss
throws it away. Grouping pairs of similar length and cutting each batch to its longest member (rounded
up to a multiple of `step`, so only a few batch shapes exist) trains the same model on the same
targets with about half the work. Randomness is kept where it matters: every epoch draws a new random
order, sorts only within pools of `pool` batches, and shuffles the batches.
"""
from __future__ import annotations

import math

import keras
import numpy as np


class LengthBatches(keras.utils.PyDataset):
    """((source, target_in), target_out) batches for teacher forcing, from padded id arrays.

    source (N, S) and target (N, T) hold ids with 0 as padding; target rows are "[start] .. [end]".
    Each batch yields source (B, s) and target_in / target_out (B, t - 1) with s ≤ S, t ≤ T.
    """

    def __init__(self, source: np.ndarray, target: np.ndarray, batch_size: int, seed: int, *,
                 pool: int = 50, step: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.source, self.target = source, target
        self.batch_size, self.pool, self.step = batch_size, pool, step
        self.source_lengths = np.count_nonzero(source, axis=1)
        self.target_lengths = np.count_nonzero(target, axis=1)
        self.rng = np.random.default_rng(seed)
        self.batches: list[np.ndarray] = []
        self.on_epoch_end()

    def on_epoch_end(self):
        order = self.rng.permutation(len(self.source))
        span = self.batch_size * self.pool
        batches = []
        for begin in range(0, len(order), span):
            chunk = order[begin:begin + span]
            chunk = chunk[np.argsort(self.target_lengths[chunk], kind="stable")]
            batches += [chunk[i:i + self.batch_size] for i in range(0, len(chunk), self.batch_size)]
        self.rng.shuffle(batches)
        # Keras (TensorFlow backend) infers the input signature from the first two batches: with the
        # shortest and the longest batch first it sees that both lengths vary, not one fixed shape.
        tops = [int(self.target_lengths[b].max()) for b in batches]
        first, second = int(np.argmin(tops)), int(np.argmax(tops))
        rest = [b for i, b in enumerate(batches) if i not in (first, second)]
        self.batches = [batches[first], batches[second], *rest] if first != second else batches

    def __len__(self) -> int:
        return math.ceil(len(self.source) / self.batch_size)

    def _cut(self, length: int, limit: int) -> int:
        return min(limit, self.step * math.ceil(max(length, 1) / self.step))

    def __getitem__(self, index: int):
        rows = self.batches[index]
        s = self._cut(int(self.source_lengths[rows].max()), self.source.shape[1])
        t = self._cut(int(self.target_lengths[rows].max()), self.target.shape[1])
        source, target = self.source[rows, :s], self.target[rows, :t]
        return (source, target[:, :-1]), target[:, 1:]
