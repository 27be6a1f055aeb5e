"""Sound as arrays: reading WAV files, one length and one sample rate for every clip, windows, and a
folder of `<class>/<clip>.wav` recordings as labelled windows.

A clip is a float32 vector of samples in [-1, 1] at a known rate. WAV files are read by
`scipy.io.wavfile` (PCM 8/16/24/32-bit or float, any number of channels, averaged to mono). A network
needs one input length, so a clip is padded or cropped to it (`fit_length`), or a long recording is cut
into windows (`windows`); every window keeps the id of the recording it came from, so a split can keep
all windows of one recording on one side (`group_split`): a window of a training recording in the test
set would be a near-copy of a training example, not a new recording.
"""
from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np

from nnlab.errors import DataError, UserError

# full scale of each integer PCM type scipy returns; 8-bit WAV is unsigned, centred on 128
_FULL_SCALE = {np.dtype(np.int16): 2.0 ** 15, np.dtype(np.int32): 2.0 ** 31, np.dtype(np.uint8): 2.0 ** 7}


def read_wav(path: Path) -> tuple[int, np.ndarray]:
    """A WAV file → (sample rate in Hz, float32 samples (n,) in [-1, 1], channels averaged to mono).
    A file that is not a readable WAV is one DataError line naming it and the fix."""
    from scipy.io import wavfile

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", wavfile.WavFileWarning)  # extra chunks (cue points, tags) are harmless
            rate, data = wavfile.read(path)
    except (ValueError, OSError, EOFError, IndexError, struct.error) as error:  # every way scipy says "not WAV"
        reason = " ".join(str(error).split())[:120]
        raise DataError(f"{path} is not a readable WAV file ({reason}). Fix: convert it to PCM WAV "
                        f"(e.g. `ffmpeg -i IN OUT.wav`) or remove it") from None
    if data.dtype == np.uint8:
        samples = (data.astype(np.float32) - 128.0) / _FULL_SCALE[data.dtype]
    elif data.dtype in _FULL_SCALE:
        samples = data.astype(np.float32) / _FULL_SCALE[data.dtype]
    else:
        samples = data.astype(np.float32)
    if samples.ndim == 2:
        samples = samples.mean(axis=1)
    return int(rate), samples


def resample(wave: np.ndarray, rate: int, target: int) -> np.ndarray:
    """`wave` at `rate` Hz → the same sound at `target` Hz (polyphase filtering, scipy.signal.resample_poly,
    which low-passes before decimating so no alias folds back)."""
    if rate == target:
        return wave
    from scipy.signal import resample_poly

    common = gcd(rate, target)
    return resample_poly(wave, target // common, rate // common).astype(np.float32)


def fit_length(wave: np.ndarray, length: int, offset: int = 0) -> np.ndarray:
    """`wave` (n,) → (length,): a shorter clip sits in the middle of zeros, a longer one keeps its middle.
    `offset` moves the clip within the window by that many samples (positive = later; time-shift
    augmentation), the part pushed outside being cut."""
    out = np.zeros(length, dtype=np.float32)
    start = (length - len(wave)) // 2 + offset  # where sample 0 of the clip lands in the window
    lo, hi = max(start, 0), min(start + len(wave), length)
    if hi > lo:
        out[lo:hi] = wave[lo - start:hi - start]
    return out


def fit_all(waves: np.ndarray, length: int) -> np.ndarray:
    """(N,) clips of any lengths → float32 (N, length) by `fit_length`."""
    return np.stack([fit_length(w, length) for w in waves]) if len(waves) else np.zeros((0, length), np.float32)


def windows(wave: np.ndarray, length: int, hop: int) -> np.ndarray:
    """A recording (n,) → float32 (k, length): windows starting every `hop` samples that fit inside it;
    a recording shorter than one window gives one window, padded (`fit_length`)."""
    if len(wave) <= length:
        return fit_length(wave, length)[None]
    starts = range(0, len(wave) - length + 1, hop)
    return np.stack([wave[s:s + length] for s in starts]).astype(np.float32)


def group_split(labels: np.ndarray, groups: np.ndarray, n_folds: int, fold: int, seed: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """(rest, held out) index arrays: fold `fold` of a stratified group k-fold (scikit-learn's
    StratifiedGroupKFold), so every group (recording) lies wholly on one side and each class keeps about
    its share on both."""
    from sklearn.model_selection import StratifiedGroupKFold

    splitter = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    rest, held = list(splitter.split(np.zeros(len(labels)), labels, groups))[fold]
    return np.sort(rest), np.sort(held)


@dataclass
class ClipFolder:
    """A folder of `<class>/<clip>.wav` cut into windows: waves float32 (N, length) at `rate`, labels (N,)
    index into class_names, recordings (N,) index into recording_names (which recording a window is from)."""

    waves: np.ndarray
    labels: np.ndarray
    recordings: np.ndarray
    class_names: tuple[str, ...]
    recording_names: tuple[str, ...]
    rate: int


EXPECTED_LAYOUT = "Expected a folder of <class>/<clip>.wav, one subfolder per class, at least two classes"


def read_clip_folder(root: Path, *, rate: int, length: int, hop: int, min_recordings: int = 1) -> ClipFolder:
    """Every `<class>/<clip>.wav` under `root`, resampled to `rate` Hz and cut into windows of `length`
    samples every `hop` (`windows`). Classes are the subfolder names in sorted order; a subfolder
    without files is skipped. Refused in one line naming the file or folder and the fix: `root` is not
    a folder, no classes, one class, a class with fewer than `min_recordings` clips, a file that is not
    .wav or not readable, a clip with no samples."""
    root = Path(root)
    if not root.is_dir():
        raise UserError(f"--data {root} is not a folder. {EXPECTED_LAYOUT}")
    class_dirs = sorted(d for d in root.iterdir() if d.is_dir() and any(f.is_file() for f in d.iterdir()))
    stray = sorted(f.name for f in root.iterdir() if f.is_file() and not f.name.startswith("."))
    if len(class_dirs) < 2:
        found = f"found {len(class_dirs)} class folder{'s' * (len(class_dirs) != 1)}" + (
            f" and loose files ({', '.join(stray[:3])})" if stray else "")
        raise UserError(f"--data {root}: {found}. {EXPECTED_LAYOUT}")
    waves, labels, recordings, names = [], [], [], []
    for label, class_dir in enumerate(class_dirs):
        files = sorted(f for f in class_dir.iterdir() if f.is_file() and not f.name.startswith("."))
        if len(files) < min_recordings:
            raise UserError(f"--data {root}: class '{class_dir.name}' has {len(files)} recording(s), the "
                            f"split needs at least {min_recordings}. Fix: add recordings or remove the folder")
        for path in files:
            if path.suffix.lower() != ".wav":
                raise UserError(f"{path} is not a .wav file. Fix: convert it to WAV "
                                f"(e.g. `ffmpeg -i {path.name} {path.stem}.wav`) or remove it")
            clip_rate, wave = read_wav(path)
            if wave.size == 0:
                raise UserError(f"{path} holds no samples. Fix: remove it or replace it with a real recording")
            cut = windows(resample(wave, clip_rate, rate), length, hop)
            waves.append(cut)
            labels += [label] * len(cut)
            recordings += [len(names)] * len(cut)
            names.append(f"{class_dir.name}/{path.name}")
    return ClipFolder(np.concatenate(waves), np.array(labels, dtype=np.int64), np.array(recordings, dtype=np.int64),
                      tuple(d.name for d in class_dirs), tuple(names), rate)
