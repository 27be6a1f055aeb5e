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

    @classmethod
    def for_rate(cls, sampling_rate: int, **changes) -> "Features":
        """The same framing at another sample rate: 25 ms windows every 10 ms, the FFT the next power of 2."""
        window = round(0.025 * sampling_rate)
        return cls(sampling_rate=sampling_rate, fft_length=1 << (window - 1).bit_length(), sequence_length=window,
                   sequence_stride=round(0.010 * sampling_rate), **changes)

    def band_hz(self) -> np.ndarray:
        """Centre frequency (Hz) of each mel band, for labelling plots (HTK mel, as the layer)."""
        mel = lambda f: 1127.0 * np.log(1.0 + np.asarray(f) / 700.0)  # noqa: E731
        edges = np.linspace(mel(self.min_freq), mel(self.sampling_rate / 2), self.mel_bins + 2)
        return 700.0 * (np.exp(edges[1:-1] / 1127.0) - 1.0)

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


# ---- normalisation -------------------------------------------------------------------------------

NORMALISATIONS = ("dataset", "clip")


@dataclass
class Normaliser:
    """Standardises spectrograms (N, bins, frames) one of two ways:

    - "dataset": (x - mean_b) / std_b with each bin's mean and std over every frame of the training
      clips: the same shift for every clip, so a loud speaker stays loud;
    - "clip": each clip minus its own mean over time in every bin, divided by its own std: the
      spectral tilt of a voice or a microphone (and the loudness) is taken away clip by clip (cepstral
      mean and variance normalisation), so only the shape over time is left. No statistics to fit.
    """

    mode: str
    mean: np.ndarray | None = None   # (bins,) for "dataset"
    std: np.ndarray | None = None

    @classmethod
    def fit(cls, x_train: np.ndarray, mode: str) -> "Normaliser":
        if mode not in NORMALISATIONS:
            raise ValueError(f"Expected a normalisation among {NORMALISATIONS}. Received: {mode!r}")
        if mode == "clip":
            return cls(mode)
        return cls(mode, x_train.mean(axis=(0, 2)).astype(np.float32), x_train.std(axis=(0, 2)).astype(np.float32) + 1e-6)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.mode == "dataset":
            return ((x - self.mean[:, None]) / self.std[:, None]).astype(np.float32)
        centred = x - x.mean(axis=2, keepdims=True)
        return (centred / (centred.std(axis=(1, 2), keepdims=True) + 1e-6)).astype(np.float32)


# ---- augmentation inside the network -------------------------------------------------------------

class SpecAugment(keras.layers.Layer):
    """SpecAugment's masks (Park et al., 2019; without its time warping): in training, each spectrogram
    gets `freq_masks` bands of 0 to `freq_width` consecutive bins and `time_masks` stretches of 0 to
    `time_width` consecutive frames set to zero (the mean, after normalisation); at inference it passes
    the input through. The network must then recognise a word with part of its spectrum or a moment of
    it missing. Input and output (batch, bins, frames, channels)."""

    def __init__(self, freq_masks: int = 2, freq_width: int = 6, time_masks: int = 2, time_width: int = 10,
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.freq_masks, self.freq_width = freq_masks, freq_width
        self.time_masks, self.time_width = time_masks, time_width
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)

    def band_keep(self, batch, size: int, width: int):
        """(batch, size) float: 0 inside one random band per example (width uniform in 0..width), 1 elsewhere."""
        ops = keras.ops
        w = ops.floor(keras.random.uniform((batch, 1), seed=self.generator) * (width + 1))
        start = ops.floor(keras.random.uniform((batch, 1), seed=self.generator) * (size - w + 1))
        index = ops.cast(ops.arange(size), "float32")[None, :]
        inside = ops.logical_and(index >= start, index < start + w)
        return 1.0 - ops.cast(inside, "float32")

    def call(self, x, training=False):
        if not training:
            return x
        batch, bins, frames = keras.ops.shape(x)[0], x.shape[1], x.shape[2]
        keep = keras.ops.ones_like(x)
        for _ in range(self.freq_masks):
            keep = keep * self.band_keep(batch, bins, self.freq_width)[:, :, None, None]
        for _ in range(self.time_masks):
            keep = keep * self.band_keep(batch, frames, self.time_width)[:, None, :, None]
        return x * keep

    def get_config(self):
        return {**super().get_config(), "freq_masks": self.freq_masks, "freq_width": self.freq_width,
                "time_masks": self.time_masks, "time_width": self.time_width, "seed": self.seed}


class FrequencyWarp(keras.layers.Layer):
    """Vocal tract length perturbation (Jaitly & Hinton, 2013) on a mel spectrogram: in training, each
    spectrogram's frequency axis is scaled by its own random factor α, uniform in [1 − max_warp,
    1 + max_warp]: band i takes the value the clip had at frequency f_i / α (linear interpolation between
    the two nearest bands; below the first band and above the last, their own values), as if a speaker
    whose formants all sit α times higher said the same word. The bands' centres `band_hz` (HTK mel, as
    `Features.band_hz`) turn a frequency into a fractional band index. At inference it passes the input
    through. Input and output (batch, bins, frames, channels)."""

    def __init__(self, band_hz, max_warp: float = 0.1, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.band_hz = [float(f) for f in band_hz]
        self.max_warp, self.seed = max_warp, seed
        self.generator = keras.random.SeedGenerator(seed)

    def source_index(self, alpha):
        """(batch, bins) fractional band index whose frequency is f_i / α, for α of shape (batch, 1)."""
        ops = keras.ops
        mel = lambda f: 1127.0 * ops.log(1.0 + f / 700.0)  # noqa: E731
        centres = ops.convert_to_tensor(np.asarray(self.band_hz, np.float32))[None, :]
        first, step = mel(centres[:, :1]), mel(centres[:, 1:2]) - mel(centres[:, :1])
        return ops.clip((mel(centres / alpha) - first) / step, 0.0, len(self.band_hz) - 1.0)

    def call(self, x, training=False):
        if not training:
            return x
        ops = keras.ops
        batch = ops.shape(x)[0]
        alpha = 1.0 + self.max_warp * (2.0 * keras.random.uniform((batch, 1), seed=self.generator) - 1.0)
        source = self.source_index(alpha)
        low = ops.floor(source)
        high = ops.minimum(low + 1.0, len(self.band_hz) - 1.0)
        weight = (source - low)[:, :, None, None]
        shape = ops.shape(x)

        def bands(index):  # x's rows at `index` (batch, bins), every frame and channel
            return ops.take_along_axis(x, ops.broadcast_to(ops.cast(index, "int32")[:, :, None, None], shape), axis=1)

        return (1.0 - weight) * bands(low) + weight * bands(high)

    def get_config(self):
        return {**super().get_config(), "band_hz": self.band_hz, "max_warp": self.max_warp, "seed": self.seed}


# ---- the classifiers -----------------------------------------------------------------------------

def build_spectrogram_cnn(input_shape: tuple[int, int], n_classes: int, *, filters=(16, 32, 32),
                          dense_units: int = 64, dropout: float = 0.3, spec_augment: SpecAugment | None = None,
                          freq_warp: FrequencyWarp | None = None, name: str = "spectrogram_cnn") -> keras.Model:
    """A small 2-D CNN on a spectrogram (bins, frames) as a one-channel image: [FrequencyWarp] [SpecAugment] →
    [Conv2D 3×3 → BatchNorm → ReLU → MaxPool 2]×len(filters) → Dense → Dropout → softmax
    (`keras_models.conv.build_conv_net`). A 3×3 kernel sees 3 neighbouring bands over 30 ms; after three
    poolings a unit sees about a fifth of the spectrum over a quarter of a second: a formant's movement."""
    from keras_models.conv import build_conv_net

    return build_conv_net(input_shape, n_classes, filters=filters, kernel_sizes=(3,), dense_units=dense_units,
                          dropout=dropout, batch_norm=True,
                          preprocessing=[layer for layer in (freq_warp, spec_augment) if layer is not None],
                          name=name)


def build_dense_classifier(input_shape, n_classes: int, *, hidden=(128, 64), dropout: float = 0.3,
                           name: str = "dense") -> keras.Model:
    """Flatten → Dense(ReLU) → Dropout → ... → softmax (`keras_models.dense.build_dense_net`), for any
    feature: raw waveform (samples,), MFCC or log-mel (bins, frames)."""
    from keras_models.dense import build_dense_net

    return build_dense_net(input_shape, n_classes, hidden, dropout=dropout, name=name)
