"""Every hand optimizer's variables equal keras.optimizers' after 10 steps on the same gradients (1e-6)."""
from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf_raw import optimizers

TOLERANCE = 1e-6
CASES = [
    ("SGD", {}), ("SGD", {"momentum": 0.9}), ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("Adagrad", {}), ("RMSprop", {}), ("RMSprop", {"momentum": 0.5, "centered": True}),
    ("Adam", {}), ("Adam", {"amsgrad": True, "learning_rate": 0.01}),
]


@pytest.mark.parametrize("name, kwargs", CASES)
def test_ten_steps_equal_keras(name, kwargs):
    rng = np.random.default_rng(0)
    start = [rng.normal(size=(4, 3)).astype(np.float32), rng.normal(size=(3,)).astype(np.float32)]
    # gradients of varied scale and sign, including exact zeros, the same for both
    gradients = [[(rng.normal(size=w.shape) * 10.0 ** rng.integers(-3, 2)).astype(np.float32) * (rng.random(w.shape) > 0.1)
                  for w in start] for _ in range(10)]
    ours_vars = [tf.Variable(w) for w in start]
    keras_vars = [tf.Variable(w) for w in start]
    ours, theirs = getattr(optimizers, name)(**kwargs), getattr(keras.optimizers, name)(**kwargs)
    for step in gradients:
        ours.apply_gradients(zip([tf.constant(g) for g in step], ours_vars))
        theirs.apply_gradients(zip([tf.constant(g) for g in step], keras_vars))
    for a, b, w in zip(ours_vars, keras_vars, start):
        assert not np.allclose(a.numpy(), w)          # the variables did move
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=TOLERANCE, rtol=TOLERANCE)
    assert int(ours.iterations) == 10


def test_ten_steps_inside_a_tf_function_equal_keras():
    v_ours, v_keras = tf.Variable([1.0, -2.0]), tf.Variable([1.0, -2.0])
    ours, theirs = optimizers.Adam(0.1), keras.optimizers.Adam(0.1)
    ours.build([v_ours])

    @tf.function
    def step(g):
        ours.apply_gradients([(g, v_ours)])

    for i in range(10):
        g = tf.constant([0.5 * i - 2.0, 1.0 / (i + 1)])
        step(g)
        theirs.apply_gradients([(g, v_keras)])
    np.testing.assert_allclose(v_ours.numpy(), v_keras.numpy(), atol=TOLERANCE)


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adam"])
def test_same_argument_names_and_defaults_as_keras(name):
    ours = inspect.signature(getattr(optimizers, name)).parameters
    theirs = inspect.signature(getattr(keras.optimizers, name)).parameters
    for arg, parameter in ours.items():
        assert arg in theirs
        assert parameter.default == theirs[arg].default, arg


def test_an_unknown_optimizer_names_the_known_ones():
    with pytest.raises(ValueError, match=r"Expected an optimizer among \['adagrad'.*Received: 'adamw'"):
        optimizers.get("adamw")
