"""Dropout: during training, zero a random share of the inputs and scale up the rest."""
from __future__ import annotations

import tensorflow as tf

from tf_raw.layer import Layer


class Dropout(Layer):
    """Inverted dropout, as keras.layers.Dropout.

    training=True: y = x * mask / (1 - rate), mask_i ~ Bernoulli(1 - rate), so E[y] = x and nothing
    needs rescaling at test time; training=False: y = x. Shapes unchanged. The masks come from a
    tf.random.Generator the layer owns (so each call inside a tf.function draws anew), seeded by `seed`
    or, without one, by a draw from TensorFlow's global seed (keras.utils.set_random_seed fixes it).
    """

    def __init__(self, rate: float, seed: int | None = None, name: str | None = None):
        super().__init__(name=name)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Expected a rate in [0, 1). Received: rate={rate!r}")
        self.rate = float(rate)
        self.seed = seed
        if seed is None:
            seed = int(tf.random.uniform([], maxval=2 ** 31 - 1, dtype=tf.int64))
        self.generator = tf.random.Generator.from_seed(seed)

    def call(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        if not training or self.rate == 0.0:
            return x
        keep = self.generator.uniform(tf.shape(x), dtype=x.dtype) >= self.rate
        return tf.where(keep, x / (1.0 - self.rate), tf.zeros_like(x))
