"""The initialisers Keras layers use by default, drawn with raw TensorFlow ops.

glorot_uniform (Glorot & Bengio 2010): W ~ U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)),
chosen so activations and gradients keep about the same variance from layer to layer. For a Dense
kernel (n_in, n_out) the fans are n_in and n_out; for a conv kernel (kh, kw, c_in, c_out) each output
sees kh*kw*c_in inputs and each input feeds kh*kw*c_out outputs. Biases start at zero.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import tensorflow as tf


def fans(shape: Sequence[int]) -> tuple[int, int]:
    """(fan_in, fan_out) of a kernel shape, counted as Keras counts them."""
    shape = tuple(shape)
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return receptive * shape[-2], receptive * shape[-1]


def glorot_uniform(shape: Sequence[int], dtype=tf.float32) -> tf.Tensor:
    fan_in, fan_out = fans(shape)
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return tf.random.uniform(shape, -limit, limit, dtype=dtype)


def zeros(shape: Sequence[int], dtype=tf.float32) -> tf.Tensor:
    return tf.zeros(shape, dtype=dtype)


INITIALIZERS: dict[str, Callable[..., tf.Tensor]] = {"glorot_uniform": glorot_uniform, "zeros": zeros}


def get(name: str | Callable[..., tf.Tensor]) -> Callable[..., tf.Tensor]:
    """An initialiser by its Keras name, or a callable (shape, dtype) -> tensor passed through."""
    if callable(name):
        return name
    try:
        return INITIALIZERS[name]
    except KeyError:
        raise ValueError(f"Expected an initializer among {sorted(INITIALIZERS)} or a callable. "
                         f"Received: {name!r}") from None
