"""A next-note network: the last `window` notes of a melody → distributions of the next note's pitch,
step and duration.

Each note enters as three class ids (tf_raw/notes.py: pitch + 1, step class, duration class; 0 = START).
Pitch goes through a learned embedding or a fixed one-hot code (an Embedding with identity weights,
frozen: the same as one-hot input, and it saves as a plain layer); step and duration through small
learned embeddings. The three are concatenated per note, an LSTM reads the window, and three softmax
heads give P(pitch), P(step), P(duration) of the next note, each conditioned on the history only
(not on each other), so a note's log-likelihood is the sum of the three heads' log-likelihoods.
"""
from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers

HEADS = ("pitch", "step", "duration")


def build_next_note_lstm(window: int, n_pitches: int, n_steps: int, n_durations: int, *, units: int = 128,
                         pitch_input: str = "embedding", embedding_dim: int = 32, feature_dim: int = 8,
                         dropout: float = 0.2, name: str = "next_note_lstm") -> keras.Model:
    """Inputs {"pitch", "step", "duration"}: int (batch, window) each. Outputs {"pitch": (batch, n_pitches),
    "step": (batch, n_steps), "duration": (batch, n_durations)} softmax probabilities."""
    if pitch_input not in ("embedding", "one-hot"):
        raise ValueError(f"Expected pitch_input 'embedding' or 'one-hot'. Received: {pitch_input!r}")
    inputs = {head: keras.Input(shape=(window,), dtype="int32", name=head) for head in HEADS}
    if pitch_input == "one-hot":
        pitch = layers.Embedding(n_pitches, n_pitches, embeddings_initializer="identity", trainable=False,
                                 name="pitch_one_hot")(inputs["pitch"])
    else:
        pitch = layers.Embedding(n_pitches, embedding_dim, name="pitch_embedding")(inputs["pitch"])
    step = layers.Embedding(n_steps, feature_dim, name="step_embedding")(inputs["step"])
    duration = layers.Embedding(n_durations, feature_dim, name="duration_embedding")(inputs["duration"])
    notes = layers.Concatenate(name="notes")([pitch, step, duration])
    state = layers.LSTM(units, name="lstm")(notes)
    state = layers.Dropout(dropout, name="dropout")(state)
    outputs = {head: layers.Dense(size, activation="softmax", name=head + "_next")(state)
               for head, size in zip(HEADS, (n_pitches, n_steps, n_durations))}
    return keras.Model(inputs, outputs, name=name)


def as_inputs(windows: np.ndarray) -> dict[str, np.ndarray]:
    """(n, window, 3) class ids → the model's input dict, int32 (n, window) per feature."""
    return {head: windows[..., i].astype(np.int32) for i, head in enumerate(HEADS)}


def as_targets(notes: np.ndarray) -> dict[str, np.ndarray]:
    """(n, 3) class ids of the notes to predict → the target dict, int32 (n,) per head."""
    return {head: notes[:, i].astype(np.int32) for i, head in enumerate(HEADS)}


class TransposedBatches(keras.utils.PyDataset):
    """Training batches with every example transposed by its own random number of semitones, drawn
    anew each epoch from `shifts`: the window and the target note move together, START stays START,
    and a pitch pushed outside MIDI's 0..127 is folded back by an octave. A tune in D is then also seen
    in C, E♭, ...: the network learns intervals rather than the keys the training tunes happen to use."""

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, seed: int, shifts=range(-5, 7), **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size
        self.shifts = np.asarray(list(shifts))
        self.rng = np.random.default_rng(seed)
        self.on_epoch_end()

    def on_epoch_end(self):
        self.order = self.rng.permutation(len(self.y))
        self.offsets = self.rng.choice(self.shifts, size=len(self.y))

    def __len__(self) -> int:
        return math.ceil(len(self.y) / self.batch_size)

    def __getitem__(self, index: int):
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        x, y = self.x[rows].copy(), self.y[rows].copy()
        shift = self.offsets[rows]
        x[..., 0] = transpose_pitch_ids(x[..., 0], shift[:, None])
        y[:, 0] = transpose_pitch_ids(y[:, 0], shift)
        return as_inputs(x), as_targets(y)


def transpose_pitch_ids(ids: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Pitch ids (MIDI pitch + 1, 0 = START) moved by `shift` semitones, folded by octaves into 1..128."""
    moved = ids + shift
    moved = np.where(moved > 128, moved - 12, moved)
    moved = np.where(moved < 1, moved + 12, moved)
    return np.where(ids == 0, 0, moved)


def continue_tokens(model: keras.Model, seed: np.ndarray, window: int, notes: int, temperatures, rng) -> np.ndarray:
    """Sample `notes` new notes after the class ids `seed` (k, 3), once per temperature, all temperatures
    in one batch: each step feeds the last `window` notes (START-padded) and draws pitch, step and
    duration from the three heads at that temperature (tf_raw.notes.sample; START is never drawn).
    Returns (len(temperatures), notes, 3) class ids."""
    from tf_raw.notes import START, sample

    temperatures = list(temperatures)
    history = np.concatenate([np.full((window, 3), START, np.int64), np.asarray(seed, np.int64).reshape(-1, 3)])
    history = np.repeat(history[None], len(temperatures), axis=0)
    for _ in range(notes):
        probabilities = model(as_inputs(history[:, -window:]), training=False)
        drawn = np.stack([np.stack([sample(np.asarray(probabilities[head][i:i + 1], np.float64), t, rng)[0]
                                    for i, t in enumerate(temperatures)]) for head in HEADS], axis=1)
        history = np.concatenate([history, drawn[:, None, :]], axis=1)
    return history[:, -notes:]
