"""tf_raw.lstm equals keras.layers.LSTM with copied weights: outputs and gradients to 1e-5.

Both run in float64 so the comparison is about the formulas, not float32 rounding; the gradients
are of the loss Σ output ⊙ w (w fixed random weights) with respect to the inputs and every weight.
"""
from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf_raw.lstm import LSTM

TOLERANCE = 1e-5


@pytest.mark.parametrize("return_sequences", [False, True])
def test_numpy_lstm_equals_keras(return_sequences):
    rng = np.random.default_rng(0)
    batch, steps, n_inputs, units = 3, 7, 2, 5
    x = rng.normal(size=(batch, steps, n_inputs))
    layer = keras.layers.LSTM(units, return_sequences=return_sequences, dtype="float64")
    layer.build((None, steps, n_inputs))
    # random weights larger than Keras's initialiser, so every gate is far from its resting value
    for variable in layer.weights:
        variable.assign(rng.normal(scale=0.5, size=variable.shape))
    kernel, recurrent_kernel, bias = (w.numpy() for w in layer.weights)

    inputs = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        keras_out = layer(inputs)
        w = tf.constant(rng.normal(size=keras_out.shape))
        loss = tf.reduce_sum(keras_out * w)
    keras_grads = tape.gradient(loss, [inputs, *layer.weights])

    raw = LSTM(kernel, recurrent_kernel, bias, return_sequences=return_sequences)
    raw_out = raw.forward(x)
    dx, grads = raw.backward(w.numpy())

    np.testing.assert_allclose(raw_out, keras_out.numpy(), atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(dx, keras_grads[0].numpy(), atol=TOLERANCE, rtol=0)
    for name, keras_grad in zip(("kernel", "recurrent_kernel", "bias"), keras_grads[1:]):
        np.testing.assert_allclose(grads[name], keras_grad.numpy(), atol=TOLERANCE, rtol=0, err_msg=name)


def test_weight_layout_is_checked():
    with pytest.raises(ValueError, match="Expected kernel"):
        LSTM(np.zeros((2, 8)), np.zeros((3, 12)), np.zeros(12))
