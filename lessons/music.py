"""Lesson 19 · music: a next-note LSTM on real folk tunes, against Markov baselines, writing MIDI you can
play (Neural Networks 2, lesson 5).

What it teaches:
  (a) what a MIDI file holds: tracks, ticks per quarter note, tempo, key and time signatures, note-on /
      note-off events with delta times, read from a real tune (a table of its first events);
  (b) melodies as a sequence of notes (pitch, step since the previous onset, duration), the step and
      duration as classes on a grid of 1/24 of a quarter note (tf_raw/notes.py); tunes split into
      train / validation / test *by tune*, stratified by family (jigs, reels, waltzes, ...), so no test
      tune was ever heard in training; every note of a tune is a target, predicted from the `window`
      notes before it (START-padded at the beginning);
  (c) the baselines every honest report needs, from scratch in NumPy (tf_raw/markov.py): unigram,
      first- and second-order Markov chains smoothed toward the lower order (smoothing weight chosen on
      validation), repeat-the-last-note; one chain per feature (pitch, step, duration);
  (d) an LSTM next-note network (keras_models/music.py): pitch, step and duration as three softmax heads
      (classes, not regressions, so every model is scored by the same per-note negative log-likelihood);
      experiments: window length, LSTM size, learned embedding vs one-hot pitch, and transposition
      augmentation (each training window shifted by −5..+6 semitones, anew every epoch);
  (e) per-note test NLL (nats) and accuracy of pitch, step and duration for every model, with sampling
      errors computed over test *tunes* (notes of one tune are not independent), and the LSTM against
      the best chain as a paired difference;
  (f) generation: a seed phrase from a test tune continued by each network at temperatures 0.5 / 1 / 1.5,
      written as .mid files beside the report, read back by pretty_midi, drawn as piano rolls next to
      the real tune, with pitch and interval histograms and the share of notes in the tune's key.

Data: the Nottingham Music Database (jukedeck/nottingham-dataset, GPL-3.0): 1,034 melodies, 1,024 ticks
per quarter note, 120 bpm.

Expected full result (bench/music.py, seed 0, all 12 variants): the network chosen on validation,
`lstm-w32-u128-transposed`, scores test pitch NLL 1.701 ± 0.035 nats per note against the best chain
(second-order Markov) 1.982 ± 0.041, a paired difference of −0.281 ± 0.032 (target: lower by more than
its sampling error, met); pitch accuracy 41.3% vs 33.7%. Transposition augmentation helps (−0.043 ±
0.017 against the reference `lstm-w32-u128`, 1.744), one-hot pitch and shorter windows or fewer units
hurt, 64 notes of context and 256 units tie. 9-20 epochs with early stopping, 2-13 minutes per LSTM
variant on 2 CPUs.

Run: `nnlab run music [--quick] [--seed N] [--epochs N]`, then `nnlab compose` writes a new tune.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnlab.data.bundles import Bundle
from nnlab.runner import REPORT_ONLY, Outcome, RunOptions, Variant, apply_run_options

SLUG = "music"
FEATURES = ("pitch", "step", "duration")
N_PITCHES = 129            # MIDI 0..127 + START


@dataclass(frozen=True)
class Config:
    val_share: float = 0.1
    test_share: float = 0.1
    split_seed: int = 0                    # the split is part of the data, the same for every run seed
    grid: int = 24                         # step and duration grid: parts of a quarter note
    tunes_per_family: int | None = None    # None: every tune (--quick: a few per family)
    alphas: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0)   # Markov smoothing weights tried on validation
    window: int = 32                       # notes of history the reference LSTM sees
    units: int = 128
    embedding_dim: int = 32
    windows: tuple[int, ...] = (16, 64)    # window experiment, beside `window`
    sizes: tuple[int, ...] = (64, 256)     # LSTM size experiment, beside `units`
    dropout: float = 0.2
    epochs: int = 20
    batch_size: int = 256
    learning_rate: float = 2e-3
    patience: int = 3
    lr_patience: int = 1
    seed_notes: int = 16                   # the seed phrase: the first notes of a test tune
    generate_notes: int = 64
    temperatures: tuple[float, ...] = (0.5, 1.0, 1.5)
    shown_events: int = field(default=14, metadata=REPORT_ONLY)


def make_config(options: RunOptions) -> Config:
    return apply_run_options(Config(), options, tunes_per_family=4, alphas=(0.1, 1.0), window=8, units=16,
                             embedding_dim=8, windows=(4,), sizes=(8,), epochs=1, batch_size=64, seed_notes=8,
                             generate_notes=16)


QUICK_NOTE = "4 tunes per family (36 tunes), tiny LSTMs, 1 epoch: NOT the lesson's results"


# ---- data: tunes, their split, classes ------------------------------------------------------------

@dataclass
class Tunes(Bundle):
    """Melodies by tune, their split and their class ids.

    melodies[i]: (n_i, 3) (pitch, start, end) ticks; ids[i]: (n_i, 3) class ids (pitch + 1, step, duration);
    split: tune indices per split; steps / durations: the Quantizers fitted on the training tunes."""

    names: list[str]
    families: list[str]
    keys: list[int]
    resolution: int
    melodies: list[np.ndarray]
    ids: list[np.ndarray]
    split: dict[str, list[int]]
    steps: object
    durations: object
    anatomy: dict
    model_dir: Path

    def details(self) -> dict:
        return {"sizes": {s: len(t) for s, t in self.split.items()},
                "notes": {s: int(sum(len(self.ids[i]) for i in t)) for s, t in self.split.items()},
                "families": {s: {f: sum(1 for i in t if self.families[i] == f) for f in sorted(set(self.families))}
                             for s, t in self.split.items()},
                "step_beats": self.steps.beats()[1:], "duration_beats": self.durations.beats()[1:]}

    def sequences(self, split: str, feature: int) -> list[np.ndarray]:
        return [self.ids[i][:, feature] for i in self.split[split]]


def stratified_split(families: list[str], val_share: float, test_share: float, seed: int) -> dict[str, list[int]]:
    """Tune indices per split: within each family, shuffled, the first val_share to validation, the next
    test_share to test (at least one each when the family has three tunes or more), the rest to train."""
    rng = np.random.default_rng(seed)
    split = {"train": [], "val": [], "test": []}
    for family in sorted(set(families)):
        members = rng.permutation([i for i, f in enumerate(families) if f == family]).tolist()
        n_val = max(1, round(val_share * len(members))) if len(members) >= 3 else 0
        n_test = max(1, round(test_share * len(members))) if len(members) >= 3 else 0
        split["val"] += members[:n_val]
        split["test"] += members[n_val:n_val + n_test]
        split["train"] += members[n_val + n_test:]
    return {name: sorted(indices) for name, indices in split.items()}


def load_data(config: Config, options: RunOptions) -> Tunes:
    from nnlab.data.datasets import nottingham
    from nnlab.data.fetch import fetch
    from nnlab.data.midi import file_anatomy
    from tf_raw.notes import Quantizer, encode, tokens

    spec = nottingham.SPEC
    if config.tunes_per_family:
        names = [nottingham.tune_name(p) for p in sorted(spec.files)]
        by_family: dict[str, list[str]] = {}
        for name in names:
            by_family.setdefault(nottingham.family(name), []).append(name)
        spec = nottingham.tunes([n for members in by_family.values() for n in members[:config.tunes_per_family]])
    loaded = spec.load()
    a = loaded.arrays
    resolution = int(a["resolution"][0])
    if not np.all(a["resolution"] == resolution):
        raise ValueError(f"Expected one resolution in every file. Received: {sorted(set(a['resolution']))}")
    names, families = [str(n) for n in a["names"]], [str(f) for f in a["families"]]
    split = stratified_split(families, config.val_share, config.test_share, config.split_seed)
    encoded = [encode(n) for n in a["notes"]]
    train = np.concatenate([encoded[i] for i in split["train"]])
    # the classes are the values the training tunes use; a rare test value goes to the nearest class
    steps = Quantizer.fit(train[:, 1], resolution, config.grid)
    durations = Quantizer.fit(train[:, 2], resolution, config.grid)
    ids = [tokens(e, resolution, steps, durations) for e in encoded]
    shown = names[split["train"][0]]
    anatomy = file_anatomy(fetch(spec.files[f"melody/{shown}.mid"], spec.name), events=40)
    anatomy["tune"] = shown
    return Tunes(names, families, [int(k) for k in a["keys"]], resolution, list(a["notes"]), ids, split, steps,
                 durations, anatomy, Path(options.workdir) / SLUG / "models", dataset=loaded.name,
                 sha256=loaded.sha256)


def seed_tune(data: Tunes, config: Config) -> int:
    """The test tune whose first notes seed generation: the first test tune (by name) long enough to give
    the seed phrase and as many notes again to compare with."""
    long_enough = [i for i in data.split["test"] if len(data.melodies[i]) >= config.seed_notes + config.generate_notes]
    return (long_enough or data.split["test"])[0]


# ---- the experiment grid -------------------------------------------------------------------------

BASELINES = {"unigram": 0, "markov-1": 1, "markov-2": 2, "repeat-last": None}


def grid(config: Config, data: Tunes) -> list[Variant]:
    variants = [Variant("data", "file-and-sample", {"model": "none"})]
    variants += [Variant("baseline", name, {"model": name}) for name in BASELINES]
    reference = {"model": "lstm", "window": config.window, "units": config.units, "pitch_input": "embedding",
                 "augment": False}

    def lstm(experiment: str, **changes) -> Variant:
        params = {**reference, **changes}
        name = (f"lstm-w{params['window']}-u{params['units']}"
                f"{'-onehot' if params['pitch_input'] == 'one-hot' else ''}{'-transposed' if params['augment'] else ''}")
        return Variant(experiment, name, params)

    variants.append(lstm("lstm"))
    variants += [lstm("window", window=w) for w in config.windows]
    variants += [lstm("size", units=u) for u in config.sizes]
    variants.append(lstm("pitch-input", pitch_input="one-hot"))
    variants.append(lstm("augmentation", augment=True))
    return variants


# ---- training and scoring ------------------------------------------------------------------------

def score(probabilities: dict[str, list[np.ndarray]], data: Tunes, split: str) -> tuple[dict, dict]:
    """Per-note NLL and accuracy of each feature from per-tune probabilities {feature: [(n_i, V)]} over
    the split's tunes: (metrics, per-tune sums {"nll_pitch": [...], "correct_pitch": [...], "notes": [...]})."""
    from tf_raw.markov import negative_log_likelihood

    sums: dict[str, list[float]] = {"notes": [len(data.ids[i]) for i in data.split[split]]}
    for f, feature in enumerate(FEATURES):
        targets = data.sequences(split, f)
        nll = [negative_log_likelihood(p, t) for p, t in zip(probabilities[feature], targets)]
        correct = [p.argmax(axis=1) == t for p, t in zip(probabilities[feature], targets)]
        sums[f"nll_{feature}"] = [float(v.sum()) for v in nll]
        sums[f"correct_{feature}"] = [float(v.sum()) for v in correct]
    total = sum(sums["notes"])
    metrics = {name: sum(values) / total for name, values in sums.items() if name != "notes"}
    metrics = {name.replace("correct_", "accuracy_"): v for name, v in metrics.items()}
    metrics["nll"] = sum(metrics[f"nll_{f}"] for f in FEATURES)
    return metrics, sums


def cluster_standard_error(sums: list[float], counts: list[float]) -> float:
    """Standard error of the per-note mean Σ s_t / Σ n_t when the notes come in T tunes (clusters) that
    are sampled, not notes one by one: √(T/(T−1) Σ_t (s_t − m n_t)²) / Σ n_t, with m the mean."""
    s, n = np.asarray(sums, dtype=float), np.asarray(counts, dtype=float)
    if len(s) < 2:
        return float("nan")
    mean = s.sum() / n.sum()
    return float(np.sqrt(len(s) / (len(s) - 1) * np.sum((s - mean * n) ** 2)) / n.sum())


def outcome_from(probabilities: dict[str, dict[str, list[np.ndarray]]], data: Tunes, info: dict,
                 history: dict | None = None, artifacts: dict | None = None) -> Outcome:
    """Metrics of val and test, standard errors over test tunes, per-tune sums kept for paired tests."""
    metrics, per_tune = {}, {}
    for split in ("val", "test"):
        metrics[split], sums = score(probabilities[split], data, split)
        per_tune[split] = sums
    test = per_tune["test"]
    for name in [k for k in test if k != "notes"]:
        info[f"test_{name.replace('correct_', 'accuracy_')}_se"] = cluster_standard_error(test[name], test["notes"])
    info["test_nll_se"] = cluster_standard_error(np.sum([test[f"nll_{f}"] for f in FEATURES], axis=0), test["notes"])
    return Outcome(metrics, history or {}, info, {"per_tune": test, **(artifacts or {})})


def train(variant: Variant, data: Tunes, config: Config, seed: int) -> Outcome:
    if variant.experiment == "data":
        return data_outcome(data, config)
    if variant.experiment == "baseline":
        return baseline_outcome(variant.params["model"], data, config)
    return lstm_outcome(variant, data, config, seed)


def data_outcome(data: Tunes, config: Config) -> Outcome:
    """The file anatomy and the real test music the generated tunes are compared with."""
    test_pitches = [data.melodies[i][:, 0].tolist() for i in data.split["test"]]
    keys = [data.keys[i] for i in data.split["test"]]
    index = seed_tune(data, config)
    return Outcome({}, artifacts={"anatomy": data.anatomy, "test_pitches": test_pitches, "test_keys": keys,
                                  "seed_tune": data.names[index], "seed_tune_notes": data.melodies[index].tolist(),
                                  "seed_tune_key": data.keys[index]})


def baseline_outcome(name: str, data: Tunes, config: Config) -> Outcome:
    """One chain per feature; for a Markov chain the smoothing weight α with the lowest validation NLL."""
    from tf_raw.markov import MarkovChain, RepeatLast, negative_log_likelihood

    sizes = {"pitch": N_PITCHES, "step": data.steps.n_classes, "duration": data.durations.n_classes}
    probabilities = {"val": {}, "test": {}}
    info = {"alpha": {}}
    for f, feature in enumerate(FEATURES):
        train_sequences = data.sequences("train", f)
        if name == "repeat-last":
            candidates = [RepeatLast(sizes[feature]).fit(train_sequences)]
        else:
            candidates = [MarkovChain(BASELINES[name], sizes[feature], a).fit(train_sequences) for a in config.alphas]

        def val_nll(model) -> float:
            return float(np.mean(np.concatenate([negative_log_likelihood(model.sequence_probabilities(s), s)
                                                 for s in data.sequences("val", f)])))

        best = min(candidates, key=val_nll)
        if name == "repeat-last":
            info["repeat_share"] = info.get("repeat_share", {}) | {feature: best.repeat}
        else:
            info["alpha"][feature] = best.alpha
        for split in ("val", "test"):
            probabilities[split][feature] = [best.sequence_probabilities(s) for s in data.sequences(split, f)]
    if not info["alpha"]:
        info.pop("alpha")
    return outcome_from(probabilities, data, info)


def windows_of(data: Tunes, split: str, width: int) -> tuple[np.ndarray, np.ndarray]:
    from tf_raw.notes import windows

    pairs = [windows(data.ids[i], width) for i in data.split[split]]
    return np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])


def lstm_outcome(variant: Variant, data: Tunes, config: Config, seed: int) -> Outcome:
    import keras

    from keras_models.music import HEADS, TransposedBatches, as_inputs, as_targets, build_next_note_lstm
    from keras_models.training import fit_model
    from nnlab.composer_files import Composer, save_composer
    from nnlab.hashing import content_key
    from nnlab.runner import keyed_config

    p = variant.params
    width = p["window"]
    model = build_next_note_lstm(width, N_PITCHES, data.steps.n_classes, data.durations.n_classes, units=p["units"],
                                 pitch_input=p["pitch_input"], embedding_dim=config.embedding_dim,
                                 dropout=config.dropout)
    x_train, y_train = windows_of(data, "train", width)
    x_val, y_val = windows_of(data, "val", width)
    if p["augment"]:
        train_x, train_y = TransposedBatches(x_train, y_train, config.batch_size, seed), None
    else:
        train_x, train_y = as_inputs(x_train), as_targets(y_train)
    losses = {head: "sparse_categorical_crossentropy" for head in HEADS}
    fitted = fit_model(model, train_x, train_y, as_inputs(x_val), as_targets(y_val), loss=losses,
                       metrics={head: ["accuracy"] for head in HEADS}, monitor="val_loss",
                       optimizer=keras.optimizers.Adam(config.learning_rate, clipnorm=1.0), epochs=config.epochs,
                       batch_size=config.batch_size, label=variant.name, patience=config.patience,
                       lr_patience=config.lr_patience, jit_compile=False)
    probabilities = {}
    for split in ("val", "test"):
        x, _ = windows_of(data, split, width)
        predicted = model.predict(as_inputs(x), batch_size=2048, verbose=0)
        bounds = np.cumsum([0] + [len(data.ids[i]) for i in data.split[split]])
        probabilities[split] = {h: [np.asarray(predicted[h][a:b], np.float64) for a, b in zip(bounds, bounds[1:])]
                                for h in HEADS}
    index = seed_tune(data, config)
    composer = Composer(model, width, data.steps, data.durations, data.resolution, 120.0, data.names[index],
                        data.melodies[index][:config.seed_notes], data.keys[index])
    melodies = composer.compose(composer.seed_notes, config.generate_notes, config.temperatures,
                                np.random.default_rng(seed))
    digest = content_key(params=p, config=keyed_config(config), seed=seed, sha256=data.sha256)
    model_file = save_composer(data.model_dir / f"{variant.name}-seed{seed}-{digest[:10]}", composer)
    info = {"parameters": model.count_params(), "epochs_run": fitted.epochs_run,
            "seconds_per_epoch": fitted.seconds_per_epoch, "model_file": str(model_file),
            "train_windows": len(y_train)}
    generated = {str(t): m.notes.tolist() for t, m in zip(config.temperatures, melodies)}
    return outcome_from(probabilities, data, info, fitted.history, {"generated": generated})


# ---- report --------------------------------------------------------------------------------------

def learned(view) -> list:
    return [r for r in view.records if r.params.get("model") == "lstm"]


def best_network(view):
    """The LSTM chosen on validation (lowest per-note NLL): the one that composes."""
    return min(learned(view), key=lambda r: r.metric("val", "nll"), default=None)


def best_chain(view):
    """The Markov chain with the lowest test pitch NLL: the baseline the target names."""
    chains = [r for r in view.experiment("baseline") if r.variant.startswith("markov")]
    return min(chains, key=lambda r: r.metric("test", "nll_pitch"), default=None)


def with_se(record, name: str, percent: bool = False) -> str:
    factor, digits = (100, 1) if percent else (1, 3)
    value, se = record.metric("test", name), record.info.get(f"test_{name}_se")
    shown = f"{factor * value:.{digits}f}{'%' if percent else ''}"
    return shown + (f" ± {factor * se:.{digits}f}" if se is not None and not np.isnan(se) else "")


def paired_gap(view, a, b, name: str = "nll_pitch") -> tuple[float, float]:
    """Mean per-note difference a − b on the test notes and its standard error over test tunes."""
    sa, sb = view.artifact(a, "per_tune"), view.artifact(b, "per_tune")
    diff = np.asarray(sa[name]) - np.asarray(sb[name])
    return float(diff.sum() / np.sum(sa["notes"])), cluster_standard_error(diff, sa["notes"])


def results_table(records) -> str:
    from reports.tables import count, markdown_table

    rows = []
    for r in records:
        baseline = r.experiment == "baseline"
        rows.append({"model": f"*{r.variant}*" if baseline else f"`{r.variant}`", "experiment": r.experiment,
                     "pitch NLL": with_se(r, "nll_pitch"), "step NLL": with_se(r, "nll_step"),
                     "duration NLL": with_se(r, "nll_duration"), "note NLL": with_se(r, "nll"),
                     "pitch acc": with_se(r, "accuracy_pitch", True), "step acc": with_se(r, "accuracy_step", True),
                     "duration acc": with_se(r, "accuracy_duration", True),
                     "val note NLL": f"{r.metric('val', 'nll'):.3f}",
                     "parameters": r.info.get("parameters"), "epochs": r.info.get("epochs_run"),
                     "wall s": f"{r.wall_seconds:.1f}"})
    return markdown_table(rows, formats={"parameters": count, "epochs": count})


def anatomy_section(view, data_record) -> str:
    from reports.tables import markdown_table

    a = view.artifact(data_record, "anatomy")
    shown = view.setting("shown_events", Config.shown_events)
    return (f"## (a) What a MIDI file holds: `{a['tune']}.mid`\n\n"
            f"MIDI format {a['format']}, **{a['ticks_per_beat']} ticks per quarter note**, tempo {a['tempo']:g} bpm "
            f"(so one tick is {60 / (a['tempo'] * a['ticks_per_beat']) * 1000:.3f} ms), key {a['key']}, time signature "
            f"{a['time_signature'] or 'none'}. Every event carries a *delta time*: ticks since the event before it "
            "in its track; a note is a `note_on` and a later `note_off` (or `note_on` with velocity 0) of the same "
            "pitch. Meta events (track name, key, time signature) carry no sound.\n\n"
            + markdown_table(a["tracks"], columns=["track", "name", "events", "notes"])
            + f"\n\nThe first {shown} events of the track:\n\n"
            + markdown_table(a["events"][:shown], columns=["delta ticks", "tick", "seconds", "message", "fields"]))


def as_fraction(beats: float) -> str:
    """0.333333 → "1/3": grid values are multiples of 1/24 of a quarter note."""
    from fractions import Fraction

    return str(Fraction(beats).limit_denominator(24))


def sample_section(view) -> str:
    from reports.tables import markdown_table

    info = view.data_info
    families = sorted(next(iter(info["families"].values())))
    rows = [{"split": s, "tunes": info["sizes"][s], "notes": f"{info['notes'][s]:,}",
             **{f: info["families"][s].get(f, 0) for f in families}} for s in ("train", "val", "test")]
    beats = ", ".join(as_fraction(b) for b in info["step_beats"])
    durations = ", ".join(as_fraction(b) for b in info["duration_beats"])
    return ("## (b) The sample: notes as (pitch, step, duration), split by tune\n\n"
            "Tunes go whole to one split, drawn within each family; every note of a tune is a target, predicted "
            "from the notes before it (the window, START-padded at the tune's start).\n\n" + markdown_table(rows)
            + f"\n\nStep classes (quarter notes since the previous onset, from the training tunes): {beats}. "
            f"Duration classes: {durations}. Pitch: the 128 MIDI pitches (+ START).")


def generated_section(view, data_record, best) -> list[str]:
    from nnlab.data.midi import Melody, key_name, summary, write_melody
    from reports import plots
    from reports.tables import markdown_table
    from tf_raw.notes import in_key_share, intervals

    resolution, seed_n = 1024, view.setting("seed_notes", Config.seed_notes)
    tune = view.artifact(data_record, "seed_tune")
    key = view.artifact(data_record, "seed_tune_key")
    real = np.asarray(view.artifact(data_record, "seed_tune_notes"), dtype=np.int64)
    generated = {float(t): np.asarray(n, dtype=np.int64) for t, n in view.artifact(best, "generated").items()}
    count = len(next(iter(generated.values()))) - seed_n
    real = real[:seed_n + count]
    key = None if key is None or key < 0 else key
    files = {"real": write_melody(Melody(real, resolution, key=key), view.figure(f"real_{tune}.mid"))}
    for t, notes in generated.items():
        files[f"T = {t:g}"] = write_melody(Melody(notes, resolution, key=key), view.figure(f"generated_T{t:g}.mid"))
    rows = []
    for name, path in files.items():
        back = summary(path)
        pitches = (real if name == "real" else generated[float(name[4:])])[seed_n:, 0]
        rows.append({"file": f"[{path.name}]({path.name})", "what": name, "notes read back": back["notes"],
                     "length s": f"{back['seconds']:.1f}", "tempo bpm": f"{back['tempo']:g}",
                     "notes after the seed in key": f"{100 * in_key_share(pitches, key):.0f}%" if key is not None else "–",
                     "distinct pitches": len(set(pitches.tolist()))})
    panels = [(f"real: {tune} (first {len(real)} notes)", real / np.array([1, resolution, resolution]))]
    panels += [(f"{best.variant}, temperature {t:g}", n / np.array([1, resolution, resolution]))
               for t, n in generated.items()]
    marker = real[seed_n - 1, 1] / resolution if len(real) >= seed_n else None
    rolls = plots.piano_rolls(panels, view.figure("piano_rolls.png"), marker=marker,
                              title=f"Piano rolls: the real tune and its seed phrase ({seed_n} notes, left of the "
                                    "dashed line) continued by the network")
    test_pitches = np.concatenate([np.asarray(p) for p in view.artifact(data_record, "test_pitches")])
    test_intervals = np.concatenate([intervals(p) for p in view.artifact(data_record, "test_pitches")])
    pitch_series = {"real test tunes": test_pitches, **{f"generated, T = {t:g}": n[seed_n:, 0] for t, n in generated.items()}}
    interval_series = {name: np.clip(values, -12, 12) for name, values in  # leaps beyond an octave at ±12
                       {"real test tunes": test_intervals,
                        **{f"generated, T = {t:g}": intervals(n[seed_n - 1:, 0]) for t, n in generated.items()}}.items()}
    low, high = int(min(map(np.min, pitch_series.values()))), int(max(map(np.max, pitch_series.values())))
    pitch_plot = plots.histograms(pitch_series, np.arange(low - 0.5, high + 1.5), view.figure("pitch_histogram.png"),
                                  title="Pitches: generated vs real music", xlabel="pitch (MIDI number)")
    interval_plot = plots.histograms(interval_series, np.arange(-12.5, 13.5), view.figure("interval_histogram.png"),
                                     title="Melodic intervals: generated vs real music",
                                     xlabel="semitones to the next note (leaps beyond an octave at ±12)")
    return [f"## (f) Generated tunes: `{best.variant}` continues `{tune}`\n\n"
            f"The network chosen on validation NLL continues the first {seed_n} notes of the test tune `{tune}` "
            f"(key {key_name(key)}) "
            f"with {count} sampled notes per temperature. Each .mid file here was written by pretty_midi and read "
            "back by it: the columns are what reading it gave.\n\n" + markdown_table(rows),
            view.image(rolls, "piano rolls of the real and generated tunes"),
            "### Pitch and interval histograms\n\n" + view.image(pitch_plot, "pitch histogram") + "\n\n"
            + view.image(interval_plot, "interval histogram")]


def report_sections(view) -> list[str]:
    from reports import plots

    data_record = next(iter(view.experiment("data")), None)
    sections = []
    if data_record is not None:
        sections.append(anatomy_section(view, data_record))
    sections.append(sample_section(view))
    models = view.experiment("baseline") + learned(view)
    if models:
        sections.append("## (c)-(e) Every model against the baselines, on the test tunes\n\n"
                        "Per-note negative log-likelihood (nats; lower is better) of each feature, and of the whole "
                        "note (their sum: the three heads are scored independently), and argmax accuracy, ± the "
                        "standard error over test tunes (a tune's notes move together, so tunes are the sample). "
                        "Markov chains: one per feature, smoothed toward the lower order with the weight α that "
                        "scored best on validation. *repeat-last*: the last value again with the training share of "
                        "repeats, the rest spread evenly.\n\n" + results_table(models))
    networks = learned(view)
    if networks:
        curves = {r.variant: {"val_loss": r.history.get("val_loss", []), "loss": r.history.get("loss", [])}
                  for r in networks}
        path = plots.learning_curves(curves, view.figure("curves_loss.png"), metric="loss",
                                     title="Per-note NLL (sum of the three heads) per epoch", ylabel="loss (nats)")
        sections.append("## Learning curves\n\n" + view.image(path, "loss per epoch"))
    best = best_network(view)
    if best is not None and data_record is not None and view.artifact(best, "generated"):
        sections += generated_section(view, data_record, best)
    return sections


def conclusions(view) -> list[str]:
    lines = []
    baselines = {r.variant: r for r in view.experiment("baseline")}
    if baselines:
        ranked = sorted(baselines.values(), key=lambda r: r.metric("test", "nll_pitch"))
        lines.append("(c) Baselines by test pitch NLL: " + ", ".join(
            f"`{r.variant}` {with_se(r, 'nll_pitch')}" for r in ranked) + " nats per note.")
    chain, best = best_chain(view), best_network(view)
    for experiment, label in (("window", "window length"), ("size", "LSTM size"), ("pitch-input", "pitch input"),
                              ("augmentation", "transposition augmentation")):
        reference = next(iter(view.experiment("lstm")), None)
        for r in view.experiment(experiment):
            if reference is None:
                break
            gap, se = paired_gap(view, r, reference)
            verdict = "a tie within sampling error" if abs(gap) <= 2 * se else ("better" if gap < 0 else "worse")
            lines.append(f"(d) {label}: `{r.variant}` test pitch NLL {r.metric('test', 'nll_pitch'):.3f} vs the "
                         f"reference `{reference.variant}` {reference.metric('test', 'nll_pitch'):.3f} "
                         f"(paired difference {gap:+.3f} ± {se:.3f}: {verdict}).")
    if chain is not None and best is not None:
        gap, se = paired_gap(view, best, chain)
        sentence = (f"(e) The network chosen on validation, `{best.variant}`, scores test pitch NLL "
                    f"{with_se(best, 'nll_pitch')} against the best chain `{chain.variant}` {with_se(chain, 'nll_pitch')}: "
                    f"paired difference {gap:+.3f} ± {se:.3f} nats per note; pitch accuracy "
                    f"{100 * best.metric('test', 'accuracy_pitch'):.1f}% vs {100 * chain.metric('test', 'accuracy_pitch'):.1f}%.")
        lines.append(sentence)
        for prefix, verdict in (("", nll_verdict(view)), ("(f) ", midi_verdict(view))):
            if verdict is not None:
                lines.append(prefix + verdict.sentence())
        unfinished = [r for r in learned(view) if r.history.get("val_loss")
                      and int(np.argmin(r.history["val_loss"])) == len(r.history["val_loss"]) - 1
                      and len(r.history["val_loss"]) == r.config["epochs"]]
        if unfinished and not view.quick:
            lines.append("Still improving when the epochs ran out: " + ", ".join(f"`{r.variant}`" for r in unfinished)
                         + "; more epochs (`--epochs`) would likely lower their NLL.")
    return lines


def verdicts(view) -> list:
    """The targets (COURSE.md): the LSTM's test pitch NLL below the best Markov chain's (the headline; here
    by more than the paired difference's sampling error), and the generated files parse as valid MIDI.
    Each is left out when its records are missing (a run with --only)."""
    return [verdict for verdict in (nll_verdict(view), midi_verdict(view)) if verdict is not None]


def nll_verdict(view):
    """The network chosen on validation NLL against the strongest chain on the test tunes. `value`: the
    paired difference of test pitch NLL (nats per note), met below minus its standard error."""
    from reports.conclusions import Verdict

    chain, best = best_chain(view), best_network(view)
    if chain is None or best is None:
        return None
    gap, se = paired_gap(view, best, chain)
    return Verdict("LSTM test pitch NLL below the best Markov chain's by more than its sampling error", gap,
                   f"{gap:+.3f} ± {se:.3f} nats per note, `{best.variant}` (chosen on validation) against "
                   f"`{chain.variant}`", gap < -se, full_run=not view.quick)


def midi_verdict(view):
    """Every .mid file the report wrote beside it reads back as MIDI with notes. `value`: the share that does."""
    from nnlab.data.midi import summary
    from nnlab.errors import DataError
    from reports.conclusions import Verdict

    best = best_network(view)
    written = [view.figure(f"generated_T{float(t):g}.mid") for t in (view.artifact(best, "generated") or {})] \
        if best is not None else []
    if not written:
        return None

    def parses(path) -> bool:
        try:
            return summary(path)["notes"] > 0
        except (DataError, FileNotFoundError):
            return False

    valid = sum(parses(p) for p in written)
    return Verdict("the generated files parse as valid MIDI", valid / len(written),
                   f"{valid} of {len(written)} generated files parse as MIDI with notes", valid == len(written),
                   full_run=not view.quick, percent=True)
