"""MaxPool2D: the largest value of each pooling window, channel by channel."""
from __future__ import annotations

import tensorflow as tf

from tf_raw.conv import PADDINGS, pair
from tf_raw.layer import Layer


class MaxPool2D(Layer):
    """y[n, i, j, c] = max over the (ph, pw) window at (i*sh, j*sw) of x[n, ., ., c], as keras.layers.MaxPool2D.

    x (batch, H, W, c) -> (batch, oh, ow, c); `strides` defaults to `pool_size` (windows do not overlap),
    output sizes follow the same valid/same rule as Conv2D. No weights; the gradient goes to the
    position that held the maximum.
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding: str = "valid", name: str | None = None):
        super().__init__(name=name)
        padding = padding.lower() if isinstance(padding, str) else padding
        if padding not in PADDINGS:
            raise ValueError(f"Expected padding among {PADDINGS}. Received: padding={padding!r}")
        self.pool_size = pair(pool_size, "pool_size")
        self.strides = pair(strides, "strides") if strides is not None else self.pool_size
        self.padding = padding

    def call(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return tf.nn.max_pool2d(x, ksize=self.pool_size, strides=self.strides, padding=self.padding.upper())
