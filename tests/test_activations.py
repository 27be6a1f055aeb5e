"""Every hand-written activation and derivative equals its Keras twin under tf.GradientTape (float64)."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from keras import activations as keras_activations

from lessons.activations import DERIVATIVE_INPUTS as INPUTS
from lessons.activations import DERIVATIVE_TOLERANCE as TOLERANCE
from lessons.activations import derivative_error
from tf_raw.activations import ACTIVATIONS, get

KERAS_TWINS = {
    "sigmoid": keras_activations.sigmoid,
    "tanh": keras_activations.tanh,
    "relu": keras_activations.relu,
    "leaky_relu": keras_activations.leaky_relu,  # negative_slope=0.2 in both
    "elu": keras_activations.elu,                # alpha=1.0 in both
    "gelu": lambda x: keras_activations.gelu(x, approximate=False),
    "swish": keras_activations.silu,
}


def test_every_activation_has_a_keras_twin():
    assert set(KERAS_TWINS) == set(ACTIVATIONS)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_forward_and_derivative_equal_tensorflow(name):
    activation = get(name)
    x = tf.constant(INPUTS, dtype=tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = KERAS_TWINS[name](x)
    expected_derivative = tape.gradient(y, x).numpy()
    np.testing.assert_allclose(activation.forward(INPUTS), y.numpy(), atol=TOLERANCE, rtol=TOLERANCE)
    np.testing.assert_allclose(activation.derivative(INPUTS), expected_derivative, atol=TOLERANCE, rtol=0)
    assert np.all(np.isfinite(activation.derivative(INPUTS)))


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_the_lessons_own_check_against_tensorflow_passes(name):
    """What the run records for its verdict: the hand derivative against TensorFlow's activation."""
    assert derivative_error(name) <= TOLERANCE


def test_unknown_activation_names_the_choices():
    with pytest.raises(ValueError, match="Received: 'softsign'"):
        get("softsign")
