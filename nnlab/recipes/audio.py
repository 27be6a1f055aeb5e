"""Training recipes of the sound lessons: features of a set of clips, augmented copies, one network
fitted on one split, and the `Listener`: a digit classifier trained on real recordings that transcribes
any clip (the speech lesson's judge of synthesised digits).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from keras_models.audio import (Features, FrequencyWarp, Normaliser, SpecAugment, build_dense_classifier,
                                build_spectrogram_cnn, log_mel, mfcc)
from nnlab.data.audio import fit_all, fit_length, resample
from nnlab.errors import UserError

FEATURES = ("waveform", "mfcc", "log-mel")


def feature_arrays(waves: np.ndarray, features: Features) -> dict[str, np.ndarray]:
    """Clips float32 (N, samples) → each feature as (N, bins, frames): the waveform as one "bin"
    (N, 1, samples), the MFCCs (N, mfcc, frames) and the log-mel spectrogram (N, mel_bins, frames)."""
    db = log_mel(waves, features)
    return {"waveform": waves[:, None, :], "mfcc": mfcc(db, features.mfcc), "log-mel": db}


def shifted_noisy_copies(raw: np.ndarray, samples: int, copies: int, max_shift: int, snr_db: tuple[float, float],
                         rng: np.random.Generator) -> np.ndarray:
    """`copies` new versions of every clip of `raw` ((N,) clips of any length), float32 (N·copies, samples),
    copy-major: each clip moved by a random shift of up to ±`max_shift` samples within its window
    (`fit_length`) and mixed with white noise at a signal-to-noise ratio drawn uniformly from `snr_db`
    (dB, against the clip's own RMS): a word said a little earlier or later, in a noisier room."""
    out = np.empty((copies * len(raw), samples), dtype=np.float32)
    for c in range(copies):
        for i, wave in enumerate(raw):
            shifted = fit_length(wave, samples, int(rng.integers(-max_shift, max_shift + 1)))
            rms = float(np.sqrt(np.mean(np.square(wave)))) if len(wave) else 0.0
            noise_rms = rms / 10.0 ** (rng.uniform(*snr_db) / 20.0)
            out[c * len(raw) + i] = shifted + rng.normal(0.0, noise_rms, samples).astype(np.float32)
    return out


@dataclass(frozen=True)
class NetworkSettings:
    """What `fit_network` needs besides the data: the model, its training and SpecAugment's masks."""

    model: str = "cnn"                 # "cnn" (2-D on a spectrogram) or "dense"
    cnn_filters: tuple[int, ...] = (16, 32, 32)
    dense_hidden: tuple[int, ...] = (128, 64)
    dropout: float = 0.3
    spec_augment: bool = False
    freq_masks: int = 2
    freq_width: int = 6
    time_masks: int = 2
    time_width: int = 12
    epochs: int = 25
    batch_size: int = 64
    learning_rate: float = 1e-3
    patience: int = 5


def build_network(settings: NetworkSettings, input_shape: tuple[int, int], n_classes: int, seed: int,
                  freq_warp: tuple[tuple[float, ...], float] | None = None):
    """The Keras classifier of `settings` for inputs (bins, frames). `freq_warp`: (the mel bands' centre
    frequencies, the largest warp), a CNN's FrequencyWarp (VTLP) in training."""
    if settings.model == "cnn":
        augment = SpecAugment(settings.freq_masks, settings.freq_width, settings.time_masks, settings.time_width,
                              seed=seed) if settings.spec_augment else None
        warp = FrequencyWarp(*freq_warp, seed=seed) if freq_warp else None
        return build_spectrogram_cnn(input_shape, n_classes, filters=settings.cnn_filters, dropout=settings.dropout,
                                     spec_augment=augment, freq_warp=warp)
    if settings.model == "dense":
        return build_dense_classifier(input_shape, n_classes, hidden=settings.dense_hidden, dropout=settings.dropout)
    raise ValueError(f"Expected model 'cnn' or 'dense'. Received: {settings.model!r}")


def fit_network(settings: NetworkSettings, normaliser: Normaliser, x_train: np.ndarray, y_train: np.ndarray,
                x_val: np.ndarray, y_val: np.ndarray, n_classes: int, *, label: str, seed: int,
                freq_warp: tuple[tuple[float, ...], float] | None = None, one_cycle: dict | None = None):
    """Normalise, build and fit one network: (model, FitResult). Inputs are un-normalised features
    (N, bins, frames); `freq_warp` as `build_network`.

    By default Adam at `settings.learning_rate` with early stopping on validation accuracy (best weights
    kept). `one_cycle` {"peak_rate", "warmup_epochs"}: Adam on a one-cycle rate instead (warm-up to the peak,
    a cosine down to 0) for all `settings.epochs`, no early stopping: the last weights are kept, and the
    validation clips only score the network (on a single voice, they swing too much to stop on)."""
    import keras

    from keras_models import training

    model = build_network(settings, x_train.shape[1:], n_classes, seed, freq_warp)
    optimizer, patience = "adam", settings.patience
    if one_cycle:   # a quarter of the epochs at most warm up (--quick trains 2)
        optimizer = keras.optimizers.Adam(training.one_cycle(
            one_cycle["peak_rate"], settings.epochs, min(one_cycle["warmup_epochs"], settings.epochs // 4),
            len(y_train), settings.batch_size))
        patience = None
    fitted = training.fit_classifier(model, normaliser(x_train), y_train, normaliser(x_val), y_val,
                                     optimizer=optimizer, learning_rate=settings.learning_rate,
                                     epochs=settings.epochs, batch_size=settings.batch_size, label=label,
                                     patience=patience, jit_compile=False)
    return model, fitted


# ---- the listener --------------------------------------------------------------------------------

@dataclass
class Listener:
    """A trained spoken-digit classifier with everything needed to hear a new clip: the features and clip
    length it was trained with, its normalisation and class names. `transcribe` takes clips at any rate."""

    model: object
    features: Features
    samples: int
    normaliser: Normaliser
    class_names: tuple[str, ...]
    heldout_accuracy: float | None = None   # on real recordings it never heard (recorded when trained)

    def inputs(self, waves, rate: int) -> np.ndarray:
        """Clips ((N,) arrays at `rate` Hz) → normalised log-mel (N, mel_bins, frames), as in training."""
        fitted = fit_all([resample(np.asarray(w, np.float32), rate, self.features.sampling_rate) for w in waves],
                         self.samples)
        return self.normaliser(log_mel(fitted, self.features))

    def probabilities(self, waves, rate: int) -> np.ndarray:
        """(N, classes) class probabilities of each clip."""
        return np.asarray(self.model.predict(self.inputs(waves, rate), verbose=0))

    def transcribe(self, waves, rate: int) -> list[str]:
        """The class name heard in each clip."""
        return [self.class_names[i] for i in self.probabilities(waves, rate).argmax(axis=1)]

    def save(self, folder: Path) -> Path:
        """`folder/model.keras` + `folder/listener.json`; returns the folder."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.model.save(folder / "model.keras")
        norm = self.normaliser
        (folder / "listener.json").write_text(json.dumps({
            "features": asdict(self.features), "samples": self.samples, "class_names": list(self.class_names),
            "normalisation": norm.mode, "heldout_accuracy": self.heldout_accuracy,
            "mean": None if norm.mean is None else norm.mean.tolist(),
            "std": None if norm.std is None else norm.std.tolist()}), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: Path) -> "Listener":
        """The listener saved in `folder`; a UserError naming the training command when there is none."""
        import keras

        folder = Path(folder)
        if not (folder / "listener.json").is_file() or not (folder / "model.keras").is_file():
            raise UserError(f"no trained listener in {folder}. Fix: train one with `nnlab run audio-classes` "
                            f"(or `nnlab.recipes.audio.fsdd_listener`)")
        meta = json.loads((folder / "listener.json").read_text(encoding="utf-8"))
        model = keras.models.load_model(folder / "model.keras", custom_objects={"SpecAugment": SpecAugment})
        as_array = (lambda v: None if v is None else np.asarray(v, np.float32))
        return cls(model, Features(**meta["features"]), meta["samples"],
                   Normaliser(meta["normalisation"], as_array(meta["mean"]), as_array(meta["std"])),
                   tuple(meta["class_names"]), meta.get("heldout_accuracy"))


def train_listener(waves: np.ndarray, labels: np.ndarray, class_names, train: np.ndarray, val: np.ndarray,
                   test: np.ndarray, *, features: Features, samples: int, settings: NetworkSettings,
                   normalisation: str, seed: int, label: str = "listener") -> Listener:
    """Fit a `Listener` on clips (N, samples): train on `train`, stop early on `val`, and record its accuracy
    on `test` (indices into waves)."""
    import keras

    keras.utils.set_random_seed(seed)
    x = log_mel(waves, features)
    normaliser = Normaliser.fit(x[train], normalisation)
    model, _ = fit_network(settings, normaliser, x[train], labels[train], x[val], labels[val], len(class_names),
                           label=label, seed=seed)
    accuracy = float(np.mean(np.asarray(model.predict(normaliser(x[test]), verbose=0)).argmax(axis=1) == labels[test]))
    return Listener(model, features, samples, normaliser, tuple(class_names), accuracy)


def fsdd_listener(folder: Path, *, seed: int = 0, quick: bool = False) -> Listener:
    """The spoken-digit listener of FSDD real recordings: loaded from `folder` when one is saved there,
    else trained and saved. The lesson's reference CNN on log-mel with per-clip normalisation, trained
    on takes 10-49 of all six speakers, stopped on takes 5-9, its `heldout_accuracy` measured on takes
    0-4 (never heard). `quick`: takes 0-11 only, two epochs (seconds; a weak listener, for tests)."""
    from nnlab.data.datasets import fsdd

    folder = Path(folder)
    if (folder / "listener.json").is_file():
        return Listener.load(folder)
    takes = range(12) if quick else range(fsdd.TAKES)
    arrays = fsdd.subset(takes=takes).load().arrays
    samples = fsdd.SAMPLE_RATE  # one second: all but 20 of the 3,000 clips fit whole
    waves = fit_all(arrays["waves"], samples)
    take = arrays["takes"]
    val_takes = (5, 6) if quick else tuple(range(5, 10))
    test = np.flatnonzero(np.isin(take, list(fsdd.TEST_TAKES)))
    val = np.flatnonzero(np.isin(take, val_takes))
    train = np.flatnonzero(~np.isin(take, list(fsdd.TEST_TAKES) + list(val_takes)))
    settings = NetworkSettings(epochs=2) if quick else NetworkSettings()
    listener = train_listener(waves, arrays["digits"], fsdd.DIGITS, train, val, test, features=Features(),
                              samples=samples, settings=settings, normalisation="clip", seed=seed)
    listener.save(folder)
    return listener
