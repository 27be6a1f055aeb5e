"""Melodies as a next-note model sees them, in NumPy: (pitch, step, duration) per note, their classes,
windows of the notes before each note, sampling with a temperature, and two measures of generated music.

A note of a melody is (pitch, start, end) in ticks. Its encoding is

    pitch_i,   step_i = start_i − start_{i−1} (step_0 = start_0, from the beginning),   duration_i = end_i − start_i

so onsets are the running sum of steps and the encoding is exact and invertible (`encode` / `decode`).
A rest is a step longer than the previous duration; notes sounding together have step 0.

For a classifier, step and duration become classes (`Quantizer`): each value is rounded to a grid of
`grid` parts of a quarter note (24: sixteenths, eighths and triplets all land on it) and the values seen
in training are the classes. Class 0 of every feature is START, the padding before a tune's first note.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

START = 0                   # the class of "before the tune" in every feature
MAJOR = (0, 2, 4, 5, 7, 9, 11)
NATURAL_MINOR = (0, 2, 3, 5, 7, 8, 10)


def encode(notes: np.ndarray) -> np.ndarray:
    """(n, 3) (pitch, start, end) sorted by start → (n, 3) (pitch, step, duration), same units."""
    notes = np.asarray(notes, dtype=np.int64).reshape(-1, 3)
    starts = notes[:, 1]
    steps = np.diff(starts, prepend=0)
    if len(steps) and steps.min() < 0:
        raise ValueError("Expected notes sorted by start. Received a note starting before the one before it")
    return np.stack([notes[:, 0], steps, notes[:, 2] - starts], axis=1)


def decode(encoded: np.ndarray) -> np.ndarray:
    """Inverse of `encode`: (n, 3) (pitch, step, duration) → (n, 3) (pitch, start, end)."""
    encoded = np.asarray(encoded, dtype=np.int64).reshape(-1, 3)
    starts = np.cumsum(encoded[:, 1])
    return np.stack([encoded[:, 0], starts, starts + encoded[:, 2]], axis=1)


@dataclass(frozen=True)
class Quantizer:
    """Tick values ↔ classes 1..K. `values` are the classes' values in grid units (1/`grid` of a
    quarter note), sorted; a value not among them goes to the nearest class."""

    values: tuple[int, ...]
    grid: int = 24

    @classmethod
    def fit(cls, ticks: np.ndarray, resolutions: np.ndarray, grid: int = 24, min_count: int = 1) -> Quantizer:
        """The grid values met at least `min_count` times in `ticks` (each with its file's resolution)."""
        units = to_grid(ticks, resolutions, grid)
        values, counts = np.unique(units, return_counts=True)
        return cls(tuple(int(v) for v in values[counts >= min_count]), grid)

    @property
    def n_classes(self) -> int:
        """K + 1: the values and START."""
        return len(self.values) + 1

    def classes(self, ticks: np.ndarray, resolution: int | np.ndarray) -> np.ndarray:
        """Ticks → classes 1..K (the nearest value on the grid)."""
        units = to_grid(ticks, resolution, self.grid)
        values = np.asarray(self.values)
        return np.abs(units[..., None] - values).argmin(axis=-1) + 1

    def ticks(self, classes: np.ndarray, resolution: int) -> np.ndarray:
        """Classes 1..K → ticks at `resolution` (START, class 0, has no length: 0 ticks)."""
        values = np.concatenate([[0], self.values])
        return np.rint(values[np.asarray(classes)] * resolution / self.grid).astype(np.int64)

    def beats(self) -> list[float]:
        """Each class's value in quarter notes, START first (as 0)."""
        return [0.0] + [v / self.grid for v in self.values]


def to_grid(ticks: np.ndarray, resolution: int | np.ndarray, grid: int) -> np.ndarray:
    return np.rint(np.asarray(ticks) * grid / np.asarray(resolution)).astype(np.int64)


def tokens(encoded: np.ndarray, resolution: int, steps: Quantizer, durations: Quantizer) -> np.ndarray:
    """(n, 3) (pitch, step, duration) in ticks → (n, 3) classes: pitch + 1 (0 is START), step class,
    duration class."""
    return np.stack([encoded[:, 0] + 1, steps.classes(encoded[:, 1], resolution),
                     durations.classes(encoded[:, 2], resolution)], axis=1)


def windows(sequence: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Every note of a sequence as a target with the `width` notes before it as input, START-padded on
    the left: (n, F) → x (n, width, F), y (n, F). So every note, the first included, is predicted."""
    sequence = np.asarray(sequence)
    padded = np.concatenate([np.full((width,) + sequence.shape[1:], START, sequence.dtype), sequence])
    index = np.arange(len(sequence))[:, None] + np.arange(width)[None, :]
    return padded[index], sequence


def with_temperature(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """p_i^(1/T) / Σ_j p_j^(1/T) along the last axis, in log space: T < 1 sharpens toward the most
    likely class, T > 1 flattens toward uniform, T = 1 leaves p as it is."""
    if temperature <= 0:
        raise ValueError(f"Expected a temperature > 0. Received: {temperature}")
    logits = np.log(np.clip(probabilities, 1e-30, None)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    scaled = np.exp(logits)
    return scaled / scaled.sum(axis=-1, keepdims=True)


def sample(probabilities: np.ndarray, temperature: float, rng: np.random.Generator,
           forbidden: int | None = START) -> np.ndarray:
    """One class per row of (m, K) probabilities at `temperature`; `forbidden` (START) is never drawn."""
    p = with_temperature(probabilities, temperature)
    if forbidden is not None:
        p[..., forbidden] = 0.0
        p /= p.sum(axis=-1, keepdims=True)
    cumulative = np.cumsum(p, axis=-1)
    draws = rng.random(p.shape[:-1] + (1,))
    return np.minimum((draws > cumulative).sum(axis=-1), p.shape[-1] - 1)


def scale_pitch_classes(key: int) -> set[int]:
    """The pitch classes of a key (pretty_midi's key number: 0-11 major on C..B, 12-23 minor): the
    major scale or the natural minor scale on its tonic."""
    return {(key % 12 + step) % 12 for step in (MAJOR if key < 12 else NATURAL_MINOR)}


def in_key_share(pitches: np.ndarray, key: int) -> float:
    """Share of pitches whose pitch class belongs to the key's scale."""
    pitches = np.asarray(pitches)
    return float(np.isin(pitches % 12, sorted(scale_pitch_classes(key))).mean()) if len(pitches) else float("nan")


def intervals(pitches: np.ndarray) -> np.ndarray:
    """Semitones from each note to the next (n − 1,)."""
    return np.diff(np.asarray(pitches, dtype=np.int64))
