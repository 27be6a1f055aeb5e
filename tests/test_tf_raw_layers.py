"""Every raw layer equals its Keras twin with copied weights: forward and gradients, to 1e-5 (float32).

The gradients compared are those of sum(y * r) for a fixed random r, with respect to the input and
to every weight: r makes each output element matter with a different weight, so a wrong gradient
for any single element shows up.
"""
from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_models.conv import build_conv_net
from keras_models.dense import build_dense_net
from tf_raw import models
from tf_raw.conv import Conv2D, PatchConv2D
from tf_raw.dense import Dense
from tf_raw.dropout import Dropout
from tf_raw.flatten import Flatten
from tf_raw.pooling import MaxPool2D
from tf_raw.softmax import softmax

TOLERANCE = 1e-5


def forward_and_gradients(layer, weights, x, r):
    """(y, dL/dx, [dL/dw]) for L = sum(y * r)."""
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        loss = tf.reduce_sum(y * r)
    grads = tape.gradient(loss, [x, *weights])
    return y.numpy(), [g.numpy() for g in grads]


def assert_twins(raw, twin, x):
    """Build both on x, copy raw's weights into the Keras twin, compare forward and gradients."""
    raw(x)
    twin(x)
    twin.set_weights([w.numpy() for w in raw.weights])
    r = np.random.default_rng(1).normal(size=twin(x).shape).astype(np.float32)
    y_raw, g_raw = forward_and_gradients(raw, raw.weights, x, r)
    y_keras, g_keras = forward_and_gradients(twin, twin.trainable_weights, x, r)
    np.testing.assert_allclose(y_raw, y_keras, atol=TOLERANCE, rtol=TOLERANCE)
    assert len(g_raw) == len(g_keras)
    for a, b in zip(g_raw, g_keras):
        np.testing.assert_allclose(a, b, atol=TOLERANCE, rtol=TOLERANCE)


def images(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


@pytest.mark.parametrize("activation", [None, "relu", "softmax"])
def test_dense_equals_keras(activation):
    assert_twins(Dense(7, activation=activation), keras.layers.Dense(7, activation=activation), images((5, 11)))


def test_dense_on_3d_input_equals_keras():
    assert_twins(Dense(4, activation="relu"), keras.layers.Dense(4, activation="relu"), images((2, 3, 6)))


@pytest.mark.parametrize("conv", [Conv2D, PatchConv2D])
@pytest.mark.parametrize("padding, strides", [("same", 1), ("valid", 1), ("same", 2), ("valid", (2, 1))])
def test_conv2d_equals_keras(conv, padding, strides):
    x = images((2, 9, 8, 3))
    # relu on an input with exact zeros (a zero-padded border under a zero bias) checks the gradient at 0
    x[:, :2] = 0.0
    assert_twins(conv(5, 3, strides=strides, padding=padding, activation="relu"),
                 keras.layers.Conv2D(5, 3, strides=strides, padding=padding, activation="relu"), x)


@pytest.mark.parametrize("pool_size, strides, padding", [(2, None, "valid"), (3, 2, "same"), ((2, 3), 1, "valid")])
def test_maxpool_equals_keras(pool_size, strides, padding):
    assert_twins(MaxPool2D(pool_size, strides, padding),
                 keras.layers.MaxPooling2D(pool_size, strides, padding), images((2, 7, 7, 3)))


def test_flatten_equals_keras():
    assert_twins(Flatten(), keras.layers.Flatten(), images((3, 4, 5, 2)))


def test_dropout_off_is_identity_and_equals_keras():
    x = images((4, 10))
    np.testing.assert_array_equal(Dropout(0.5)(x, training=False), keras.layers.Dropout(0.5)(x, training=False))
    np.testing.assert_array_equal(Dropout(0.5)(x), x)


def test_dropout_on_drops_the_rate_and_scales_like_keras():
    rate = 0.3
    x = np.ones((200, 500), np.float32)
    layer = Dropout(rate, seed=3)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt, training=True)
    grad = tape.gradient(y, xt).numpy()
    y = y.numpy()
    twin = keras.layers.Dropout(rate, seed=3)(x, training=True).numpy()
    # both keep survivors at x / (1 - rate) and zero the rest
    for out in (y, twin):
        np.testing.assert_allclose(np.unique(out), [0.0, 1 / (1 - rate)], rtol=1e-6)
    assert abs(np.mean(y == 0) - rate) < 0.01          # 100,000 draws: std of the share is 0.0015
    np.testing.assert_allclose(grad, y, atol=TOLERANCE)  # dy/dx is the scaled mask itself (x = 1)
    assert not np.array_equal(y, layer(xt, training=True).numpy())  # a new mask every call


@pytest.mark.parametrize("build", ["dense", "conv", "conv-patches"])
def test_networks_equal_the_keras_models_builders(build):
    """The raw twins of keras_models' builders give Keras's probabilities and loss gradients."""
    rng = np.random.default_rng(0)
    if build == "dense":
        x = rng.random((6, 28, 28), dtype=np.float32)
        raw, twin = models.dense_net(10, [32, 16]), build_dense_net((28, 28), 10, [32, 16])
    else:
        x = rng.random((6, 12, 12, 1), dtype=np.float32)
        conv = PatchConv2D if build == "conv-patches" else Conv2D
        raw = models.conv_net(10, filters=(4, 6), dense_units=16, image_size=12, conv=conv)
        twin = build_conv_net((12, 12, 1), 10, filters=(4, 6), dense_units=16)
    y = rng.integers(0, 10, size=6)
    raw.build(x.shape[1:])
    twin.set_weights(raw.get_weights())
    assert raw.count_params() == twin.count_params()
    with tf.GradientTape() as tape:
        p_raw = softmax(raw(x))
        loss_raw = keras.losses.sparse_categorical_crossentropy(y, p_raw)
    g_raw = tape.gradient(loss_raw, raw.weights)
    with tf.GradientTape() as tape:
        p_keras = twin(x)
        loss_keras = keras.losses.sparse_categorical_crossentropy(y, p_keras)
    g_keras = tape.gradient(loss_keras, twin.trainable_weights)
    np.testing.assert_allclose(p_raw, p_keras, atol=TOLERANCE)
    for a, b in zip(g_raw, g_keras):
        np.testing.assert_allclose(a, b, atol=TOLERANCE, rtol=TOLERANCE)


def test_glorot_uniform_kernels_and_zero_biases_like_keras():
    """Same initialiser law as Keras: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)); zero bias."""
    layer = Conv2D(64, 5)
    layer(images((1, 8, 8, 32)))
    kernel = layer.kernel.numpy()
    limit = np.sqrt(6 / (5 * 5 * 32 + 5 * 5 * 64))
    assert np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > 0.99 * limit      # 51,200 draws reach the edge
    assert abs(kernel.std() - limit / np.sqrt(3)) < 0.01 * limit  # std of U(-a, a) is a / sqrt(3)
    assert not layer.bias.numpy().any()


@pytest.mark.parametrize("make, message", [
    (lambda: Dense(0), "Expected a positive integer for units. Received: units=0"),
    (lambda: Conv2D(4, 3, padding="full"), "Expected padding among ('valid', 'same'). Received: padding='full'"),
    (lambda: Conv2D(4, (3, 0)), "Expected kernel_size to be a positive int or a pair of them"),
    (lambda: Dropout(1.0), "Expected a rate in [0, 1). Received: rate=1.0"),
])
def test_bad_arguments_say_what_was_expected_and_received(make, message):
    with pytest.raises(ValueError) as error:
        make()
    assert message in str(error.value)
