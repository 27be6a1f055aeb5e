"""A trained next-note model on disk, and what turns its class ids into music and back.

`<stem>.keras` is the Keras model (architecture and weights in one file); `<stem>.json` holds what
the classes mean: the step and duration values (tf_raw/notes.py `Quantizer`), the window, the
resolution and tempo of the files it learned from, and a default seed phrase (the first notes of a
test tune, with its key) so `nnlab compose` works without the data set. Both files are written under
a temporary name and renamed, so an interrupted save never leaves half a model behind.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnlab.data.midi import Melody
from nnlab.saved_models import load_keras_model_files, save_model_files
from tf_raw.notes import Quantizer, decode, encode, tokens


@dataclass
class Composer:
    """A next-note model with the meaning of its classes."""

    model: object
    window: int
    steps: Quantizer
    durations: Quantizer
    resolution: int
    tempo: float
    seed_tune: str                 # the default seed phrase's tune
    seed_notes: np.ndarray         # its first notes, (k, 3) (pitch, start, end) in ticks
    key: int | None

    def tokens(self, notes: np.ndarray) -> np.ndarray:
        """(n, 3) (pitch, start, end) ticks → (n, 3) class ids."""
        return tokens(encode(notes), self.resolution, self.steps, self.durations)

    def notes(self, ids: np.ndarray, after: int = 0) -> np.ndarray:
        """(n, 3) class ids → (n, 3) (pitch, start, end) ticks, the first onset `after` ticks from 0."""
        ids = np.asarray(ids).reshape(-1, 3)
        encoded = np.stack([ids[:, 0] - 1, self.steps.ticks(ids[:, 1], self.resolution),
                            self.durations.ticks(ids[:, 2], self.resolution)], axis=1)
        notes = decode(encoded)
        notes[:, 1:] += after
        return notes

    def compose(self, seed: np.ndarray, notes: int, temperatures, rng: np.random.Generator) -> list[Melody]:
        """For each temperature, a melody: the seed notes (ticks) then `notes` sampled notes after them."""
        from keras_models.music import continue_tokens

        seed = np.asarray(seed, dtype=np.int64).reshape(-1, 3)
        drawn = continue_tokens(self.model, self.tokens(seed), self.window, notes, temperatures, rng)
        last_onset = int(seed[-1, 1]) if len(seed) else 0
        return [Melody(np.concatenate([seed, self.notes(ids, after=last_onset)]), self.resolution, self.tempo,
                       self.key) for ids in drawn]


def save_composer(stem: Path, composer: Composer) -> Path:
    """Write `<stem>.keras` and `<stem>.json`; returns the .keras path."""
    blob = {"window": composer.window, "steps": list(composer.steps.values), "durations": list(composer.durations.values),
            "grid": composer.steps.grid, "resolution": composer.resolution, "tempo": composer.tempo,
            "seed_tune": composer.seed_tune, "seed_notes": np.asarray(composer.seed_notes).tolist(), "key": composer.key}
    return save_model_files(stem, lambda path: composer.model.save(str(path)), blob)


def load_composer(model_path: Path) -> Composer:
    """Rebuild a Composer from the files `save_composer` wrote."""
    model, spec = load_keras_model_files(model_path)
    return Composer(model, spec["window"], Quantizer(tuple(spec["steps"]), spec["grid"]),
                    Quantizer(tuple(spec["durations"]), spec["grid"]), spec["resolution"], spec["tempo"],
                    spec["seed_tune"], np.asarray(spec["seed_notes"], dtype=np.int64).reshape(-1, 3), spec["key"])
