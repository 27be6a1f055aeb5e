"""Softmax, log-softmax and cross-entropy written with raw TensorFlow ops, numerically stable.

softmax(z)_i = exp(z_i) / sum_j exp(z_j). Computed as written, exp(1000) overflows to inf and the
result is nan. Softmax does not change when a constant is subtracted from every logit, so we
subtract the largest one first: every exponent is then <= 0, exp(...) lies in (0, 1], and the
denominator is >= 1 (the largest logit contributes exp(0) = 1), so nothing overflows or divides by 0.
"""
from __future__ import annotations

import tensorflow as tf


def naive_softmax(logits: tf.Tensor, axis: int = -1) -> tf.Tensor:
    """exp(z) / sum(exp(z)) exactly as the formula reads; kept to show where it breaks (|z| > ~88)."""
    e = tf.exp(logits)
    return e / tf.reduce_sum(e, axis=axis, keepdims=True)


def log_softmax(logits: tf.Tensor, axis: int = -1) -> tf.Tensor:
    """log softmax(z)_i = (z_i - m) - log sum_j exp(z_j - m), with m = max_j z_j; any shape, any axis."""
    logits = tf.convert_to_tensor(logits)
    # stop_gradient: m is a shift that cancels out, so no gradient needs to flow through the max.
    shifted = logits - tf.stop_gradient(tf.reduce_max(logits, axis=axis, keepdims=True))
    return shifted - tf.math.log(tf.reduce_sum(tf.exp(shifted), axis=axis, keepdims=True))


def softmax(logits: tf.Tensor, axis: int = -1) -> tf.Tensor:
    """Probabilities along `axis` (same shape as `logits`): exp(z - m) / sum exp(z - m), m = max z."""
    logits = tf.convert_to_tensor(logits)
    e = tf.exp(logits - tf.reduce_max(logits, axis=axis, keepdims=True))
    return e / tf.reduce_sum(e, axis=axis, keepdims=True)


def sparse_cross_entropy_from_logits(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """Mean over the batch of -log softmax(logits)[label].

    labels: (batch,) integer classes; logits: (batch, n_classes). Returns a scalar. Working from the
    logits (log-softmax) instead of from probabilities avoids log(0) when a probability underflows.
    """
    labels = tf.cast(labels, tf.int32)
    picked = tf.gather(log_softmax(logits), labels, axis=-1, batch_dims=1)
    return -tf.reduce_mean(picked)
