"""The from-scratch log-mel spectrogram and MFCC equal their library twins, forward and gradient.

Tolerance: |raw - library| <= 2e-5 · max|library| (float32; the dB values reach about ±100 and the
gradients a few hundred, so this is about five significant digits), for every setting of GRID.
"""
from __future__ import annotations

import keras
import numpy as np
import pytest
import scipy.fft
import scipy.signal
import tensorflow as tf

from keras_models.audio import Features, log_mel, mel_layer, mfcc as keras_side_mfcc
from tf_raw.spectrogram import (MelSpectrogram, dct_matrix, dft_matrices, frame, hann_window, mel_filterbank, mfcc,
                                reflect_pad)

RELATIVE = 2e-5
GRID = [
    dict(fft_length=256, sequence_stride=80, sequence_length=200, sampling_rate=8000, num_mel_bins=40),  # the lesson's
    dict(fft_length=512, sequence_stride=128, sampling_rate=8000, num_mel_bins=64, power_to_db=False, mag_exp=1.0),
    dict(fft_length=256, sequence_stride=64, sampling_rate=16000, num_mel_bins=32, top_db=20.0, min_freq=100.0),
]


def close(got, want, relative: float = RELATIVE) -> None:
    want = np.asarray(want)
    np.testing.assert_allclose(np.asarray(got), want, rtol=0, atol=relative * np.abs(want).max())


@pytest.mark.parametrize("settings", GRID, ids=lambda s: f"fft{s['fft_length']}-mels{s['num_mel_bins']}")
def test_mel_spectrogram_equals_keras_forward_and_gradient(settings):
    rng = np.random.default_rng(settings["fft_length"] + settings["num_mel_bins"])
    x = tf.constant(0.1 * rng.normal(size=(3, 1500)).astype(np.float32))
    library, raw = keras.layers.MelSpectrogram(**settings), MelSpectrogram(**settings)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        want, got = library(x), raw(x)
    weights = tf.constant(rng.normal(size=want.shape).astype(np.float32))
    assert got.shape == want.shape == (3, settings["num_mel_bins"], 1 + 1500 // settings["sequence_stride"])
    close(got, want)
    close(tape.gradient(got, x, output_gradients=weights), tape.gradient(want, x, output_gradients=weights))


def test_each_step_equals_its_library_function():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 50)).astype(np.float32)
    np.testing.assert_array_equal(reflect_pad(tf.constant(x), 7), np.pad(x, [(0, 0), (7, 7)], mode="reflect"))
    np.testing.assert_array_equal(frame(tf.constant(x), 16, 5), tf.signal.frame(x, 16, 5))
    np.testing.assert_allclose(hann_window(16, 16), scipy.signal.get_window("hann", 16), atol=1e-7)  # periodic
    cos, minus_sin = dft_matrices(32)
    spectrum = np.fft.rfft(x[:, :32])
    np.testing.assert_allclose(x[:, :32] @ cos, spectrum.real, atol=1e-4)
    np.testing.assert_allclose(x[:, :32] @ minus_sin, spectrum.imag, atol=1e-4)
    want = mel_layer(Features()).linear_to_mel_weight_matrix(40, 129, 8000, 20.0, 4000.0)
    # Keras builds it in float32, this one in float64 then rounds: they differ in the sixth digit
    np.testing.assert_allclose(mel_filterbank(40, 129, 8000, 20.0, 4000.0), want, atol=1e-5)
    np.testing.assert_allclose(dct_matrix(40), scipy.fft.dct(np.eye(40), type=2, norm="ortho"), atol=1e-6)


def test_mfcc_equals_scipy_dct_and_the_keras_side_features():
    rng = np.random.default_rng(1)
    log_mel_db = rng.normal(size=(2, 40, 9)).astype(np.float32) * 20
    want = scipy.fft.dct(log_mel_db, type=2, norm="ortho", axis=1)[:, :13]
    close(mfcc(tf.constant(log_mel_db), 13), want, 1e-6)
    close(keras_side_mfcc(log_mel_db, 13), want, 1e-6)


def test_log_mel_floors_each_clip_on_its_own():
    """Keras floors at the batch maximum - top_db; `log_mel` floors each clip at its own, so a quiet clip's
    features do not change when a loud one shares its batch."""
    rng = np.random.default_rng(2)
    quiet = 1e-3 * rng.normal(size=(1, 4000)).astype(np.float32)
    loud = 0.5 * rng.normal(size=(1, 4000)).astype(np.float32)
    features = Features()
    alone = log_mel(quiet, features)
    together = log_mel(np.concatenate([quiet, loud]), features)
    np.testing.assert_allclose(together[0], alone[0], atol=1e-3)
    assert alone.shape == (1, 40, features.frames(4000)) and alone.max() - alone.min() <= features.top_db + 1e-3
