"""Gradients of a Keras layer or model on whichever backend Keras runs on.

Keras 3 trains with each backend's own autodiff but has no backend-neutral "gradient of this function"
call, so the two backends nnlab supports are written out here once: TensorFlow records the forward
pass on a `tf.GradientTape`; JAX differentiates a pure function of the weights and inputs, which is what
`layer.stateless_call` gives (the layer's current non-trainable values are passed in unchanged).

    inputs_grad, weight_grads = gradients(layer, x, reduce)

returns ∂reduce(layer(x))/∂x (the shape of x) and ∂reduce(layer(x))/∂w for each of
`layer.trainable_weights`, as NumPy arrays; `reduce` maps the layer's output to a scalar with
`keras.ops`, so the same function serves both backends.
"""
from __future__ import annotations

from contextlib import contextmanager, nullcontext
from typing import Callable, Iterator

import keras
import numpy as np


@contextmanager
def float64() -> Iterator[None]:
    """Let float64 layers compute in float64 inside the block. TensorFlow always does; JAX computes in
    float32 unless 64-bit types are switched on, which it allows for a block (`jax.enable_x64`)."""
    if keras.backend.backend() == "jax":
        import jax

        scope = jax.enable_x64(True)
    else:
        scope = nullcontext()
    with scope:
        yield


def gradients(layer: keras.layers.Layer, x: np.ndarray, reduce: Callable, *,
              training: bool = False) -> tuple[np.ndarray, list[np.ndarray]]:
    """(∂reduce(layer(x))/∂x, [∂reduce(layer(x))/∂w for w in layer.trainable_weights]). The layer must be
    built (call it once) so that its weights exist."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        inputs = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            value = reduce(layer(inputs, training=training))
        found = tape.gradient(value, [inputs, *layer.trainable_weights])
        return found[0].numpy(), [g.numpy() for g in found[1:]]
    if backend == "jax":
        import jax

        frozen = [v.value for v in layer.non_trainable_variables]

        def scalar(weights, inputs):
            output, _ = layer.stateless_call(weights, frozen, inputs, training=training)
            return reduce(output)

        weights = [v.value for v in layer.trainable_variables]
        weight_grads, inputs_grad = jax.grad(scalar, argnums=(0, 1))(weights, jax.numpy.asarray(x))
        return np.asarray(inputs_grad), [np.asarray(g) for g in weight_grads]
    raise NotImplementedError(f"gradients() covers the tensorflow and jax backends, not {backend}")
