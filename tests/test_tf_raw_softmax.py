"""The hand-written softmax is stable: finite, sums to 1, equals tf.nn.softmax, even for logits of ±1000."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from tf_raw.softmax import log_softmax, naive_softmax, softmax, sparse_cross_entropy_from_logits

EXTREME = np.array([[1000.0, -1000.0, 999.0, 0.0], [-1000.0, -1000.0, -999.0, -1000.0]], np.float32)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_is_finite_sums_to_one_and_equals_tf_on_extreme_logits(axis):
    p = softmax(EXTREME, axis=axis).numpy()
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=axis), 1.0, atol=1e-6)
    np.testing.assert_allclose(p, tf.nn.softmax(EXTREME, axis=axis), atol=1e-6)
    np.testing.assert_allclose(log_softmax(EXTREME, axis=axis), tf.nn.log_softmax(EXTREME, axis=axis), atol=1e-4)


def test_the_naive_formula_breaks_where_the_stable_one_does_not():
    assert np.isnan(naive_softmax(EXTREME).numpy()).any()


def test_softmax_on_any_axis_of_a_3d_tensor_and_its_gradient_equal_tf():
    x = tf.constant(np.random.default_rng(0).normal(scale=30, size=(3, 4, 5)).astype(np.float32))
    r = tf.constant(np.random.default_rng(1).normal(size=(3, 4, 5)).astype(np.float32))
    for axis in range(3):
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            ours, theirs = softmax(x, axis=axis), tf.nn.softmax(x, axis=axis)
        np.testing.assert_allclose(ours, theirs, atol=1e-6)
        np.testing.assert_allclose(tape.gradient(ours, x, r), tape.gradient(theirs, x, r), atol=1e-5)


def test_cross_entropy_from_logits_equals_tf_and_survives_extreme_logits():
    labels = np.array([1, 3])
    ours = sparse_cross_entropy_from_logits(labels, EXTREME)
    theirs = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, EXTREME))
    assert np.isfinite(ours)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
