"""Lesson 20 · audio-classes: the bird-song practicum's pipeline on real recordings (Neural Networks 2,
lesson 8): load, analyse, build the sample, normalise, several networks, and the split that tells the truth.

What it teaches:
  (a) what the recordings are: counts per speaker and digit (class balance), durations, levels (RMS in
      dB below full scale), a few waveforms and their log-mel spectrograms;
  (b) the sample: every clip padded or cropped to one second around its middle (nnlab/data/audio.py);
      features by `keras.layers.MelSpectrogram` (25 ms Hann windows every 10 ms, 40 mel bands, dB,
      floored 80 dB below each clip's peak; its from-scratch twin is tf_raw/spectrogram.py) and MFCCs
      (DCT of the log-mel); two splits: the dataset's own (takes 0-4 of every speaker test, 5-6 watched
      by early stopping, 7-9 validation, which scores and chooses every network) and leave-one-speaker-out
      (six folds: a voice never heard, as a new recording of a bird is a new bird);
  (c) features: raw waveform vs MFCC vs log-mel under a dense net, and a small 2-D CNN on log-mel,
      against the majority class and a classical peer a practitioner tries first (per-coefficient MFCC
      means over three time segments + standard deviations, logistic regression);
  (d) normalisation (dataset statistics per mel band vs per clip) and augmentation (time shift + added
      noise as extra training copies; SpecAugment time/frequency masks and VTLP frequency warping inside
      the network); and training: early stopping on validation accuracy vs a one-cycle learning rate for
      a fixed number of epochs;
  (e) the gap: the same models leave-one-speaker-out, per held-out speaker, and which features,
      normalisation, augmentation and training close it; each fold trains on four voices and stops
      (when early stopping) and is chosen on a fifth it never hears (the takes of voices it trains on
      rank no network for new voices);
  (f) a second task on the same clips: who is speaking (6 speakers);
  confusion matrices of the best models, learning curves.
`nnlab run audio-classes --data DIR` runs (a)-(e) on any folder of `<class>/<clip>.wav` (bird species
from xeno-canto, say): clips cut into windows, every window of a recording on one side of the split.

Data: the Free Spoken Digit Dataset (Jakobovski/free-spoken-digit-dataset, CC BY-SA 4.0): 3,000 clips,
8 kHz, 6 speakers × 10 digits × 50 takes.

Expected full result (bench/audio_classes.py, seed 0, in stages on 2 heavily shared CPUs):
take split (300 test clips; early stopping on takes 5-6, every network scored and chosen on takes 7-9, 180
clips): the CNN on log-mel chosen on validation, dataset statistics + shift-noise + SpecAugment on a one-cycle
rate for 25 epochs, 99.0% (98.3% validation; target ≥ 99% met, at the bar: 297 of 300); the other one-cycle
nets 99.7% (dataset statistics + shift-noise alone), 99.0% (per clip + both), 98.3% (+ VTLP) and three per-clip
nets averaged 99.3%, all 97.8% validation; early-stopped: dataset statistics 95.0%, per clip 97.7%, + shift-noise
99.0% (97.8% validation), + SpecAugment 94.7%, + both 99.0%, per clip + both 96.0%, with VTLP 95.7% / 98.0%.
When early stopping and the choice shared takes 5-9, the early-stopped shift-noise net won the choice with
99.0% validation (its best epoch's score on the clips that picked that epoch) and scored 98.7%. The
MFCC-statistics peer 96.7%; dense nets: MFCC 93.7%, log-mel 87.7%, raw waveform 16.0%; majority 10.0%.
Leave one speaker out (mean ± std over the 6 held-out speakers; each fold trained on four voices and chosen
on a fifth): peer 69.2% ± 13.4%; the network chosen on validation, CNN per clip + shift-noise + SpecAugment
+ VTLP on a one-cycle rate for 25 epochs, 87.4% ± 5.5% (85.3% on the validation voices): +18.2 points,
target met; without VTLP 86.0% ± 6.1%. Stopped early on the validation voice instead (its accuracy swings
by ten points between epochs; one fold stopped at epoch 3) the same CNNs gave 76.9% ± 9.3% and 79.7% ± 7.7%;
dense on per-clip MFCC 73.1%; CNN with dataset statistics 49.6%, per clip alone 62.8%, dataset statistics +
both augmentations 59.1%. Validated instead on the known voices' takes (five training voices; all networks
~95% on them, so the choice was noise) the early-stopped CNNs gave 73.1%, 59.0%, 72.3% and 76.2%, the peer
72.7%. Who is speaking: peer 100%, CNN 99.7% with a patience of 12 epochs (75.0% when the digit task's 5
stopped it at epoch 6 with its first epoch's weights), majority 16.7%. The new-voice grid trains in about
75 minutes.

Run: `nnlab run audio-classes [--quick] [--seed N] [--epochs N] [--data DIR]`.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from keras_models.audio import Features
from nnlab.data.bundles import Bundle
from nnlab.recipes.audio import NetworkSettings
from nnlab.runner import GRID_ONLY, REPORT_ONLY, Outcome, RunOptions, Variant, apply_run_options

SLUG = "audio-classes"
ACCEPTS_DATA = True


@dataclass(frozen=True)
class Config:
    clip_seconds: float = 1.0                 # FSDD: every clip padded / cropped to this (20 of 3,000 are longer)
    takes: int = 50                           # FSDD takes read per (speaker, digit); --quick: fewer
    # take split: takes 0-4 test (the dataset's README); early stopping watches `stop_takes` and the networks
    # are scored and chosen on `val_takes`: a net's accuracy on the clips that picked its best epoch runs high
    # (99.0% against 98.3% for fixed-schedule nets when both were the same takes 5-9), so it would win the choice
    val_takes: tuple[int, ...] = (7, 8, 9)
    stop_takes: tuple[int, ...] = (5, 6)
    held_out: tuple[str, ...] = ("george", "jackson", "lucas", "nicolas", "theo", "yweweler")  # speaker folds
    features: Features = field(default_factory=Features)
    peer_segments: int = 3                    # MFCC means over this many stretches of the word
    peer_c: float = 1.0                       # inverse L2 strength of the logistic regression
    network: NetworkSettings = field(default_factory=NetworkSettings)
    # who is speaking: the CNN's validation accuracy swings in its first epochs (0.77, then 0.58 in a full run
    # with the digit task's patience of 5, which stopped it at epoch 6); it gets longer to settle. GRID_ONLY:
    # the speaker variant carries it in its params, so no other variant is retrained for it.
    speaker_patience: int | None = field(default=12, metadata=GRID_ONLY)
    copies: int = 2                           # shift-and-noise copies of each training clip
    max_shift_seconds: float = 0.1
    snr_db: tuple[float, float] = (5.0, 30.0)
    # --data DIR: recordings resampled to this rate and cut into windows
    folder_rate: int = 16000
    window_seconds: float = 1.0
    hop_seconds: float = 0.5
    folder_folds: int = 5                     # a fifth of the recordings test, a fifth of the rest validation
    # every augmentation alone and every normalisation × augmentation for new voices (--quick: the two ends)
    ablations: bool = field(default=True, metadata=GRID_ONLY)
    # VTLP (FrequencyWarp): each training spectrogram's frequencies scaled by up to ±this; GRID_ONLY, in params
    max_warp: float = field(default=0.1, metadata=GRID_ONLY)
    # "+one-cycle" rows: Adam on a one-cycle rate over all the network's epochs instead of early stopping (a single
    # validation voice swings by ten points between epochs: one fold stopped at epoch 3); GRID_ONLY, in params
    one_cycle: dict = field(default_factory=lambda: {"peak_rate": 3e-3, "warmup_epochs": 2}, metadata=GRID_ONLY)
    ensemble: int = field(default=3, metadata=GRID_ONLY)   # nets averaged in the "+ensemble" row; in params
    target_take_accuracy: float = field(default=0.99, metadata=REPORT_ONLY)
    shown_clips: int = field(default=6, metadata=REPORT_ONLY)


def make_config(options: RunOptions) -> Config:
    return apply_run_options(Config(), options, takes=10, val_takes=(6,), stop_takes=(5,), held_out=("theo",),
                             network=NetworkSettings(cnn_filters=(8, 16), dense_hidden=(32,), epochs=2,
                                                     batch_size=32, patience=0),
                             copies=1, folder_folds=3, ablations=False, speaker_patience=None, ensemble=2)


QUICK_NOTE = "FSDD takes 0-9 (600 clips), one held-out speaker, tiny networks, 2 epochs: NOT the lesson's results"


# ---- data: clips, features, splits ---------------------------------------------------------------

@dataclass
class Sounds(Bundle):
    """Clips of one length and one rate with their features and splits.

    waves float32 (N, samples); raw (N,) object: each clip before fitting (for shifting and analysis);
    labels (N,) index into class_names; speakers (N,) index into speaker_names (FSDD; None for a folder);
    groups (N,) recording id (a folder's windows); features: {"waveform" | "mfcc" | "log-mel": (N, bins,
    frames)}; active (N, frames) bool: frames inside the clip, not its padding; splits: {name: {"train" |
    "val" | "test": indices} (the take split also "stop": the takes early stopping watches)}: "take" or
    "recording", "speaker:<name>" and "voice:<name>" per held-out speaker."""

    waves: np.ndarray
    raw: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    speakers: np.ndarray | None
    speaker_names: tuple[str, ...]
    groups: np.ndarray
    rate: int
    features: dict[str, np.ndarray]
    active: np.ndarray
    splits: dict[str, dict[str, np.ndarray]]
    source: str                               # "fsdd" or "folder"

    @property
    def main_split(self) -> str:
        return "take" if self.source == "fsdd" else "recording"

    def details(self) -> dict:
        main = self.splits[self.main_split]
        return {"sizes": {s: len(main[s]) for s in ("train", "val", "test")}, "source": self.source,
                "class_names": list(self.class_names), "speaker_names": list(self.speaker_names),
                "rate": self.rate, "samples": self.waves.shape[1],
                "feature_shapes": {k: list(v.shape[1:]) for k, v in self.features.items()},
                "split_sizes": {name: {s: len(i) for s, i in split.items()} for name, split in self.splits.items()}}


def active_frames(lengths: np.ndarray, samples: int, features: Features) -> np.ndarray:
    """(N, frames) bool: frame t (centred on sample t·stride) lies inside the clip, which `fit_length`
    put in the middle of the window."""
    centres = np.arange(features.frames(samples)) * features.sequence_stride
    start = (samples - np.minimum(lengths, samples)) // 2
    return (centres[None, :] >= start[:, None]) & (centres[None, :] < (start + np.minimum(lengths, samples))[:, None])


def take_splits(takes: np.ndarray, speakers: np.ndarray, config: Config, speaker_names) -> dict:
    """The take split (takes 0-4 test, `stop_takes` for early stopping, `val_takes` validation, the rest
    train) and two leave-one-speaker-out splits per held-out speaker, both testing on that speaker's every
    clip: `speaker:NAME` validates on the others' stop and validation takes, voices the network trains on;
    `voice:NAME` on every clip of the next speaker, a second voice it never hears, and trains on the
    remaining four."""
    from nnlab.data.datasets import fsdd

    is_test = np.isin(takes, list(fsdd.TEST_TAKES))
    is_stop, is_choice = np.isin(takes, config.stop_takes), np.isin(takes, config.val_takes)
    is_val = is_stop | is_choice
    splits = {"take": {"train": np.flatnonzero(~is_test & ~is_val), "stop": np.flatnonzero(is_stop),
                       "val": np.flatnonzero(is_choice), "test": np.flatnonzero(is_test)}}
    for name in config.held_out:
        out = speakers == speaker_names.index(name)
        splits[f"speaker:{name}"] = {"train": np.flatnonzero(~out & ~is_val), "val": np.flatnonzero(~out & is_val),
                                     "test": np.flatnonzero(out)}
    for name in config.held_out:  # validation on a second new voice: the next speaker in the dataset's list
        out = speakers == speaker_names.index(name)
        check = speakers == (speaker_names.index(name) + 1) % len(speaker_names)
        splits[f"voice:{name}"] = {"train": np.flatnonzero(~out & ~check), "val": np.flatnonzero(check),
                                   "test": np.flatnonzero(out)}
    return splits


def load_data(config: Config, options: RunOptions) -> Sounds:
    from nnlab.recipes.audio import feature_arrays

    if getattr(options, "data", None):
        return load_folder(Path(options.data), config)
    from nnlab.data.audio import fit_all
    from nnlab.data.datasets import fsdd

    loaded = fsdd.subset(takes=range(config.takes)).load()
    a = loaded.arrays
    samples = round(config.clip_seconds * fsdd.SAMPLE_RATE)
    waves = fit_all(a["waves"], samples)
    features = replace(config.features, sampling_rate=fsdd.SAMPLE_RATE)
    lengths = np.array([len(w) for w in a["waves"]])
    return Sounds(waves, a["waves"], a["digits"], fsdd.DIGITS, a["speakers"], fsdd.SPEAKERS, np.arange(len(waves)),
                  fsdd.SAMPLE_RATE, feature_arrays(waves, features), active_frames(lengths, samples, features),
                  take_splits(a["takes"], a["speakers"], config, fsdd.SPEAKERS), "fsdd",
                  dataset=loaded.name, sha256=loaded.sha256)


def load_folder(root: Path, config: Config) -> Sounds:
    """`--data DIR`: every `<class>/<clip>.wav` cut into windows; test and validation take whole recordings."""
    from nnlab.data.audio import group_split, read_clip_folder
    from nnlab.data.fetch import sha256_of
    from nnlab.recipes.audio import feature_arrays

    length = round(config.window_seconds * config.folder_rate)
    clips = read_clip_folder(root, rate=config.folder_rate, length=length,
                             hop=round(config.hop_seconds * config.folder_rate), min_recordings=config.folder_folds)
    rest, test = group_split(clips.labels, clips.recordings, config.folder_folds, 0, seed=0)
    train, val = group_split(clips.labels[rest], clips.recordings[rest], config.folder_folds - 1, 0, seed=0)
    features = folder_features(config)
    digest = hashlib.sha256("".join(f"{n}:{sha256_of(root / n)};" for n in clips.recording_names).encode()).hexdigest()
    raw = np.empty(len(clips.waves), dtype=object)
    raw[:] = list(clips.waves)
    return Sounds(clips.waves, raw, clips.labels, clips.class_names, None, (), clips.recordings, clips.rate,
                  feature_arrays(clips.waves, features), np.ones((len(clips.waves), features.frames(length)), bool),
                  {"recording": {"train": rest[train], "val": rest[val], "test": test}}, "folder",
                  dataset=f"folder {root.name}", sha256=digest,
                  notes=[f"{len(clips.recording_names)} recordings of {len(clips.class_names)} classes from {root}, "
                         f"cut into {len(clips.waves)} windows of {config.window_seconds:g} s"])


def folder_features(config: Config) -> Features:
    """The spectrogram settings for `--data DIR`: the FSDD framing (25 ms every 10 ms) at the folder's rate."""
    return Features.for_rate(config.folder_rate, mel_bins=config.features.mel_bins, mfcc=config.features.mfcc,
                             top_db=config.features.top_db)


def features_of(config: Config, data: Sounds) -> Features:
    """The spectrogram settings of this data (FSDD's 8 kHz or the folder's rate)."""
    return config.features if data.source == "fsdd" else folder_features(config)


# ---- the experiment grid -------------------------------------------------------------------------

def grid(config: Config, data: Sounds) -> list[Variant]:
    main = data.main_split
    cnn = {"model": "cnn", "feature": "log-mel", "normalisation": "dataset", "augment": [], "task": "digit"}

    def net(experiment: str, split: str, **changes) -> Variant:
        p = {**cnn, **changes, "split": split}
        name = (f"{p['model']}-{p['feature']}-{p['normalisation']}-norm" + "".join(f"+{a}" for a in p["augment"])
                + ("+one-cycle" if "one_cycle" in p else "") + (f"+ensemble-{p['members']}" if "members" in p else "")
                + ("" if split == main else "-by-speaker"))
        return Variant(experiment, name if p["task"] == "digit" else f"{p['task']}-{name}", p)

    variants = [Variant("data", "recordings", {"model": "none"}),
                Variant("baseline", "majority", {"model": "majority", "split": main, "task": "digit"}),
                Variant("baseline", "mfcc-stats-logreg", {"model": "peer", "split": main, "task": "digit"})]
    variants += [net("features", main, model="dense", feature=f) for f in ("waveform", "mfcc", "log-mel")]
    variants.append(net("features", main))
    variants.append(net("normalisation", main, normalisation="clip"))
    both = ["shift-noise", "specaugment"]
    warped = {"augment": both + ["vtlp"], "max_warp": config.max_warp}   # and every voice's formants moved
    cycled = {"one_cycle": dict(config.one_cycle)}   # a fixed schedule instead of early stopping
    alone = [["shift-noise"], ["specaugment"]] if config.ablations else []
    variants += [net("augmentation", main, augment=a) for a in alone + [both]]
    if config.ablations:   # both normalisations with both augmentations, as the new voices get them
        variants.append(net("augmentation", main, normalisation="clip", augment=both))
        variants += [net("augmentation", main, normalisation=n, **warped) for n in ("dataset", "clip")]
        variants += [net("augmentation", main, normalisation=n, augment=a, **cycled)
                     for n, a in (("clip", both), ("dataset", both), ("dataset", ["shift-noise"]))]
    variants.append(net("augmentation", main, normalisation="clip", **warped, **cycled))
    # `ensemble` of the per-clip one-cycle nets with both augmentations (seeds s, s + 1, ...), probabilities averaged
    variants.append(net("augmentation", main, normalisation="clip", augment=both, **cycled, members=config.ensemble))
    if data.speakers is None:
        return variants
    # new voices: each fold stops training and is chosen on a second voice it never heard (the voice split)
    voice = {"split": "speaker", "validation": "voice", "task": "digit"}
    variants += [Variant("new-voice", "majority-by-speaker", {"model": "majority", **voice}),
                 Variant("new-voice", "mfcc-stats-logreg-by-speaker", {"model": "peer", **voice}),
                 net("new-voice", "speaker", validation="voice", model="dense", feature="mfcc", normalisation="clip")]
    combinations = [("dataset", {}), ("clip", {}), ("dataset", {"augment": both}), ("clip", {"augment": both}),
                    ("clip", warped)]
    variants += [net("new-voice", "speaker", validation="voice", normalisation=n, **a) for n, a in combinations
                 if config.ablations or (n, a) in (("dataset", {}), ("clip", warped))]
    if config.ablations:
        variants += [net("new-voice", "speaker", validation="voice", normalisation="clip", **a, **cycled)
                     for a in ({"augment": both}, warped)]
    variants += [Variant("speaker-id", "speaker-majority", {"model": "majority", "split": main, "task": "speaker"}),
                 Variant("speaker-id", "speaker-mfcc-stats-logreg", {"model": "peer", "split": main, "task": "speaker"}),
                 net("speaker-id", main, task="speaker",
                     **({"patience": config.speaker_patience} if config.speaker_patience else {}))]
    return variants


# ---- training and scoring ------------------------------------------------------------------------

def folds(data: Sounds, split: str, validation: str = "takes") -> list[tuple[str, dict[str, np.ndarray]]]:
    """(fold name, indices) of a variant's split: one fold, or one per held-out speaker, validated on the
    known speakers' takes (`validation` "takes") or on another new voice ("voice")."""
    if split == "speaker":
        prefix = "voice:" if validation == "voice" else "speaker:"
        return [(name.split(":", 1)[1], s) for name, s in data.splits.items() if name.startswith(prefix)]
    return [(split, data.splits[split])]


def targets(data: Sounds, task: str) -> tuple[np.ndarray, tuple[str, ...]]:
    return (data.labels, data.class_names) if task == "digit" else (data.speakers, data.speaker_names)


def train(variant: Variant, data: Sounds, config: Config, seed: int) -> Outcome:
    p = variant.params
    if p["model"] == "none":
        return recordings_outcome(data, config)
    y, names = targets(data, p["task"])
    per_fold, history, info = {}, {}, {}
    y_true, y_pred = [], []
    for fold, index in folds(data, p["split"], p.get("validation", "takes")):
        label = f"{variant.name} [{fold}]"
        scores, predicted, fold_history, fold_info = fit_fold(p, data, config, index, y, len(names), label, seed)
        per_fold[fold] = scores
        y_true.append(y[index["test"]])
        y_pred.append(predicted)
        history = history or fold_history  # the curves of the first fold stand for the others
        info.update({f"{fold}_{k}": v for k, v in fold_info.items()})
    y_true, y_pred = np.concatenate(y_true), np.concatenate(y_pred)
    # "stop": the take split's early-stopping takes
    splits = [s for s in ("train", "stop", "val", "test") if all(s in f for f in per_fold.values())]
    metrics = {s: {"accuracy": float(np.mean([f[s] for f in per_fold.values()]))} for s in splits}
    tests = [f["test"] for f in per_fold.values()]
    info.update({"fold_accuracy": {k: f["test"] for k, f in per_fold.items()}, "fold_std": float(np.std(tests)),
                 "parameters": info.get(f"{next(iter(per_fold))}_parameters"),
                 "epochs_run": info.get(f"{next(iter(per_fold))}_epochs_run")})
    return Outcome(metrics, history, info, {"test_true": y_true, "test_pred": y_pred})


def fit_fold(p: dict, data: Sounds, config: Config, index: dict, y: np.ndarray, n_classes: int, label: str,
             seed: int) -> tuple[dict, np.ndarray, dict, dict]:
    """Train one model of `p` on one fold: ({split: accuracy}, test predictions, history, info)."""
    train_i, val_i, test_i = index["train"], index["val"], index["test"]
    if p["model"] == "majority":
        majority = int(np.bincount(y[train_i], minlength=n_classes).argmax())
        return ({s: float(np.mean(y[i] == majority)) for s, i in index.items()}, np.full(len(test_i), majority),
                {}, {"parameters": 0})
    if p["model"] == "peer":
        return peer_fold(data, config, index, y)
    import keras

    from keras_models.audio import Normaliser
    from keras_models.training import predict_classes
    from nnlab.recipes.audio import feature_arrays, fit_network, shifted_noisy_copies

    x = data.features[p["feature"]]
    x_train, y_train = x[train_i], y[train_i]
    if "shift-noise" in p["augment"]:
        rng = np.random.default_rng(seed)
        copies = shifted_noisy_copies(data.raw[train_i], data.waves.shape[1], config.copies,
                                      round(config.max_shift_seconds * data.rate), config.snr_db, rng)
        x_train = np.concatenate([x_train, feature_arrays(copies, features_of(config, data))[p["feature"]]])
        y_train = np.concatenate([y_train] + [y[train_i]] * config.copies)
    settings = replace(config.network, model=p["model"], spec_augment="specaugment" in p["augment"],
                       patience=p.get("patience", config.network.patience))
    normaliser = Normaliser.fit(x_train, p["normalisation"])
    warp = (tuple(features_of(config, data).band_hz()), p["max_warp"]) if "vtlp" in p["augment"] else None
    stop_i = index.get("stop", val_i)   # the take split stops early on takes of its own, not on those that choose
    members = p.get("members", 1)       # an ensemble: nets from seeds seed, seed + 1, ..., probabilities averaged
    probabilities, fits = {split: 0.0 for split in index}, []
    for k in range(members):
        keras.utils.set_random_seed(seed + k)
        model, fitted = fit_network(settings, normaliser, x_train, y_train, x[stop_i], y[stop_i], n_classes,
                                    label=label if members == 1 else f"{label} net {k + 1}/{members}",
                                    seed=seed + k, freq_warp=warp, one_cycle=p.get("one_cycle"))
        for split, i in index.items():
            probabilities[split] = probabilities[split] + predict_classes(model, normaliser(x[i])) / members
        fits.append(fitted)
    predicted = {split: np.argmax(probabilities[split], axis=1) for split in index}
    accuracy = {split: float(np.mean(predicted[split] == y[i])) for split, i in index.items()}
    return accuracy, predicted["test"], fits[0].history, {
        "parameters": members * int(model.count_params()), "epochs_run": fits[0].epochs_run,
        "seconds_per_epoch": fits[0].seconds_per_epoch, "train_clips": len(y_train)}


def peer_fold(data: Sounds, config: Config, index: dict, y: np.ndarray) -> tuple[dict, np.ndarray, dict, dict]:
    """The classical peer: MFCC statistics of the spoken frames, standardised, logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from keras_models.audio import mfcc_statistics

    stats = mfcc_statistics(data.features["mfcc"], config.peer_segments, data.active)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=config.peer_c, max_iter=3000))
    model.fit(stats[index["train"]], y[index["train"]])
    accuracy = {s: float(model.score(stats[i], y[i])) for s, i in index.items()}
    return accuracy, model.predict(stats[index["test"]]), {}, {"parameters": int(model[-1].coef_.size
                                                                                  + model[-1].intercept_.size)}


def recordings_outcome(data: Sounds, config: Config) -> Outcome:
    """What the recordings are: per class (and speaker) counts, durations and levels; a few clips to show."""
    lengths = np.array([len(w) for w in data.raw]) / data.rate
    levels = np.array([20 * np.log10(np.sqrt(np.mean(np.square(w))) + 1e-12) for w in data.raw])
    who = data.speakers if data.speakers is not None else np.zeros(len(data.labels), int)
    who_names = data.speaker_names or ("all",)
    table = [{"who": who_names[s], "clips": int(np.sum(who == s)),
              **{c: int(np.sum((who == s) & (data.labels == k))) for k, c in enumerate(data.class_names)},
              "seconds min": float(lengths[who == s].min()), "seconds mean": float(lengths[who == s].mean()),
              "seconds max": float(lengths[who == s].max()), "level dBFS": float(np.median(levels[who == s]))}
             for s in range(len(who_names)) if np.any(who == s)]
    rng = np.random.default_rng(0)
    shown = []
    for k in range(min(config.shown_clips, len(data.class_names))):
        members = np.flatnonzero(data.labels == k)
        shown.append(int(rng.choice(members)))
    too_long = int(np.sum(lengths * data.rate > data.waves.shape[1]))
    return Outcome({}, artifacts={"table": table, "seconds": lengths.tolist(), "levels": levels.tolist(),
                                  "shown": shown, "too_long": too_long,
                                  "shown_waves": [data.raw[i].tolist() for i in shown],
                                  "shown_log_mel": [data.features["log-mel"][i].tolist() for i in shown],
                                  "shown_names": [describe(data, i) for i in shown]})


def describe(data: Sounds, i: int) -> str:
    who = f", {data.speaker_names[data.speakers[i]]}" if data.speakers is not None else ""
    return f"'{data.class_names[data.labels[i]]}'{who}"


# ---- report --------------------------------------------------------------------------------------

def split_of(record) -> str:
    return record.params.get("split", "")


def accuracy_row(record, extra: dict | None = None) -> dict:
    baseline = record.params.get("model") in ("majority", "peer")
    return {"variant": f"*{record.variant}*" if baseline else f"`{record.variant}`",
            **(extra or {}), "train acc": record.metric("train", "accuracy"),
            **({"stop acc": record.metric("stop", "accuracy")} if "stop" in record.metrics else {}),
            "val acc": record.metric("val", "accuracy"),
            "test acc": record.metric("test", "accuracy"), "parameters": record.info.get("parameters"),
            "epochs": record.info.get("epochs_run"), "wall s": record.wall_seconds}


def table(rows) -> str:
    from reports.tables import count, markdown_table, number, percent

    formats = {"train acc": percent, "stop acc": percent, "val acc": percent, "test acc": percent,
               "parameters": count, "epochs": count, "wall s": lambda v: number(v, 1), "mean": percent,
               "± std over folds": percent}
    return markdown_table(rows, formats={**formats, **{k: percent for row in rows for k in row if k.startswith("test: ")}})


def recordings_section(view, record) -> list[str]:
    from reports import plots
    from reports.tables import markdown_table, number

    info = view.data_info
    a = {name: view.artifact(record, name) for name in ("table", "seconds", "levels", "shown", "too_long",
                                                        "shown_waves", "shown_log_mel", "shown_names")}
    rate = info["rate"]
    rows = [{k: (number(v, 2) if isinstance(v, float) else v) for k, v in row.items()} for row in a["table"]]
    durations = plots.histograms({"all clips": a["seconds"]}, np.linspace(0, max(a["seconds"]) + 0.05, 40),
                                 view.figure("durations.png"), title="Clip durations: most words take under half a second",
                                 xlabel="duration (s)", ylabel="share of clips")
    waves = plots.waveform_panels([(n, np.asarray(w)) for n, w in zip(a["shown_names"], a["shown_waves"])], rate,
                                  view.figure("waveforms.png"), title="Waveforms of one clip per class, as recorded")
    features = Features.for_rate(rate, mel_bins=view.setting("features", {}).get("mel_bins", 40))
    spectrograms = plots.spectrogram_panels(
        [(n, np.asarray(s)) for n, s in zip(a["shown_names"], a["shown_log_mel"])], view.figure("spectrograms.png"),
        title="The same clips as log-mel spectrograms (the CNN's input before normalisation)",
        seconds_per_frame=features.seconds_per_frame(), band_hz=features.band_hz())
    return [f"## (a) The recordings\n\nCounts per {'speaker' if info['source'] == 'fsdd' else 'folder'} and class, "
            "durations, and median level (RMS in dB below full scale). A balanced design: every class equally "
            f"often, so the majority class scores 1/{len(info['class_names'])}. {a['too_long']} clips are longer "
            f"than the {info['samples'] / rate:g} s window and lose their ends.\n\n"
            + markdown_table(rows, columns=["who", "clips", *info["class_names"], "seconds min", "seconds mean",
                                            "seconds max", "level dBFS"]),
            view.image(durations, "histogram of clip durations"), view.image(waves, "waveforms"),
            view.image(spectrograms, "log-mel spectrograms")]


def sample_section(view) -> str:
    from reports.tables import markdown_table

    info = view.data_info
    shapes = ", ".join(f"{k} {' × '.join(map(str, v))}" for k, v in info["feature_shapes"].items())
    rows = [{"split": name, **sizes} for name, sizes in info["split_sizes"].items()]
    return ("## (b) The sample\n\nEvery clip padded or cropped to one length around its middle; features per clip "
            f"(bins × frames): {shapes}. Log-mel by `keras.layers.MelSpectrogram` (its floor applied per clip, "
            "not per batch), MFCC its DCT. The take split follows the dataset's README (takes 0-4 test); "
            "early stopping watches its *stop* takes, and every network is scored and chosen on its *val* takes, "
            "other clips (a net's accuracy on the clips that picked its best epoch would flatter it against nets "
            "trained for a fixed number of epochs); `speaker:NAME` holds out every clip of one voice (the other "
            "speakers' validation takes stop training); `voice:NAME` too, and validates on every clip of the next speaker, a second voice "
            "never heard in training (the new-voice networks of (e) use it).\n\n" + markdown_table(rows))


def main_table_section(view, experiments: tuple[str, ...], title: str, text: str) -> str:
    records = view.experiment("baseline") + [r for e in experiments for r in view.experiment(e)]
    rows = [accuracy_row(r, {"feature": r.params.get("feature", "mfcc-stats" if r.params.get("model") == "peer" else "–"),
                             "normalisation": r.params.get("normalisation", "–"),
                             "augmentation": ", ".join(r.params.get("augment", [])) or "–",
                             "training": training_of(r)}) for r in records]
    return f"## {title}\n\n{text}\n\n" + table(rows)


def training_of(record) -> str:
    """How a network was trained: early stopping on validation accuracy, or a fixed one-cycle schedule."""
    p, network = record.params, record.config.get("network", {})
    if p.get("model") not in ("cnn", "dense"):
        return "–"
    if "one_cycle" in p:
        return f"one-cycle to {p['one_cycle']['peak_rate']:g}, {network.get('epochs')} epochs"
    patience = p.get("patience", network.get("patience"))
    if not patience:
        return f"rate {network.get('learning_rate'):g}, {network.get('epochs')} epochs"
    return f"early stopping (patience {patience})"


def new_voice_section(view) -> str:
    # the baselines first, then the networks in the order they finished
    records = sorted(view.experiment("new-voice"), key=lambda r: {"majority": 0, "peer": 1}.get(r.params["model"], 2))
    if not records:
        return ""
    rows = []
    for r in records:
        folds_ = r.info.get("fold_accuracy", {})
        rows.append({"variant": f"`{r.variant}`", "training": training_of(r),
                     **{f"test: {k}": v for k, v in folds_.items()},
                     "mean": r.metric("test", "accuracy"), "± std over folds": r.info.get("fold_std"),
                     "validated on": "a second new voice" if r.params.get("validation") == "voice" else
                     "known voices' takes", "val acc": r.metric("val", "accuracy")})
    gaps = []
    for r in records:
        twin = take_twin(view, r)
        if twin is not None:
            gaps.append({"model": f"`{twin.variant}`", "take split": twin.metric("test", "accuracy"),
                         "new voice (mean)": r.metric("test", "accuracy"),
                         "gap": twin.metric("test", "accuracy") - r.metric("test", "accuracy")})
    from reports.tables import markdown_table, percent

    n_folds = len(records[0].info.get("fold_accuracy", {}))
    return ("## (e) A voice never heard: leave one speaker out\n\nEach model trained once per held-out speaker "
            f"({n_folds} folds) and tested on every clip of that one; per held-out speaker accuracy, the mean and "
            "the spread over folds. Validated on a second new voice: trained on four of the other five speakers, "
            "stopped early (or, *one-cycle*, trained for a fixed number of epochs) and chosen on the fifth (the next "
            "in the dataset's list), since the validation takes of voices a network trains on score every network "
            "alike and cannot choose one for new voices.\n\n"
            + table(rows)
            + "\n\n### The gap: the same model on the take split and on a new voice\n\n"
            + markdown_table(gaps, formats={"take split": percent, "new voice (mean)": percent, "gap": percent}))


def take_twin(view, record):
    """The take-split record of the same model as a leave-one-speaker-out record, if it was trained."""
    p = record.params
    same = [r for r in view.records if split_of(r) not in ("speaker", "")
            and r.params.get("task") == p.get("task") and r.params.get("model") == p.get("model")
            and r.params.get("feature") == p.get("feature") and r.params.get("normalisation") == p.get("normalisation")
            and r.params.get("augment") == p.get("augment") and r.params.get("one_cycle") == p.get("one_cycle")
            and r.params.get("members", 1) == p.get("members", 1)]
    return same[0] if same else None


def chosen_cnn(view):
    """The CNN on log-mel for digits on the main split with the best validation accuracy: the one the
    take-split target is judged on (chosen without looking at the test set)."""
    return best([r for r in view.records if r.params.get("model") == "cnn" and r.params.get("task") == "digit"
                 and split_of(r) not in ("speaker", "")])


def best(records):
    """The record with the best validation accuracy; a tie goes to the one trained first (never to the test
    score, which would let the test set choose)."""
    return max(records, key=lambda r: r.metric("val", "accuracy"), default=None)


def report_sections(view) -> list[str]:
    from reports import plots
    from reports.classification import confusion_section

    info = view.data_info
    data_record = next(iter(view.experiment("data")), None)
    sections = recordings_section(view, data_record) if data_record is not None else []
    sections.append(sample_section(view))
    peer = "a classical peer (*mfcc-stats-logreg*: per-coefficient MFCC means over three stretches of the word and " \
           "standard deviations, standardised, logistic regression)"
    sections.append(main_table_section(view, ("features",), "(c) Features: waveform, MFCC, log-mel; dense and CNN",
                                       f"Test accuracy on the {info['sizes']['test']:,} held-out clips against the "
                                       f"majority class and {peer}. Dense nets flatten the feature; the CNN reads "
                                       "the log-mel spectrogram as an image."))
    sections.append(main_table_section(view, ("normalisation", "augmentation"), "(d) Normalisation and augmentation",
                                       "The CNN on log-mel with per-clip normalisation instead of dataset statistics, "
                                       "and with augmentation: *shift-noise* adds shifted copies of each training "
                                       "clip with white noise at 5-30 dB SNR; *specaugment* masks random mel bands "
                                       "and stretches of time in every training batch; *vtlp* scales each training "
                                       "spectrogram's frequencies by a random factor within "
                                       f"±{view.setting('max_warp', Config.max_warp):.0%} (vocal tract length "
                                       "perturbation: a shorter or longer vocal tract, formants moved up or down). "
                                       "*one-cycle*: a fixed schedule instead of early stopping; *ensemble-N*: N "
                                       "such nets from consecutive seeds, their class probabilities averaged."))
    sections.append(new_voice_section(view))
    if view.experiment("speaker-id"):
        rows = [accuracy_row(r) for r in view.experiment("speaker-id")]
        sections.append("## (f) Who is speaking: six speakers, the take split\n\n" + table(rows))
    digit_models = [r for r in view.records if r.params.get("task") == "digit" and r.params.get("model") in ("cnn", "dense")]
    chosen = best([r for r in digit_models if split_of(r) != "speaker"])
    voice = best([r for r in digit_models if split_of(r) == "speaker"])
    for record, what in ((chosen, "the take split"), (voice, "new voices (every fold's test clips)")):
        if record is not None:
            sections.append(f"### Confusions: `{record.variant}` on {what}\n\n"
                            + confusion_section(view, record, info["class_names"]))
    speaker_cnn = next((r for r in view.experiment("speaker-id") if r.params.get("model") == "cnn"), None)
    if speaker_cnn is not None:
        sections.append(f"### Confusions: `{speaker_cnn.variant}`\n\n"
                        + confusion_section(view, speaker_cnn, info["speaker_names"]))
    curves = {r.variant: r.history for r in digit_models if r.history and split_of(r) != "speaker"}
    if curves:
        path = plots.learning_curves(curves, view.figure("curves_accuracy.png"),
                                     title="Accuracy per epoch (take split)", ylabel="accuracy")
        sections.append("## Learning curves\n\nValidation curves on the *stop* takes, the ones early stopping "
                        "watches.\n\n" + view.image(path, "accuracy per epoch"))
    return [s for s in sections if s]


def conclusions(view) -> list[str]:
    lines = []
    main = [r for r in view.records if r.params.get("task") == "digit" and split_of(r) not in ("speaker", "")]
    by_name = {r.variant: r for r in view.records}
    majority, peer = by_name.get("majority"), by_name.get("mfcc-stats-logreg")
    nets = [r for r in main if r.params.get("model") in ("cnn", "dense")]
    if nets:
        ranked = sorted(nets, key=lambda r: -r.metric("test", "accuracy"))
        lines.append("(c, d) Test accuracy, best first: " + ", ".join(
            f"`{r.variant}` {100 * r.metric('test', 'accuracy'):.1f}%" for r in ranked)
            + (f"; majority class {100 * majority.metric('test', 'accuracy'):.1f}%" if majority else "")
            + (f"; peer {100 * peer.metric('test', 'accuracy'):.1f}%." if peer else "."))
    take = take_verdict(view)
    if take is not None:
        lines.append(take.sentence())
    pair = new_voice_pair(view)
    if pair is not None:
        top, voice_peer = pair
        folds_top = top.info["fold_accuracy"]
        margin, spread = fold_margin(top, voice_peer)
        hardest = min(folds_top, key=folds_top.get)
        p = top.params
        lines.append(f"(e) New voices: of the {len(new_voice_networks(view))} networks tried, the one chosen on "
                     f"validation, `{top.variant}` (feature {p['feature']}, {p['normalisation']} "
                     f"normalisation, augmentation {', '.join(p['augment']) or 'none'}, {training_of(top)}) reaches "
                     f"{100 * top.metric('test', 'accuracy'):.1f}% ± {100 * spread:.1f}% over held-out speakers "
                     f"(hardest: {hardest}, {100 * folds_top[hardest]:.1f}%) against the peer's "
                     f"{100 * voice_peer.metric('test', 'accuracy'):.1f}% ± {100 * voice_peer.info['fold_std']:.1f}%: "
                     f"{100 * margin:+.1f} points on average.")
        lines.append(voice_verdict(view).sentence())
        for r in (top, voice_peer):
            twin = take_twin(view, r)
            if twin is not None:
                lines.append(f"The gap for `{twin.variant}`: {100 * twin.metric('test', 'accuracy'):.1f}% on the take "
                             f"split vs {100 * r.metric('test', 'accuracy'):.1f}% on new voices "
                             f"({100 * (twin.metric('test', 'accuracy') - r.metric('test', 'accuracy')):.1f} points).")
        same = [r for r in new_voice_networks(view) if r.params.get("model") == "cnn"]
        if len(same) >= 2:
            ranked = sorted(same, key=lambda r: -r.metric("test", "accuracy"))
            lines.append("New-voice accuracy of the CNN by normalisation and augmentation: " + ", ".join(
                f"{r.params['normalisation']} norm{' + ' + ' + '.join(r.params['augment']) if r.params['augment'] else ''}"
                f"{' (one-cycle)' if 'one_cycle' in r.params else ''} {100 * r.metric('test', 'accuracy'):.1f}%"
                for r in ranked) + ".")
    stopped = [r for r in view.records if r.params.get("model") in ("cnn", "dense") and r.history.get("val_accuracy")
               and int(np.argmax(r.history["val_accuracy"])) <= 1 and len(r.history["val_accuracy"]) < r.config["network"]["epochs"]]
    if stopped and not view.quick:
        lines.append("Stopped early with the best validation epoch among the first two (so its weights are that "
                     "epoch's): " + ", ".join(f"`{r.variant}` ({len(r.history['val_accuracy'])} epochs, patience "
                                              f"{r.params.get('patience', r.config['network']['patience'])})"
                                              for r in stopped)
                     + "; their validation accuracy had not settled within the patience, and more would likely "
                     "raise it.")
    speakers = {r.params.get("model"): r for r in view.experiment("speaker-id")}
    if "cnn" in speakers:
        lines.append(f"(f) Who is speaking: CNN {100 * speakers['cnn'].metric('test', 'accuracy'):.1f}%"
                     + (f", peer {100 * speakers['peer'].metric('test', 'accuracy'):.1f}%" if "peer" in speakers else "")
                     + (f", majority {100 * speakers['majority'].metric('test', 'accuracy'):.1f}%" if "majority" in speakers else "")
                     + " of the test takes.")
    return lines


def new_voice_networks(view):
    """The new-voice networks the choice is made among: those validated on a second new voice when the store
    holds any (a validation score on known voices' takes is another quantity, ~20 points higher)."""
    nets = [r for r in view.experiment("new-voice") if r.params.get("model") in ("cnn", "dense")]
    return [r for r in nets if r.params.get("validation") == "voice"] or nets


def new_voice_pair(view):
    """The leave-one-speaker-out network chosen on validation (a second new voice per fold) and the
    peer trained the same way, or None when either was not recorded."""
    top = best(new_voice_networks(view))
    peer = next((r for r in view.experiment("new-voice") if r.variant == "mfcc-stats-logreg-by-speaker"), None)
    return (top, peer) if top is not None and peer is not None else None


def fold_margin(top, peer) -> tuple[float, float]:
    """Mean over held-out speakers of (network − peer) accuracy, and the network's std over the folds."""
    folds_top, folds_peer = top.info["fold_accuracy"], peer.info["fold_accuracy"]
    return float(np.mean([folds_top[k] - folds_peer[k] for k in folds_top])), float(top.info["fold_std"])


def verdicts(view) -> list:
    """The targets: the CNN on log-mel on the take split (the headline, COURSE.md; the bar is
    `Config.target_take_accuracy`), and the leave-one-speaker-out network above the peer by more than the
    spread over folds. Each is left out when its records are missing (--only, or a --data folder)."""
    return [verdict for verdict in (take_verdict(view), voice_verdict(view)) if verdict is not None]


def take_verdict(view):
    """`value`: test accuracy on the take split of the CNN on log-mel chosen on validation (FSDD only); the
    shown text puts the held-out-speaker network and the majority class beside it, as COURSE.md asks."""
    from reports.conclusions import TEST_ACCURACY, target_verdict

    chosen = chosen_cnn(view)
    if chosen is None or view.data_info.get("source") != "fsdd":
        return None
    pair = new_voice_pair(view)
    majority = next((r for r in view.records if r.variant == "majority"), None)
    beside = ([f"held-out speakers {100 * pair[0].metric('test', 'accuracy'):.1f}% (`{pair[0].variant}`)"]
              if pair else []) + ([f"majority class {100 * majority.metric('test', 'accuracy'):.1f}%"]
                                  if majority else [])
    return target_verdict(chosen.metric("test", "accuracy"),
                          view.setting("target_take_accuracy", Config.target_take_accuracy), TEST_ACCURACY,
                          full_run=not view.quick, claim="CNN on log-mel, take-split test accuracy",
                          detail="; ".join([f"`{chosen.variant}`, chosen on validation"] + beside))


def voice_verdict(view):
    """`value`: the mean per-speaker lead of the network chosen on validation over the peer (a fraction)."""
    from reports.conclusions import Verdict

    pair = new_voice_pair(view)
    if pair is None:
        return None
    margin, spread = fold_margin(*pair)
    return Verdict("leave-one-speaker-out mean above the peer's by more than the spread over folds", margin,
                   f"{100 * margin:+.1f} points vs spread {100 * spread:.1f}, `{pair[0].variant}`", margin > spread,
                   full_run=not view.quick, percent=True)
