"""Both Conv2D forms equal tf.nn.conv2d over a grid of shapes, paddings and strides (float32, 1e-5)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import tensorflow as tf

from tf_raw.conv import Conv2D, PatchConv2D, extract_patches

TOLERANCE = 1e-5
GRID = list(itertools.product(
    [(1, 7, 7, 1), (2, 8, 5, 3)],          # input (batch, H, W, c_in)
    [(1, 1), (3, 3), (2, 3), (5, 5)],       # kernel
    [(1, 1), (2, 2), (2, 1), (3, 3)],       # strides
    ["valid", "same"],
))


@pytest.mark.parametrize("shape, kernel_size, strides, padding", GRID)
def test_both_forms_equal_tf_nn_conv2d(shape, kernel_size, strides, padding):
    rng = np.random.default_rng(sum(shape) + sum(kernel_size))
    x = tf.constant(rng.normal(size=shape).astype(np.float32))
    kernel = tf.constant(rng.normal(size=(*kernel_size, shape[-1], 4)).astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch([x, kernel])
        expected = tf.nn.conv2d(x, kernel, strides=strides, padding=padding.upper())
    r = tf.constant(rng.normal(size=expected.shape).astype(np.float32))
    expected_grads = tape.gradient(expected, [x, kernel], output_gradients=r)
    for form in (Conv2D, PatchConv2D):
        layer = form(4, kernel_size, strides=strides, padding=padding, use_bias=False)
        layer(x)
        layer.kernel.assign(kernel)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
        grads = tape.gradient(y, [x, layer.kernel], output_gradients=r)
        np.testing.assert_allclose(y, expected, atol=TOLERANCE, rtol=TOLERANCE, err_msg=form.__name__)
        for got, want in zip(grads, expected_grads):
            np.testing.assert_allclose(got, want, atol=TOLERANCE, rtol=TOLERANCE, err_msg=form.__name__)


def test_patches_lay_each_window_flat_in_kernel_order():
    x = tf.reshape(tf.range(16, dtype=tf.float32), (1, 4, 4, 1))
    patches = extract_patches(x, (2, 2), (2, 2), "valid")
    assert patches.shape == (1, 2, 2, 4)
    np.testing.assert_array_equal(patches[0, 0, 1], [2, 3, 6, 7])   # the top-right 2x2 window


def test_a_kernel_larger_than_the_input_is_refused():
    with pytest.raises(ValueError, match="Expected an input at least as large as the kernel"):
        PatchConv2D(2, 5)(tf.zeros((1, 3, 3, 1)))
