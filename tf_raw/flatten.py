"""Flatten: every sample's features in one row."""
from __future__ import annotations

import tensorflow as tf

from tf_raw.layer import Layer


class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1*d2*...), row-major (C order) as keras.layers.Flatten, so a
    Dense kernel after it lines up with the Keras twin's."""

    def call(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        features = x.shape[1:].num_elements()
        return tf.reshape(x, [-1, features if features is not None else tf.reduce_prod(tf.shape(x)[1:])])
