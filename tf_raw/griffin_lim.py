"""From a spectrogram back to sound: mel → linear inversion and Griffin-Lim phase reconstruction, over
tf.signal's STFT.

A (log-)mel spectrogram keeps, per frame, only the energy in a few dozen mel bands: the phase of every
frequency bin and the detail inside each band are gone. Turning it back into a waveform takes two steps.

1. Mel → linear power. With the filterbank W (bins, n_mels) the mel power of frames P (frames, bins) is
   M = P W. There are more bins than bands, so many P fit; we want one that is non-negative (a power is).
   Non-negative least squares  min_{P ≥ 0} ‖P W − M‖²  by Lee and Seung's multiplicative update

       P ← P ⊙ (M Wᵀ) / (P W Wᵀ + ε)

   which keeps P ≥ 0 and never raises the error; it starts from the pseudo-inverse M W⁺ clipped above 0.

2. Griffin-Lim (Griffin & Lim 1984): find a signal x whose STFT magnitude is the target S (frames, bins).
   Not every array of complex numbers is the STFT of a signal (neighbouring frames overlap); alternate
   between the two sets, "has magnitude S" and "is an STFT":

       X_k     = S ⊙ exp(i ∠ STFT(x_k))                 keep the phase, impose the magnitude
       x_{k+1} = ISTFT(X_k)                             the signal closest to X_k (least squares)

   The spectral convergence  ‖S − |STFT(x_k)|‖_F / ‖S‖_F  never rises from one step to the next. The
   "fast" variant (Perraudin, Balazs & Søndergaard 2013) adds momentum α to the projected coefficients,
   t_k = STFT(x_{k+1}),  c_k = t_k + α (t_k − t_{k−1}), and converges in far fewer iterations; α = 0 is the
   classical algorithm.

Frames: a Hann window of `frame_length` samples every `frame_step` samples, FFT of `fft_length`;
tf.signal.inverse_stft with the matching dual window (`inverse_stft_window_fn`) makes ISTFT(STFT(x)) = x
wherever frames overlap fully, which is what the projection needs.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import tensorflow as tf


@dataclass(frozen=True)
class Framing:
    """How a waveform is cut into STFT frames (samples)."""

    frame_length: int = 256
    frame_step: int = 64
    fft_length: int = 256

    @property
    def bins(self) -> int:
        return self.fft_length // 2 + 1

    def samples(self, frames: int) -> int:
        """Length of the signal whose STFT (no padding) has `frames` frames."""
        return (frames - 1) * self.frame_step + self.frame_length

    def stft(self, waveform: tf.Tensor) -> tf.Tensor:
        """(samples,) float → (frames, bins) complex."""
        return tf.signal.stft(waveform, self.frame_length, self.frame_step, self.fft_length,
                              window_fn=tf.signal.hann_window)

    def istft(self, coefficients: tf.Tensor) -> tf.Tensor:
        """(frames, bins) complex → (samples,) float: the least-squares signal for these coefficients."""
        return tf.signal.inverse_stft(coefficients, self.frame_length, self.frame_step, self.fft_length,
                                      window_fn=tf.signal.inverse_stft_window_fn(self.frame_step,
                                                                                 tf.signal.hann_window))

    def magnitude(self, waveform) -> np.ndarray:
        """|STFT(x)|: (frames, bins)."""
        return np.abs(self.stft(tf.convert_to_tensor(waveform, tf.float32)).numpy())


def spectral_convergence(target: tf.Tensor, coefficients: tf.Tensor) -> float:
    """‖S − |X|‖_F / ‖S‖_F: 0 when the magnitudes agree."""
    return float(tf.norm(target - tf.abs(coefficients)) / tf.maximum(tf.norm(target), 1e-12))


def griffin_lim(magnitude, framing: Framing = Framing(), iterations: int = 64, momentum: float = 0.99,
                seed: int = 0) -> tuple[np.ndarray, list[float]]:
    """A waveform whose STFT magnitude approaches `magnitude` (frames, bins), from random phases (seeded),
    and the spectral convergence after each iteration: (samples,), [iterations floats]."""
    target = tf.convert_to_tensor(np.asarray(magnitude, dtype=np.float32))
    if target.shape[-1] != framing.bins:
        raise ValueError(f"Expected a magnitude with {framing.bins} frequency bins (fft_length "
                         f"{framing.fft_length}). Received: shape {tuple(target.shape)}")
    phase = tf.random.stateless_uniform(tf.shape(target), seed=(seed, 0), minval=-np.pi, maxval=np.pi)
    waveform, errors = _iterate(framing)(target, phase, tf.constant(iterations), tf.constant(momentum, tf.float32))
    return waveform.numpy(), errors.numpy().tolist()


@functools.lru_cache(maxsize=None)
def _iterate(framing: Framing):
    """The Griffin-Lim loop as one TensorFlow graph per framing (any number of frames): eagerly, each of
    its small STFTs would cost more in dispatch than in arithmetic."""

    def polar(magnitude, angle):
        return tf.complex(magnitude * tf.cos(angle), magnitude * tf.sin(angle))

    @tf.function(input_signature=[tf.TensorSpec([None, framing.bins], tf.float32), tf.TensorSpec([None, framing.bins], tf.float32),
                                  tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.float32)])
    def iterate(target, phase, iterations, momentum):
        coefficients = polar(target, phase)
        previous = tf.zeros_like(coefficients)
        errors = tf.TensorArray(tf.float32, size=iterations)
        norm = tf.maximum(tf.norm(target), 1e-12)
        for k in tf.range(iterations):
            projected = framing.stft(framing.istft(coefficients))          # "is an STFT"
            errors = errors.write(k, tf.norm(target - tf.abs(projected)) / norm)
            accelerated = projected + tf.cast(momentum, tf.complex64) * (projected - previous)
            previous = projected
            coefficients = polar(target, tf.math.angle(accelerated))      # "has magnitude S"
        return framing.istft(coefficients), errors.stack()

    return iterate


def mel_to_linear(mel_power, filterbank, iterations: int = 200, epsilon: float = 1e-10) -> np.ndarray:
    """Non-negative P (frames, bins) with P W ≈ M, for mel power M (frames, n_mels) and filterbank W
    (bins, n_mels), by the multiplicative NNLS update of the module docstring. NumPy: the matrices are a
    few hundred numbers a side, where eager TensorFlow would spend its time dispatching."""
    m = np.asarray(mel_power, dtype=np.float64)
    w = np.asarray(filterbank, dtype=np.float64)
    if m.shape[-1] != w.shape[-1]:
        raise ValueError(f"Expected mel power with {w.shape[-1]} bands, as the filterbank has. "
                         f"Received: shape {m.shape}")
    from threadpoolctl import threadpool_limits

    # one BLAS thread: for products this small, the threads of a multi-threaded BLAS spend more time
    # waking and waiting than multiplying (200 iterations: 10 ms on one thread, 0.4 s on several)
    with threadpool_limits(1, user_api="blas"):
        # start strictly positive: a zero entry of P would stay zero under a multiplicative update
        p = np.maximum(m @ np.linalg.pinv(w), m.max() * 1e-6 + epsilon)
        numerator, gram = m @ w.T, w @ w.T
        for _ in range(iterations):
            p *= numerator / (p @ gram + epsilon)
    return p
