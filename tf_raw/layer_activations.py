"""Activations of the raw TensorFlow layers by their Keras names, so `Dense(activation="relu")` reads as in Keras.

(The NumPy activations with hand-written derivatives of the activations lesson are in activations.py.)
"""
from __future__ import annotations

from typing import Callable

import tensorflow as tf

from tf_raw.softmax import softmax


def relu(x: tf.Tensor) -> tf.Tensor:
    """max(x, 0), elementwise; its gradient is 1 where x > 0 and 0 elsewhere (also at exactly 0, where
    zero pixels under a zero bias put many units, so the choice must match Keras's)."""
    return tf.nn.relu(x)


def linear(x: tf.Tensor) -> tf.Tensor:
    return x


ACTIVATIONS: dict[str, Callable[[tf.Tensor], tf.Tensor]] = {"relu": relu, "softmax": softmax, "linear": linear}


def get(name: str | Callable | None) -> Callable[[tf.Tensor], tf.Tensor]:
    """An activation by name (None means linear, as in Keras), or a callable passed through."""
    if name is None:
        return linear
    if callable(name):
        return name
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"Expected an activation among {sorted(ACTIVATIONS)}, a callable or None. "
                         f"Received: {name!r}") from None
