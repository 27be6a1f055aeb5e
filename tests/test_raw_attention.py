"""Raw attention equals its Keras twins (Attention, AdditiveAttention after Dense projections): outputs,
weights and gradients, with padded queries and values masked the way Keras masks them."""
from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf_raw.attention import (additive_scores, attend, bahdanau_attention, dot_scores, luong_attention,
                              masked_softmax)

B, TQ, TV, D, D_KEY, UNITS = 3, 4, 5, 6, 7, 8
QUERY_LENGTHS, VALUE_LENGTHS = [4, 2, 3], [5, 3, 2]  # every sequence keeps >= 1 real token


def lengths_mask(lengths, steps):
    return np.arange(steps)[None, :] < np.array(lengths)[:, None]


QUERY_MASK, VALUE_MASK = lengths_mask(QUERY_LENGTHS, TQ), lengths_mask(VALUE_LENGTHS, TV)


def normal(seed, *shape, dtype=np.float32):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


def keras_attend(layer, query, value, value_mask=VALUE_MASK):
    """(output, weights) of a Keras attention layer called on [query, value] with [query_mask, value_mask]."""
    output, weights = layer([query, value], mask=[QUERY_MASK, value_mask], return_attention_scores=True)
    return np.asarray(output), np.asarray(weights)


def projection(units, kernel):
    """keras.layers.Dense(units, use_bias=False) holding `kernel`."""
    dense = keras.layers.Dense(units, use_bias=False)
    dense.build((None, None, kernel.shape[0]))
    dense.kernel.assign(kernel)
    return dense


def test_dot_scores_masked_softmax_and_attend_equal_keras_attention():
    query, value = normal(0, B, TQ, D), normal(1, B, TV, D)
    weights = masked_softmax(dot_scores(query, value), VALUE_MASK.astype(int))  # 0/1 masks work too
    keras_output, keras_weights = keras_attend(keras.layers.Attention(), query, value)
    np.testing.assert_allclose(attend(weights, value, QUERY_MASK.astype(int)), keras_output, atol=1e-6)
    np.testing.assert_allclose(weights, keras_weights, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_a_fully_padded_row_gets_keras_uniform_weights_not_nan(dtype):
    """Checks the constant (1e9, or 65504 in float16): -inf gives nan, 1e9 in float16 is inf (nan again),
    and a small one such as 1e4 leaves the scores visible through the softmax, so the row is not uniform."""
    query, value = normal(0, B, TQ, D, dtype=dtype), normal(1, B, TV, D, dtype=dtype)
    value_mask = VALUE_MASK.copy()
    value_mask[1] = False
    weights = masked_softmax(dot_scores(query, value), value_mask).numpy()
    _, keras_weights = keras_attend(keras.layers.Attention(dtype=np.dtype(dtype).name), query, value,
                                    value_mask=value_mask)
    assert weights.dtype == dtype and np.isfinite(weights).all()
    np.testing.assert_allclose(weights[1], 1.0 / TV, atol=1e-3)
    np.testing.assert_allclose(weights, keras_weights, atol=1e-6 if dtype == np.float32 else 2e-3)


def test_scaled_dot_scores_equal_keras_attention_with_its_scale_weight():
    query, value = normal(0, B, TQ, D), normal(1, B, TV, D)
    layer = keras.layers.Attention(use_scale=True)
    layer.build([query.shape, value.shape])
    layer.scale.assign(1.7)
    weights = masked_softmax(dot_scores(query, value, scale=1.7), VALUE_MASK)
    keras_output, keras_weights = keras_attend(layer, query, value)
    np.testing.assert_allclose(attend(weights, value, QUERY_MASK), keras_output, atol=1e-6)
    np.testing.assert_allclose(weights, keras_weights, atol=1e-6)


def forward_and_gradients(attention, tensors):
    """attention() -> (output, weights); returns those and d sum(output * r) / d each of `tensors`."""
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        output, weights = attention()
        loss = tf.reduce_sum(output * normal(9, *output.shape))
    return output, weights, tape.gradient(loss, tensors)


def assert_all_close(ours, theirs, atol):
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, atol=atol)


def test_luong_attention_equals_dense_then_keras_attention_forward_and_gradients():
    query, keys, w = tf.constant(normal(0, B, TQ, D)), tf.constant(normal(1, B, TV, D_KEY)), normal(2, D, D_KEY)
    dense, layer = projection(D_KEY, w), keras.layers.Attention()
    theirs = forward_and_gradients(
        lambda: layer([dense(query), keys], mask=[QUERY_MASK, VALUE_MASK], return_attention_scores=True),
        [query, keys, dense.kernel.value])
    w = tf.constant(w)
    ours = forward_and_gradients(lambda: luong_attention(query, keys, keys, w, VALUE_MASK, QUERY_MASK),
                                 [query, keys, w])
    assert_all_close(ours[:2], theirs[:2], atol=1e-5)
    assert_all_close(ours[2], theirs[2], atol=1e-5)


def test_bahdanau_attention_equals_dense_projections_then_keras_additive_attention():
    query, keys = tf.constant(normal(0, B, TQ, D)), tf.constant(normal(1, B, TV, D_KEY))
    w_query, w_key, v = normal(2, D, UNITS), normal(3, D_KEY, UNITS), normal(4, UNITS)
    dense_query, dense_key = projection(UNITS, w_query), projection(UNITS, w_key)
    layer = keras.layers.AdditiveAttention(use_scale=True)
    layer.build([(B, TQ, UNITS), (B, TV, D_KEY), (B, TV, UNITS)])
    layer.scale.assign(v)
    # Keras's input order is [query, value, key]: values are the raw encoder outputs, keys their projection
    theirs = forward_and_gradients(
        lambda: layer([dense_query(query), keys, dense_key(keys)], mask=[QUERY_MASK, VALUE_MASK],
                      return_attention_scores=True),
        [query, keys, dense_query.kernel.value, dense_key.kernel.value, layer.scale.value])
    w_query, w_key, v = tf.constant(w_query), tf.constant(w_key), tf.constant(v)
    ours = forward_and_gradients(
        lambda: bahdanau_attention(query, keys, keys, w_query, w_key, v, VALUE_MASK, QUERY_MASK),
        [query, keys, w_query, w_key, v])
    assert_all_close(ours[:2], theirs[:2], atol=1e-5)
    assert_all_close(ours[2], theirs[2], atol=1e-5)


def test_additive_scores_are_the_formula_written_as_loops():
    query, key, scale = normal(0, 1, 2, 3), normal(1, 1, 4, 3), normal(2, 3)
    expected = [[[np.sum(scale * np.tanh(query[0, i] + key[0, j])) for j in range(4)] for i in range(2)]]
    np.testing.assert_allclose(additive_scores(query, key, scale), expected, atol=1e-6)


@pytest.mark.parametrize("attention", ["luong", "bahdanau"])
def test_padding_gets_no_weight_rows_sum_to_one_and_padded_queries_output_zero(attention):
    query, keys = normal(0, B, TQ, D), normal(1, B, TV, D_KEY)
    if attention == "luong":
        output, weights = luong_attention(query, keys, keys, normal(2, D, D_KEY), VALUE_MASK, QUERY_MASK)
    else:
        output, weights = bahdanau_attention(query, keys, keys, normal(2, D, UNITS), normal(3, D_KEY, UNITS),
                                             normal(4, UNITS), VALUE_MASK, QUERY_MASK)
    weights, output = weights.numpy(), output.numpy()
    assert np.abs(weights * ~VALUE_MASK[:, None, :]).max() < 1e-6
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-6)
    assert (output[~QUERY_MASK] == 0).all() and (np.abs(output[QUERY_MASK]) > 0).all()
