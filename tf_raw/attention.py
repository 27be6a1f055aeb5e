"""Attention for seq2seq translation, written with raw TensorFlow ops: Luong and Bahdanau, as Keras does them.

A decoder state (the query s_i) looks at every encoder output (the keys h_j) and takes a weighted
average of the values (usually the same encoder outputs), weighted by how well each key matches:

    scores  e_ij = score(s_i, h_j)                          e: (B, Tq, Tv)
    weights a_ij = exp(e_ij) / sum_j' exp(e_ij')            a: (B, Tq, Tv), each row sums to 1
    context c_i  = sum_j a_ij v_j                           c: (B, Tq, dv)

with query (B, Tq, d_query), keys (B, Tv, d_key), values (B, Tv, dv). The two classic scores:

    Luong et al. 2015, multiplicative "general":  score(s, h) = (s W) · h        W: (d_query, d_key)
    Bahdanau et al. 2015, additive:               score(s, h) = v · tanh(s W_q + h W_k)
                                                  W_q: (d_query, units), W_k: (d_key, units), v: (units,)

Luong's "dot" score, s · h, is "general" with W = identity (so it needs d_query == d_key). Additive
attention passes query and key through a small one-hidden-layer net instead of a bilinear form.
`luong_attention` is `keras.layers.Dense(d_key, use_bias=False)` on the query followed by
`keras.layers.Attention()`; `bahdanau_attention` is `Dense(units, use_bias=False)` on query and keys
followed by `keras.layers.AdditiveAttention(use_scale=True)`, whose `scale` weight is v. Weights copy
across, so the tests compare outputs, weights and gradients with those layers.

Masks (True/1 = real token, False/0 = padding) follow Keras exactly. The value mask removes padded
encoder positions by subtracting 1e9 from their scores before the softmax: exp(-1e9) is exactly 0 in
float32, so they get zero weight. A large finite number rather than -inf, because a row where every
position is padded would then be softmax(-inf, ..., -inf) = nan (the max subtracted for stability is
-inf and -inf - -inf = nan), and nan gradients would spread through the whole batch; with -1e9 such a
row just becomes uniform (float32 numbers near 1e9 are 64 apart, so the scores themselves vanish).
In float16, 1e9 overflows to inf, so Keras (and this file) uses 65504, the largest float16. The
query mask zeroes the context of padded decoder positions.
"""
from __future__ import annotations

import tensorflow as tf

from tf_raw.softmax import softmax


def dot_scores(query, key, scale=None) -> tf.Tensor:
    """e_ij = q_i · k_j (times `scale` if given): (B, Tq, d), (B, Tv, d) -> (B, Tq, Tv)."""
    scores = tf.matmul(query, key, transpose_b=True)
    return scores if scale is None else scores * scale


def additive_scores(query, key, scale) -> tf.Tensor:
    """e_ij = sum_d scale_d * tanh(q_id + k_jd): (B, Tq, d), (B, Tv, d), (d,) -> (B, Tq, Tv)."""
    # (B, Tq, 1, d) + (B, 1, Tv, d) broadcasts to every (query, key) pair: (B, Tq, Tv, d)
    pairs = tf.expand_dims(query, axis=2) + tf.expand_dims(key, axis=1)
    return tf.reduce_sum(scale * tf.tanh(pairs), axis=-1)


def masked_softmax(scores, value_mask=None) -> tf.Tensor:
    """Softmax over Tv of scores (B, Tq, Tv); where value_mask (B, Tv) is False/0 the score drops by 1e9."""
    scores = tf.convert_to_tensor(scores)
    if value_mask is not None:
        big = 65504.0 if scores.dtype == tf.float16 else 1.0e9  # Keras's constants; see the module docstring
        padded = tf.logical_not(tf.cast(value_mask, tf.bool))[:, tf.newaxis, :]
        scores = tf.where(padded, scores - big, scores)
    return softmax(scores, axis=-1)


def attend(weights, value, query_mask=None) -> tf.Tensor:
    """c_i = sum_j a_ij v_j: (B, Tq, Tv), (B, Tv, dv) -> (B, Tq, dv); 0 where query_mask (B, Tq) is False."""
    context = tf.matmul(weights, value)
    if query_mask is None:
        return context
    return tf.where(tf.cast(query_mask, tf.bool)[:, :, tf.newaxis], context, 0.0)


def luong_attention(query, keys, values, w, value_mask=None, query_mask=None):
    """Multiplicative ("general") attention, score(s, h) = (s W) · h.

    query (B, Tq, d_query), keys (B, Tv, d_key), values (B, Tv, dv), w (d_query, d_key): the kernel
    of a Dense(d_key, use_bias=False) applied to the query. Returns (context (B, Tq, dv), weights (B, Tq, Tv)).
    """
    weights = masked_softmax(dot_scores(tf.matmul(query, w), keys), value_mask)
    return attend(weights, values, query_mask), weights


def bahdanau_attention(query, keys, values, w_query, w_key, v, value_mask=None, query_mask=None):
    """Additive attention, score(s, h) = v · tanh(s W_q + h W_k).

    query (B, Tq, d_query), keys (B, Tv, d_key), values (B, Tv, dv), w_query (d_query, units),
    w_key (d_key, units), v (units,): Keras AdditiveAttention's `scale`. Returns (context, weights).
    """
    weights = masked_softmax(additive_scores(tf.matmul(query, w_query), tf.matmul(keys, w_key), v), value_mask)
    return attend(weights, values, query_mask), weights
