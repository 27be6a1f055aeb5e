"""The speech lesson's own synthesis network: (digit, speaker) → log-mel spectrogram and duration.

Two learned tables turn the request into vectors: a digit embedding (what is said) and a speaker embedding
(who says it); the decoder only ever sees their concatenation, so what it learns about "seven" is shared by
every voice. A dense layer makes a coarse picture of `frames / 4` steps, two upsample-and-convolve stages
refine it to (frames, mel_bins); a second head predicts the clip's log duration in seconds (the
spectrogram may be on a normalised time axis, and the duration stretches it back).

    digit (N,) int, speaker (N,) int
      → [Embedding(10, e_d) | Embedding(S, e_s)]                     (N, e_d + e_s)
      → Dense(width, relu)                                           (N, width)        ─→ Dense(1): log seconds
      → Dense(frames/4 · channels, relu) → reshape                   (N, frames/4, channels)
      → ×2 [UpSampling1D(2) → Conv1D(channels, 5, relu)]             (N, frames, channels)
      → Conv1D(mel_bins, 5)                                          (N, frames, mel_bins): standardised dB

Trained by mean squared error on standardised log-mel (dB minus the training mean, over its standard
deviation) plus that of the log duration: with nothing random in the input, the best the network can do is
each (digit, speaker)'s average spectrogram, which it reaches through shared parts rather than a lookup.
"""
from __future__ import annotations

import keras
from keras import layers


def build_spectrogram_decoder(n_digits: int, n_speakers: int, frames: int, mel_bins: int, *,
                              digit_dim: int = 16, speaker_dim: int = 8, width: int = 256,
                              channels: int = 96) -> keras.Model:
    """The decoder of the module docstring (uncompiled: the lesson's training recipe compiles it); inputs
    {"digit", "speaker"}, outputs {"spectrogram": (N, frames, mel_bins), "log_seconds": (N, 1)}. `frames`
    must be a multiple of 4."""
    if frames % 4:
        raise ValueError(f"Expected frames divisible by 4 (two ×2 upsamplings). Received: {frames}")
    digit = keras.Input(shape=(), dtype="int32", name="digit")
    speaker = keras.Input(shape=(), dtype="int32", name="speaker")
    code = layers.Concatenate()([layers.Embedding(n_digits, digit_dim, name="digit_embedding")(digit),
                                 layers.Embedding(n_speakers, speaker_dim, name="speaker_embedding")(speaker)])
    hidden = layers.Dense(width, activation="relu")(code)
    log_seconds = layers.Dense(1, name="log_seconds")(hidden)
    x = layers.Dense(frames // 4 * channels, activation="relu")(hidden)
    x = layers.Reshape((frames // 4, channels))(x)
    for _ in range(2):
        x = layers.UpSampling1D(2)(x)
        x = layers.Conv1D(channels, 5, padding="same", activation="relu")(x)
    spectrogram = layers.Conv1D(mel_bins, 5, padding="same", name="spectrogram")(x)
    return keras.Model({"digit": digit, "speaker": speaker},
                       {"spectrogram": spectrogram, "log_seconds": log_seconds}, name="spectrogram_decoder")
