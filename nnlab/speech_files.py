"""From a log-mel spectrogram to a WAV file, and the speech lesson's trained network on disk.

`Vocoder`: dB → mel power → linear power (non-negative least squares against the same mel filterbank the
features used) → magnitude → Griffin-Lim (tf_raw/griffin_lim.py) → a waveform scaled to a peak of 0.9.
Every spectrogram of the lesson becomes sound this one way, the network's as well as the baselines' and
the real recordings' own, so a difference in what the listener hears is a difference in the spectrograms.

`Synthesiser`: the decoder (keras_models/speech.py) with what its outputs mean: the speakers it knows, the
features, the dB standardisation, and whether its time axis is normalised (stretched back to the predicted
duration) or real frames (cut at the predicted duration). `<stem>.keras` holds the model, `<stem>.json` the
rest; both are written under a temporary name and renamed, so an interrupted save leaves no half model.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from nnlab.errors import UserError
from nnlab.saved_models import load_keras_model_files, save_model_files

PEAK = 0.9   # written clips are scaled to this peak: loud, never clipped


def stretch_frames(log_mel_db: np.ndarray, frames: int) -> np.ndarray:
    """(n, mel_bins) → (frames, mel_bins) by linear interpolation along time: the first and last frames
    stay where they are, everything between moves in proportion (a slower or faster utterance)."""
    db = np.asarray(log_mel_db, dtype=np.float32)
    position = np.linspace(0.0, len(db) - 1, frames)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, len(db) - 1)
    weight = (position - low)[:, None]
    return ((1 - weight) * db[low] + weight * db[high]).astype(np.float32)


@dataclass(frozen=True)
class Vocoder:
    """How a log-mel spectrogram of these features becomes sound (see the module docstring). The STFT
    framing is the features' own: window = FFT length, hop = their stride."""

    sampling_rate: int = 8000
    fft_length: int = 256
    sequence_stride: int = 64
    mel_bins: int = 64
    min_freq: float = 20.0
    iterations: int = 64

    def framing(self):
        from tf_raw.griffin_lim import Framing

        return Framing(self.fft_length, self.sequence_stride, self.fft_length)

    def filterbank(self) -> np.ndarray:
        from tf_raw.spectrogram import mel_filterbank

        return mel_filterbank(self.mel_bins, self.fft_length // 2 + 1, self.sampling_rate, self.min_freq,
                              self.sampling_rate / 2)

    def waveform(self, log_mel_db: np.ndarray, seed: int = 0) -> tuple[np.ndarray, float]:
        """(frames, mel_bins) dB → (float32 samples at `sampling_rate` peaking at PEAK, the final
        Griffin-Lim spectral convergence)."""
        from tf_raw.griffin_lim import griffin_lim, mel_to_linear

        power = mel_to_linear(10.0 ** (np.asarray(log_mel_db, dtype=np.float64) / 10.0), self.filterbank())
        wave, errors = griffin_lim(np.sqrt(power), self.framing(), self.iterations, seed=seed)
        return (PEAK * wave / max(float(np.abs(wave).max()), 1e-9)).astype(np.float32), errors[-1]


def write_wav(path: Path, wave: np.ndarray, rate: int) -> Path:
    """16-bit PCM mono WAV (libsndfile), folders made as needed."""
    import soundfile

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), np.clip(wave, -1.0, 1.0), rate, subtype="PCM_16")
    return path


@dataclass
class Synthesiser:
    """The trained decoder and the meaning of its outputs."""

    model: object
    speakers: tuple[str, ...]
    vocoder: Vocoder
    frames: int                 # decoder output frames
    aligned: bool               # True: a normalised time axis, stretched to the predicted duration
    db_mean: float              # the decoder predicts (dB − db_mean) / db_std
    db_std: float

    @property
    def sampling_rate(self) -> int:
        return self.vocoder.sampling_rate

    def speaker_name(self, name: str | None) -> str:
        """`name` if the network learned that voice (None: the first); otherwise a one-line UserError."""
        if name is None:
            return self.speakers[0]
        if name not in self.speakers:
            raise UserError(f"the network learned no speaker named {name!r}. Fix: --speaker one of "
                            f"{', '.join(self.speakers)}")
        return name

    def spectrograms(self, digits, speakers) -> list[np.ndarray]:
        """Digits (N,) and speaker indices (N,) → N log-mel spectrograms in dB, (frames_i, mel_bins), each
        as long as the duration predicted for it."""
        out = self.model.predict({"digit": np.asarray(digits, dtype=np.int32),
                                  "speaker": np.asarray(speakers, dtype=np.int32)}, verbose=0)
        per_second = self.vocoder.sampling_rate / self.vocoder.sequence_stride
        result = []
        for db, log_seconds in zip(out["spectrogram"] * self.db_std + self.db_mean, out["log_seconds"][:, 0]):
            frames = int(np.clip(round(float(np.exp(log_seconds)) * per_second), 4, 4 * self.frames))
            result.append(stretch_frames(db, frames) if self.aligned else db[:frames])
        return result

    def write(self, digit: int, speaker: str, out: Path) -> float:
        """Say `digit` as `speaker` into the WAV file `out`; its length in seconds."""
        db = self.spectrograms([digit], [self.speakers.index(speaker)])[0]
        wave, _ = self.vocoder.waveform(db)
        write_wav(out, wave, self.sampling_rate)
        return len(wave) / self.sampling_rate


def save_synthesiser(stem: Path, synthesiser: Synthesiser) -> Path:
    """Write `<stem>.keras` and `<stem>.json`; returns the .keras path."""
    blob = {"speakers": list(synthesiser.speakers), "vocoder": asdict(synthesiser.vocoder),
            "frames": synthesiser.frames, "aligned": synthesiser.aligned, "db_mean": synthesiser.db_mean,
            "db_std": synthesiser.db_std}
    return save_model_files(stem, lambda path: synthesiser.model.save(str(path)), blob)


def load_synthesiser(model_path: Path) -> Synthesiser:
    """Rebuild a Synthesiser from the files `save_synthesiser` wrote."""
    model, spec = load_keras_model_files(model_path)
    return Synthesiser(model, tuple(spec["speakers"]), Vocoder(**spec["vocoder"]), spec["frames"], spec["aligned"],
                       spec["db_mean"], spec["db_std"])
