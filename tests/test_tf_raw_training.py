"""The dataset function and the raw training loop: repeatable batches, history in the store's format,
and a raw step that moves the weights exactly as Keras's step does from the same start."""
from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_models.dense import build_dense_net
from tf_raw import models
from tf_raw.dataset import make_dataset
from tf_raw.optimizers import Adam
from tf_raw.training import evaluate, fit, make_train_step, predict_probabilities


def blobs(n=240, seed=0):
    """Three Gaussian blobs in 4 dimensions: a task a small net learns in a few epochs."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    x = (rng.normal(size=(n, 4)) + 3.0 * np.eye(3, 4)[y]).astype(np.float32)
    return x, y


def test_dataset_batches_every_sample_once_and_repeats_with_a_seed():
    x, y = blobs(50)
    batches = list(make_dataset(x, y, batch_size=16, seed=7))
    assert [len(b[1]) for b in batches] == [16, 16, 16, 2]
    assert sorted(np.concatenate([b[1] for b in batches])) == sorted(y)
    again = list(make_dataset(x, y, batch_size=16, seed=7))
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), np.concatenate([b[0] for b in again]))
    unshuffled = np.concatenate([b[0] for b in make_dataset(x, y, batch_size=16, shuffle=False)])
    np.testing.assert_array_equal(unshuffled, x)
    with pytest.raises(ValueError, match="Expected as many labels as samples. Received: 50 samples, 3 labels"):
        make_dataset(x, y[:3])


def test_fit_learns_and_records_history_per_epoch():
    x, y = blobs()
    keras.utils.set_random_seed(0)
    model = models.dense_net(3, [16])
    model.build((4,))
    result = fit(model, Adam(0.01), make_dataset(x, y, batch_size=32, seed=0), epochs=5,
                 validation=make_dataset(x, y, shuffle=False), label="blobs")
    assert sorted(result.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert all(len(values) == 5 for values in result.history.values())
    assert result.history["loss"][-1] < result.history["loss"][0]
    assert result.history["val_accuracy"][-1] > 0.9
    assert evaluate(model, make_dataset(x, y, shuffle=False))["accuracy"] == pytest.approx(
        np.mean(predict_probabilities(model, x).argmax(axis=1) == y))


def test_a_raw_step_equals_a_keras_step_from_the_same_weights():
    x, y = blobs(64)
    raw = models.dense_net(3, [8])
    raw.build((4,))
    twin = build_dense_net((4,), 3, [8])
    twin.set_weights(raw.get_weights())
    twin.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    step = make_train_step(raw, Adam(0.01))
    for _ in range(3):
        step(tf.constant(x), tf.constant(y))
        twin.train_on_batch(x, y)
    for a, b in zip(raw.get_weights(), twin.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)
