"""Dense: the fully connected layer, y = activation(x @ kernel + bias)."""
from __future__ import annotations

import tensorflow as tf

from tf_raw import layer_activations as activations
from tf_raw.layer import Layer


class Dense(Layer):
    """y = activation(x @ kernel + bias), as keras.layers.Dense.

    x: (batch, ..., n_in) -> y: (batch, ..., units); kernel (n_in, units) glorot_uniform, bias (units,)
    zeros. Same argument names and defaults as Keras, so `Dense(128, activation="relu")` reads the same.
    """

    def __init__(self, units: int, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", name: str | None = None):
        super().__init__(name=name)
        if not isinstance(units, int) or units < 1:
            raise ValueError(f"Expected a positive integer for units. Received: units={units!r}")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def build(self, input_shape: tf.TensorShape) -> None:
        n_in = input_shape[-1]
        if n_in is None:
            raise ValueError(f"Expected the last input dimension to be known. Received: shape {input_shape}")
        self.kernel = self.add_weight((n_in, self.units), self.kernel_initializer, "kernel")
        self.bias = self.add_weight((self.units,), self.bias_initializer, "bias") if self.use_bias else None

    def call(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        y = tf.tensordot(x, self.kernel, axes=1) if x.shape.rank > 2 else tf.matmul(x, self.kernel)
        if self.bias is not None:
            y = y + self.bias
        return self.activation(y)
