"""Sound features by Keras, and the classifiers of the audio lessons.

Features of a batch of clips (N, samples) at one sample rate, all set by one `Features`:
- `log_mel`: `keras.layers.MelSpectrogram` in dB, (N, mel_bins, frames), floored per clip;
- `mfcc`: the orthonormal DCT-II of each frame's log-mel vector (scipy.fft), (N, mfcc, frames);
- `mfcc_statistics`: per-coefficient means over a few time segments and standard deviations, (N, d),
  the input of the classical peer (logistic regression).
The from-scratch twin of the spectrogram is `tf_raw.spectrogram`.
"""
from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np


@dataclass(frozen=True)
class Features:
    """How a clip becomes a spectrogram. The defaults suit 8 kHz speech: 25 ms Hann windows every 10 ms
    (the classic speech framing), FFT of 256 (32 ms; the window is zero-padded to it), 40 mel bands from
    20 Hz to the Nyquist frequency, 80 dB of dynamic range per clip, 13 MFCCs."""

    sampling_rate: int = 8000
    fft_length: int = 256
    sequence_length: int = 200
    sequence_stride: int = 80
    mel_bins: int = 40
    min_freq: float = 20.0
    top_db: float = 80.0
    mfcc: int = 13

    def frames(self, samples: int) -> int:
        """Spectrogram columns of a clip of `samples` (Keras pads fft_length // 2 at each end)."""
        return 1 + samples // self.sequence_stride

    def seconds_per_frame(self) -> float:
        return self.sequence_stride / self.sampling_rate


def mel_layer(features: Features, top_db: float | None = None) -> keras.layers.MelSpectrogram:
    """The `keras.layers.MelSpectrogram` of `features`; `top_db` overrides the floor (inf: none)."""
    return keras.layers.MelSpectrogram(
        fft_length=features.fft_length, sequence_stride=features.sequence_stride,
        sequence_length=features.sequence_length, sampling_rate=features.sampling_rate,
        num_mel_bins=features.mel_bins, min_freq=features.min_freq, max_freq=features.sampling_rate / 2,
        top_db=features.top_db if top_db is None else top_db)


def log_mel(waves: np.ndarray, features: Features, batch_size: int = 256) -> np.ndarray:
    """float32 (N, samples) → log-mel power in dB, float32 (N, mel_bins, frames).

    Each clip is floored at its own maximum minus `top_db`. The Keras layer floors at the maximum of the
    whole batch, so a clip's features would depend on which clips share its batch; the layer runs with
    its floor off and the floor is applied per clip here.
    """
    layer = mel_layer(features, top_db=float("inf"))
    parts = [keras.ops.convert_to_numpy(layer(waves[i:i + batch_size])) for i in range(0, len(waves), batch_size)]
    db = np.concatenate(parts) if parts else np.zeros((0, features.mel_bins, features.frames(waves.shape[1])))
    return np.maximum(db, db.max(axis=(1, 2), keepdims=True) - features.top_db).astype(np.float32)


def mfcc(log_mel_db: np.ndarray, n: int) -> np.ndarray:
    """(N, mel_bins, frames) → (N, n, frames): the first `n` coefficients of the orthonormal DCT-II of each
    frame's log-mel vector (scipy.fft.dct(type=2, norm="ortho") along the mel axis)."""
    from scipy.fft import dct

    return dct(log_mel_db, type=2, norm="ortho", axis=1)[:, :n].astype(np.float32)


def mfcc_statistics(coefficients: np.ndarray, segments: int = 3, active: np.ndarray | None = None) -> np.ndarray:
    """(N, n, frames) MFCCs → (N, n · (segments + 1)): each coefficient's mean over `segments` equal
    stretches of time (a coarse picture of how the word unfolds) and its standard deviation over the
    clip. `active` (N, frames) bool keeps only those frames (the spoken part, not the padding)."""
    rows = []
    for i, c in enumerate(coefficients):
        frames = c[:, active[i]] if active is not None and active[i].sum() >= segments else c
        means = [part.mean(axis=1) for part in np.array_split(frames, segments, axis=1)]
        rows.append(np.concatenate(means + [frames.std(axis=1)]))
    return np.stack(rows).astype(np.float32)
