"""The log-mel spectrogram from first principles, twin of `keras.layers.MelSpectrogram`; MFCC on top.

A spectrogram says how much of each frequency a sound holds at each moment. Step by step, for a clip
x (samples,) at `sampling_rate` Hz:

1. pad: `fft_length // 2` samples mirrored at each end (`reflect_pad`), so frame t is centred on sample
   t * stride (Keras's `center=True`);
2. frame: cut overlapping frames of `fft_length` samples every `sequence_stride` (`frame`):
   (frames, fft_length), frames = 1 + samples // stride;
3. window: multiply each frame by a Hann window of `sequence_length` samples, zero-padded to
   `fft_length` (`hann_window`), so the frame's ends fade to zero and a cut-off sine does not smear
   over every frequency;
4. Fourier transform: X[k] = sum_n frame[n] · e^(-2πi·k·n / fft_length) for k = 0 .. fft_length/2 (the
   rest mirror these for a real signal). Here it is the DFT as two matrix products (cos and sin parts,
   `dft_matrices`): the FFT computes the same sums in O(n log n), a speed trick, not another result;
5. power: |X[k]|^mag_exp (2: power; 1: magnitude);
6. mel filterbank: `num_mel_bins` triangles evenly spaced on the mel scale (mel = 1127 · ln(1 + f/700),
   the HTK convention Keras uses), each peaking at 1 (`mel_filterbank`), sum the power under each one:
   ears tell 100 Hz from 200 Hz far better than 3,100 Hz from 3,200 Hz, and the mel scale spaces the
   bands that way;
7. decibels: 10 · log10(max(S, min_power) / ref_power), floored at (its maximum - top_db) (`power_to_db`).

Output (batch, num_mel_bins, frames), as Keras. The MFCCs are the orthonormal DCT-II of each frame's
log-mel vector (`dct_matrix`, `mfcc`): a few smooth shapes of the spectrum's envelope, nearly
uncorrelated, the classic input of a linear model.
"""
from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from tf_raw.layer import Layer

MEL_BREAK_HZ = 700.0
MEL_HIGH_Q = 1127.0


def hertz_to_mel(frequency):
    """mel(f) = 1127 · ln(1 + f / 700) (= 2595 · log10(1 + f / 700)); NumPy or TF input."""
    return MEL_HIGH_Q * np.log(1.0 + np.asarray(frequency, dtype=np.float64) / MEL_BREAK_HZ)


def hann_window(sequence_length: int, fft_length: int) -> np.ndarray:
    """Periodic Hann window w[n] = 0.5 - 0.5 · cos(2πn / L), n < L = sequence_length, centred in
    `fft_length` zeros: float32 (fft_length,)."""
    n = np.arange(sequence_length)
    window = 0.5 - 0.5 * np.cos(2.0 * math.pi * n / sequence_length)
    left = (fft_length - sequence_length) // 2
    return np.pad(window, (left, fft_length - sequence_length - left)).astype(np.float32)


def reflect_pad(x: tf.Tensor, pad: int) -> tf.Tensor:
    """(..., n) → (..., n + 2·pad): `pad` samples mirrored about each end, the end sample not repeated
    ([a b c d], 2 → [c b a b c d c b])."""
    return tf.concat([tf.reverse(x[..., 1:pad + 1], [-1]), x, tf.reverse(x[..., -pad - 1:-1], [-1])], axis=-1)


def frame(x: tf.Tensor, frame_length: int, frame_step: int) -> tf.Tensor:
    """(..., n) → (..., frames, frame_length), frame t = x[t·step : t·step + length], every frame that
    fits: frames = 1 + (n - length) // step. One gather with an index matrix idx[t, j] = t·step + j."""
    n = x.shape[-1]
    frames = 1 + (n - frame_length) // frame_step
    index = np.arange(frames)[:, None] * frame_step + np.arange(frame_length)[None, :]
    return tf.gather(x, index, axis=-1)


def dft_matrices(fft_length: int) -> tuple[np.ndarray, np.ndarray]:
    """(cos, -sin) float32 (fft_length, fft_length // 2 + 1): frames @ cos = Re X, frames @ -sin = Im X,
    where X[k] = sum_n x[n] · e^(-2πi·k·n / N). The angle k·n is reduced mod N first, so it stays exact."""
    n = np.arange(fft_length)[:, None]
    k = np.arange(fft_length // 2 + 1)[None, :]
    angle = 2.0 * math.pi * ((n * k) % fft_length) / fft_length
    return np.cos(angle).astype(np.float32), (-np.sin(angle)).astype(np.float32)


def mel_filterbank(num_mel_bins: int, num_spectrogram_bins: int, sampling_rate: float,
                   lower_edge_hertz: float, upper_edge_hertz: float) -> np.ndarray:
    """float32 (num_spectrogram_bins, num_mel_bins): column m is a triangle over the linear frequency
    bins (bin k is at k · (sampling_rate / 2) / (num_spectrogram_bins - 1) Hz), rising from edge m to a
    peak of 1 at edge m + 1 and falling to 0 at edge m + 2, where the num_mel_bins + 2 edges are evenly
    spaced in mel between the two edge frequencies; the slopes are linear in mel. The DC bin gets no
    weight."""
    bins_mel = hertz_to_mel(np.linspace(0.0, sampling_rate / 2.0, num_spectrogram_bins)[1:])[:, None]
    edges = np.linspace(hertz_to_mel(lower_edge_hertz), hertz_to_mel(upper_edge_hertz), num_mel_bins + 2)
    lower, centre, upper = edges[None, :-2], edges[None, 1:-1], edges[None, 2:]
    rising = (bins_mel - lower) / (centre - lower)
    falling = (upper - bins_mel) / (upper - centre)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return np.pad(weights, [(1, 0), (0, 0)]).astype(np.float32)


def power_to_db(power: tf.Tensor, top_db: float, min_power: float, ref_power: float) -> tf.Tensor:
    """10 · log10(max(S, min_power)) - 10 · log10(max(|ref_power|, min_power)), then floored at its
    maximum minus `top_db`. As in Keras, the maximum is over the whole tensor: over every clip of the
    batch, so one clip's floor depends on the loudest clip beside it (`top_db=inf` turns the floor off)."""
    ten_over_ln10 = 10.0 / math.log(10.0)
    db = ten_over_ln10 * tf.math.log(tf.maximum(power, min_power))
    db -= 10.0 * math.log10(max(abs(ref_power), min_power))
    return tf.maximum(db, tf.reduce_max(db) - top_db)


class MelSpectrogram(Layer):
    """Raw twin of `keras.layers.MelSpectrogram`: same arguments and defaults (window "hann" only).

    x (batch, samples) or (samples,) float32 → (batch, num_mel_bins, 1 + samples // sequence_stride)
    (or without the batch axis); see the module docstring for the steps.
    """

    def __init__(self, fft_length: int = 2048, sequence_stride: int = 512, sequence_length: int | None = None,
                 window: str = "hann", sampling_rate: int = 16000, num_mel_bins: int = 128,
                 min_freq: float = 20.0, max_freq: float | None = None, power_to_db: bool = True,
                 top_db: float = 80.0, mag_exp: float = 2.0, min_power: float = 1e-10, ref_power: float = 1.0,
                 name: str | None = None):
        super().__init__(name=name)
        self.sequence_length = sequence_length or fft_length
        if fft_length < self.sequence_length:
            raise ValueError(f"Expected fft_length >= sequence_length. Received: fft_length={fft_length}, "
                             f"sequence_length={self.sequence_length}")
        if window != "hann":
            raise ValueError(f"Expected window='hann'. Received: window={window!r}")
        self.fft_length, self.sequence_stride = fft_length, sequence_stride
        self.sampling_rate, self.num_mel_bins = sampling_rate, num_mel_bins
        self.min_freq, self.max_freq = min_freq, max_freq or int(sampling_rate / 2)
        self.to_db, self.top_db, self.mag_exp = power_to_db, top_db, mag_exp
        self.min_power, self.ref_power = min_power, ref_power
        self.window = tf.constant(hann_window(self.sequence_length, fft_length))
        self.cos, self.minus_sin = (tf.constant(m) for m in dft_matrices(fft_length))
        self.filterbank = tf.constant(mel_filterbank(num_mel_bins, fft_length // 2 + 1, sampling_rate,
                                                     min_freq, self.max_freq))

    def power_spectrum(self, x: tf.Tensor) -> tf.Tensor:
        """(..., samples) → |X|^mag_exp (..., frames, fft_length // 2 + 1), steps 1-5."""
        frames = frame(reflect_pad(x, self.fft_length // 2), self.fft_length, self.sequence_stride) * self.window
        real, imag = frames @ self.cos, frames @ self.minus_sin
        # (re² + im²)^(p/2) is |X|^p; unlike sqrt(re² + im²)^p its gradient stays finite where X = 0
        # (a padded silence) for p = 2, and elsewhere it is the same function.
        return (real ** 2 + imag ** 2) ** (self.mag_exp / 2.0)

    def call(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        mel = self.power_spectrum(tf.cast(x, tf.float32)) @ self.filterbank
        if self.to_db:
            mel = power_to_db(mel, self.top_db, self.min_power, self.ref_power)
        return tf.linalg.matrix_transpose(mel)


def dct_matrix(n: int) -> np.ndarray:
    """Orthonormal DCT-II as a matrix D (n, n), y = x @ D: D[j, k] = s_k · cos(π·k·(2j + 1) / (2n)),
    s_0 = sqrt(1/n), s_k = sqrt(2/n); the same transform as scipy.fft.dct(x, type=2, norm="ortho")."""
    j = np.arange(n)[:, None]
    k = np.arange(n)[None, :]
    scale = np.where(k == 0, math.sqrt(1.0 / n), math.sqrt(2.0 / n))
    return (scale * np.cos(math.pi * k * (2 * j + 1) / (2 * n))).astype(np.float32)


def mfcc(log_mel: tf.Tensor, num_coefficients: int) -> tf.Tensor:
    """Log-mel (..., num_mel_bins, frames) → MFCC (..., num_coefficients, frames): the first
    coefficients of the orthonormal DCT-II along the mel axis (coefficient 0 is the frame's level)."""
    basis = tf.constant(dct_matrix(log_mel.shape[-2])[:, :num_coefficients])
    return tf.linalg.matrix_transpose(tf.linalg.matrix_transpose(log_mel) @ basis)
