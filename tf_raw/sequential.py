"""Sequential: layers applied one after another, as keras.Sequential."""
from __future__ import annotations

from typing import Sequence

import tensorflow as tf

from tf_raw.layer import Layer


class Sequential(tf.Module):
    """y = layers[-1](... layers[1](layers[0](x))); `training` reaches every layer (Dropout uses it).

    `weights` lists every layer's variables in layer order, kernel before bias: the order of a Keras
    model's `weights` for the same stack, so weights can be copied across one to one.
    """

    def __init__(self, layers: Sequence[Layer], name: str | None = None):
        super().__init__(name=name)
        self.layers = list(layers)

    def __call__(self, x, training: bool = False) -> tf.Tensor:
        for layer in self.layers:
            x = layer(x, training=training)
        return x

    def build(self, input_shape: Sequence[int]) -> "Sequential":
        """Create every variable by running one all-zero sample of `input_shape` (without the batch axis)."""
        self(tf.zeros((1, *input_shape)))
        return self

    @property
    def weights(self) -> list[tf.Variable]:
        return [v for layer in self.layers for v in layer.weights]

    def count_params(self) -> int:
        return sum(layer.count_params() for layer in self.layers)

    def get_weights(self) -> list:
        """The weights as NumPy arrays, in the order a Keras twin's set_weights() takes them."""
        return [v.numpy() for v in self.weights]
