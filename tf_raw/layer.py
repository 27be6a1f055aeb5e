"""What every raw layer shares: a tf.Module whose variables are created on the first call.

Like a Keras layer, a raw layer does not need the input size when it is constructed: `build(shape)`
runs once, on the first call, when the input's last dimension is known. `weights` lists the
variables in Keras's order (kernel, then bias), which is what weight-copying tests rely on;
tf.Module's own `trainable_variables` sorts them by attribute name instead.
"""
from __future__ import annotations

import tensorflow as tf


class Layer(tf.Module):
    def __init__(self, name: str | None = None):
        super().__init__(name=name)
        self.built = False

    def build(self, input_shape: tf.TensorShape) -> None:
        """Create the variables for inputs of `input_shape`; layers without weights need none."""

    def call(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        raise NotImplementedError

    def __call__(self, x, training: bool = False) -> tf.Tensor:
        x = tf.convert_to_tensor(x)
        if not self.built:
            with self.name_scope:
                self.build(x.shape)
            self.built = True
        return self.call(x, training=training)

    @property
    def weights(self) -> list[tf.Variable]:
        """The layer's variables in Keras order (kernel, bias); empty for layers without weights."""
        return [v for v in (getattr(self, "kernel", None), getattr(self, "bias", None)) if v is not None]

    def add_weight(self, shape, initializer, name: str) -> tf.Variable:
        from tf_raw import initializers

        return tf.Variable(initializers.get(initializer)(shape), name=name, trainable=True)

    def count_params(self) -> int:
        return sum(int(v.shape.num_elements()) for v in self.weights)
