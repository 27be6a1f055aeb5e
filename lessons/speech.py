"""Lesson 21 · speech: text to speech with ready engines, then a small synthesis network of our own,
judged by a listener that is not the generator (Neural Networks 2, lesson 6 "Speech synthesis").

What it teaches:
  (a) ready engines: espeak-ng (offline formant synthesis, WAV) and gTTS (Google's online voice, MP3) say
      the same sentences; the table gives engine, available or why not, file and duration; an engine that
      cannot run here is one line and the lesson goes on (nnlab/speech_engines.py, also `nnlab say TEXT`);
  (b) what a speech spectrogram keeps and loses: the log-mel spectrogram (keras.layers.MelSpectrogram)
      keeps each 8 ms frame's energy in 64 mel bands and drops the phase; to hear one again it is inverted
      to linear power (non-negative least squares) and given phases by Griffin-Lim (tf_raw/griffin_lim.py,
      from scratch over tf.signal's STFT). Every spectrogram below becomes sound this one way, real
      recordings' too: what the vocoder alone costs is measured on them;
  (c) the network: (digit, speaker) → log-mel spectrogram and duration (keras_models/speech.py), trained on
      the Free Spoken Digit Dataset's training takes. Its two targets: the spectrogram on the clip's own
      frames (padded with silence to one length) or on a normalised time axis (every take stretched to the
      same number of frames, so the vowels of 45 takes line up before they are averaged) and stretched back
      to the predicted duration; against the baselines "one average word" (the same spectrogram for every
      request) and "class average" (each (digit, speaker)'s mean aligned spectrogram, no network);
  (d) judged by a listener that is not the generator: the audio-classes lesson's digit classifier (its CNN
      on log-mel, trained on real takes 10-49 of all six speakers, nnlab/recipes/audio.py) transcribes every
      synthesised clip (each digit in each voice), the real held-out recordings (takes 0-4), the same
      recordings passed through the vocoder, and espeak-ng's digits in several voices; recognition table
      and confusion matrix;
  (e) the WAV files of every synthesised digit beside the report, their waveforms and spectrograms next to
      real ones; `nnlab say --digit 7 --speaker theo` says one with the trained network.

Data: the Free Spoken Digit Dataset (Jakobovski/free-spoken-digit-dataset, CC BY-SA 4.0): 3,000 recordings
at 8 kHz, 6 speakers × 10 digits × 50 takes; takes 0-4 held out (the dataset's own test split).

Expected full result (bench/speech.py, seed 0, 855 s on 2 heavily shared CPUs): the listener hears **96.7%**
(58 of 60) of `decoder-aligned`'s synthesised digits as the digit asked for (target ≥ 90%: met), 95.0% of
`decoder-padded`'s (a tie); baselines: each (digit, speaker)'s average spectrogram 100%, one average word
10%; real held-out takes 97.7% (293 of 300), the same takes through the vocoder 98.3% against 96.7% as
recorded (Griffin-Lim costs nothing the listener hears); espeak-ng's digits in five voices only 20% (a voice
unlike the six it learned). Held-out dB RMSE: decoder 8.91, class average 8.81, one average word 14.03.

Run: `nnlab run speech [--quick] [--seed N] [--epochs N]`, then `nnlab say --digit 7 --speaker theo`.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnlab.data.bundles import Bundle
from nnlab.runner import REPORT_ONLY, Outcome, RunOptions, Variant, apply_run_options

SLUG = "speech"
RATE = 8000
TARGET_RECOGNISED = 0.90        # COURSE.md: share of the network's synthesised digits heard as the digit asked


@dataclass(frozen=True)
class Config:
    speakers: tuple[str, ...] = ("george", "jackson", "lucas", "nicolas", "theo", "yweweler")
    train_takes: tuple[int, ...] = tuple(range(5, 50))
    test_takes: tuple[int, ...] = tuple(range(5))
    # the generator's spectrogram: 32 ms Hann windows every 8 ms (75% overlap, which Griffin-Lim needs to
    # find consistent phases), 64 mel bands from 20 Hz to 4 kHz
    fft_length: int = 256
    stride: int = 64
    mel_bins: int = 64
    min_freq: float = 20.0
    aligned_frames: int = 64               # normalised time axis (the mean clip is about 55 frames)
    padded_frames: int = 128               # 1.02 s of real frames; longer clips are cut
    epochs: int = 100                      # the loss is flat after about 30 (the class means are reached)
    batch_size: int = 64
    learning_rate: float = 2e-3
    griffin_lim_iterations: int = 64
    listener_quick: bool = False           # True: the audio-classes listener's seconds-long test version
    sentences: tuple[str, ...] = ("The quick brown fox jumps over the lazy dog.",
                                  "Zero, one, two, three, four, five, six, seven, eight, nine.")
    espeak_voices: tuple[str, ...] = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029")
    shown_speaker: str = "theo"            # whose real and synthesised digits the report draws
    # the network the target is judged on, fixed before the run: the listener's verdict on the synthesised
    # digits is the lesson's test, so picking the better of the two networks by it would flatter the figure
    headline: str = field(default="decoder-aligned", metadata=REPORT_ONLY)


def make_config(options: RunOptions) -> Config:
    return apply_run_options(Config(), options, speakers=("george", "theo"), train_takes=tuple(range(5, 13)),
                             test_takes=(0, 1), epochs=10, griffin_lim_iterations=8, listener_quick=True,
                             sentences=Config.sentences[:1], espeak_voices=("en-us",), shown_speaker="theo")


QUICK_NOTE = ("2 speakers × 10 digits × 10 takes, 10 epochs, 8 Griffin-Lim iterations, a listener trained 2 "
              "epochs on 12 takes: NOT the lesson's results")


# ---- data: recordings, their spectrograms, the split ------------------------------------------------

@dataclass
class Recordings(Bundle):
    """FSDD clips and what the generator learns from them.

    waves (N,) float32 clips at 8 kHz; digits, speakers (index into `speaker_names`), takes (N,) int;
    aligned (N, aligned_frames, mel_bins) dB on a normalised time axis; padded (N, padded_frames, mel_bins)
    dB on real frames; seconds (N,) clip lengths; split: indices of "train" and "test" takes."""

    waves: np.ndarray
    digits: np.ndarray
    speakers: np.ndarray
    takes: np.ndarray
    speaker_names: tuple[str, ...]
    aligned: np.ndarray
    padded: np.ndarray
    seconds: np.ndarray
    split: dict[str, np.ndarray]
    model_dir: Path
    wav_dir: Path
    cache: dict = field(default_factory=dict)   # the listener, loaded once per run

    def details(self) -> dict:
        return {"sizes": {s: int(len(i)) for s, i in self.split.items()},
                "speakers": list(self.speaker_names), "seconds": [float(self.seconds.min()), float(self.seconds.mean()),
                                                                  float(self.seconds.max())]}

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Every (digit, speaker) the network is asked for, speaker by speaker: (N,), (N,)."""
        digits, speakers = np.meshgrid(np.arange(10), np.arange(len(self.speaker_names)))
        return digits.ravel(), speakers.ravel()


def vocoder_of(config: Config):
    from nnlab.speech_files import Vocoder

    return Vocoder(RATE, config.fft_length, config.stride, config.mel_bins, config.min_freq,
                   config.griffin_lim_iterations)


def features_of(config: Config):
    """The generator's spectrogram as keras_models.audio computes it: window = FFT length = 256."""
    from keras_models.audio import Features

    return Features(sampling_rate=RATE, fft_length=config.fft_length, sequence_length=config.fft_length,
                    sequence_stride=config.stride, mel_bins=config.mel_bins, min_freq=config.min_freq)


def spectrograms_of(waves, config: Config) -> list[np.ndarray]:
    """Clips (a sequence of (n_i,)) → their log-mel dB, each (1 + n_i // stride, mel_bins), time first as
    the decoder writes it. One batch: every clip is followed by silence up to the longest, and its own
    frames are kept (only the last two frames see the silence where Keras would mirror the clip's end)."""
    from keras_models.audio import log_mel

    waves = list(waves)
    longest = max(len(w) for w in waves)
    batch = np.stack([np.pad(w, (0, longest - len(w))) for w in waves]).astype(np.float32)
    db = log_mel(batch, features_of(config))
    return [d.T[:1 + len(w) // config.stride] for d, w in zip(db, waves)]


def load_data(config: Config, options: RunOptions) -> Recordings:
    from nnlab.data.datasets import fsdd
    from nnlab.speech_files import stretch_frames

    loaded = fsdd.subset(speakers=config.speakers, takes=config.train_takes + config.test_takes).load()
    a = loaded.arrays
    waves = a["waves"]
    spectrograms = spectrograms_of(waves, config)
    aligned = np.stack([stretch_frames(s, config.aligned_frames) for s in spectrograms])
    # the padded target: the clip from its first sample, silence after it, cut at padded_frames
    samples = (config.padded_frames - 1) * config.stride
    padded = np.stack(spectrograms_of([np.pad(w[:samples], (0, max(0, samples - len(w)))) for w in waves],
                                      config))[:, :config.padded_frames]
    takes = a["takes"]
    split = {"train": np.flatnonzero(np.isin(takes, config.train_takes)),
             "test": np.flatnonzero(np.isin(takes, config.test_takes))}
    # speakers as the data names them, in the order of the config (the index the network learns)
    names = tuple(fsdd.SPEAKERS[i] for i in sorted(set(a["speakers"].tolist())))
    index = np.array([names.index(fsdd.SPEAKERS[s]) for s in a["speakers"]])
    root = Path(options.workdir) / SLUG
    return Recordings(waves, a["digits"], index, takes, names, aligned, padded,
                      np.array([len(w) / RATE for w in waves]), split, root / "models", root / "wav",
                      dataset=loaded.name, sha256=loaded.sha256)


# ---- the listener: a digit classifier trained on real recordings ---------------------------------

def listener_for(data: Recordings, config: Config, seed: int):
    """The audio-classes lesson's listener (nnlab/recipes/audio.py `fsdd_listener`): its CNN on log-mel,
    trained on real takes 10-49 of all six speakers, never on anything synthesised. Trained once per seed
    and saved beside the lesson's models; every variant that listens loads it."""
    from nnlab.recipes.audio import fsdd_listener

    folder = data.model_dir / f"listener-seed{seed}{'-quick' if config.listener_quick else ''}"
    if folder not in data.cache:
        data.cache[folder] = fsdd_listener(folder, seed=seed, quick=config.listener_quick)
    return data.cache[folder]


def heard(listener, waves, asked: np.ndarray, rate: int = RATE) -> tuple[float, np.ndarray]:
    """(share of clips heard as the digit asked for, the digits heard (N,))."""
    predicted = np.array([int(d) for d in listener.transcribe(list(waves), rate)])
    return float(np.mean(predicted == np.asarray(asked))), predicted


# ---- the experiment grid -------------------------------------------------------------------------

BASELINES = ("average-word", "class-average")
NETWORKS = {"decoder-aligned": True, "decoder-padded": False}


def grid(config: Config, data: Recordings) -> list[Variant]:
    variants = [Variant("listener", "cnn-log-mel", {"model": "listener"}),
                Variant("engines", "ready-engines", {"model": "engines", "voices": list(config.espeak_voices)}),
                Variant("vocoder", "real-through-griffin-lim", {"model": "vocoder"})]
    variants += [Variant("baseline", name, {"model": name}) for name in BASELINES]
    variants += [Variant("network", name, {"model": "decoder", "aligned": aligned}) for name, aligned in NETWORKS.items()]
    return variants


def train(variant: Variant, data: Recordings, config: Config, seed: int) -> Outcome:
    model = variant.params["model"]
    if model == "listener":
        return listener_outcome(data, config, seed)
    if model == "engines":
        return engines_outcome(data, config, seed)
    if model == "vocoder":
        return vocoder_outcome(data, config, seed)
    if model in BASELINES:
        return synthesis_outcome(variant.name, baseline_spectrograms(model, data, config), data, config, seed)
    return network_outcome(variant, data, config, seed)


def listener_outcome(data: Recordings, config: Config, seed: int) -> Outcome:
    """The listener itself: how well it recognises the real held-out recordings (the ceiling of every
    recognition figure below), and example real spectrograms for the report."""
    listener = listener_for(data, config, seed)
    test = data.split["test"]
    share, predicted = heard(listener, data.waves[test], data.digits[test])
    shown = real_examples(data, config)
    info = {"clips": int(len(test)), "listener_heldout_accuracy": listener.heldout_accuracy}
    return Outcome({"real": {"recognised": share}}, info=info,
                   artifacts={"real_true": data.digits[test].tolist(), "real_pred": predicted.tolist(),
                    "real_examples": shown})


def real_examples(data: Recordings, config: Config) -> dict:
    """For each digit, the first held-out take of the shown speaker: its name, wave and spectrogram."""
    speaker = data.speaker_names.index(config.shown_speaker) if config.shown_speaker in data.speaker_names else 0
    chosen = [next(i for i in data.split["test"] if data.digits[i] == digit and data.speakers[i] == speaker)
              for digit in range(10)]
    examples = {str(digit): {"wave": np.round(data.waves[i], 4).tolist(), "db": np.round(db, 1).tolist()}
                for digit, i, db in zip(range(10), chosen, spectrograms_of(data.waves[chosen], config))}
    return {"speaker": data.speaker_names[speaker], "digits": examples}


def engines_outcome(data: Recordings, config: Config, seed: int) -> Outcome:
    """Every engine says every sentence (a row each: available or why not, file, duration); espeak-ng
    also says each digit in each voice, and the listener transcribes those."""
    from nnlab.data.audio import read_wav, resample
    from nnlab.speech_engines import ENGINES, EngineUnavailable, duration_seconds, speak

    folder = data.wav_dir / "engines"
    rows, digit_waves, digit_asked, digit_files, missing_voices = [], [], [], [], {}
    for name, engine in ENGINES.items():
        for number, sentence in enumerate(config.sentences, 1):
            out = folder / f"{name}-sentence{number}{engine.suffix}"
            try:
                speak(name, sentence, out)
                rows.append({"engine": name, "offline": engine.offline, "available": "yes", "text": sentence,
                             "file": str(out.relative_to(data.wav_dir.parent)), "seconds": duration_seconds(out)})
            except EngineUnavailable as why:
                rows.append({"engine": name, "offline": engine.offline, "available": f"no: {why}",
                             "text": sentence, "file": None, "seconds": None})
                break
    metrics, artifacts = {}, {"rows": rows}
    if rows and next(r for r in rows if r["engine"] == "espeak-ng")["available"] == "yes":
        for voice in config.espeak_voices:
            for digit in range(10):
                out = folder / "digits" / f"{digit}-{voice}.wav"
                try:
                    speak("espeak-ng", str(digit), out, voice=voice)
                except EngineUnavailable as why:   # this espeak-ng build lacks the voice: the others still speak
                    missing_voices[voice] = str(why)
                    break
                rate, wave = read_wav(out)
                digit_waves.append(resample(wave, rate, RATE))
                digit_asked.append(digit)
                digit_files.append(str(out.relative_to(data.wav_dir.parent)))
    if digit_waves:
        share, predicted = heard(listener_for(data, config, seed), digit_waves, np.array(digit_asked))
        metrics["espeak-ng"] = {"recognised": share}
        artifacts.update(espeak_true=digit_asked, espeak_pred=predicted.tolist(), espeak_files=digit_files)
    return Outcome(metrics, info={"clips": len(digit_asked), "sound_root": str(data.wav_dir.parent),
                                  "missing_voices": missing_voices}, artifacts=artifacts)


def vocoder_outcome(data: Recordings, config: Config, seed: int) -> Outcome:
    """The real held-out recordings (the first held-out take of each digit and voice) turned into log-mel
    and back by the vocoder: what Griffin-Lim alone costs the listener."""
    vocoder = vocoder_of(config)
    first = min(config.test_takes)
    chosen = [i for i in data.split["test"] if data.takes[i] == first]
    waves, errors = zip(*(vocoder.waveform(db, seed) for db in spectrograms_of(data.waves[chosen], config)))
    listener = listener_for(data, config, seed)
    asked = data.digits[chosen]
    share, predicted = heard(listener, waves, asked)
    original, _ = heard(listener, data.waves[chosen], asked)
    return Outcome({"resynthesised": {"recognised": share, "griffin_lim_convergence": float(np.mean(errors))},
                    "original": {"recognised": original}},
                   info={"clips": len(chosen)},
                   artifacts={"resynthesised_true": asked.tolist(), "resynthesised_pred": predicted.tolist()})


# ---- synthesis: baselines and the network --------------------------------------------------------

def baseline_spectrograms(name: str, data: Recordings, config: Config) -> list[np.ndarray]:
    """"average-word": the mean aligned spectrogram of every training take, at the mean duration, for
    every request; "class-average": each (digit, speaker)'s own mean aligned spectrogram and mean duration."""
    from nnlab.speech_files import stretch_frames

    train = data.split["train"]
    per_second = RATE / config.stride
    out = []
    for digit, speaker in zip(*data.pairs()):
        chosen = train if name == "average-word" else train[(data.digits[train] == digit) & (data.speakers[train] == speaker)]
        frames = max(4, round(float(np.exp(np.log(data.seconds[chosen]).mean())) * per_second))
        out.append(stretch_frames(data.aligned[chosen].mean(axis=0), frames))
    return out


def network_outcome(variant: Variant, data: Recordings, config: Config, seed: int) -> Outcome:
    """Train the decoder on the training takes (the held-out takes give the curve, never a choice),
    save it for `nnlab say`, then synthesise every (digit, speaker) and listen."""
    import keras

    from keras_models.speech import build_spectrogram_decoder
    from keras_models.training import fit_model
    from nnlab.hashing import content_key
    from nnlab.runner import keyed_config
    from nnlab.speech_files import Synthesiser, save_synthesiser

    aligned = variant.params["aligned"]
    targets = data.aligned if aligned else data.padded
    train, test = data.split["train"], data.split["test"]
    mean, std = float(targets[train].mean()), float(targets[train].std())

    def inputs(index):
        return {"digit": data.digits[index].astype(np.int32), "speaker": data.speakers[index].astype(np.int32)}

    def outputs(index):
        return {"spectrogram": (targets[index] - mean) / std, "log_seconds": np.log(data.seconds[index])[:, None]}

    keras.utils.set_random_seed(seed)
    model = build_spectrogram_decoder(10, len(data.speaker_names), targets.shape[1], config.mel_bins)
    fitted = fit_model(model, inputs(train), outputs(train), inputs(test), outputs(test),
                       loss={"spectrogram": "mse", "log_seconds": "mse"}, metrics=[], monitor="val_loss",
                       optimizer="adam", learning_rate=config.learning_rate, epochs=config.epochs,
                       batch_size=config.batch_size, label=variant.name, log_every=max(1, config.epochs // 10),
                       jit_compile=False)
    synthesiser = Synthesiser(model, data.speaker_names, vocoder_of(config), targets.shape[1], aligned, mean, std)
    digest = content_key(params=variant.params, config=keyed_config(config), seed=seed, sha256=data.sha256)
    model_file = save_synthesiser(data.model_dir / f"{variant.name}-seed{seed}-{digest[:10]}", synthesiser)
    info = {"parameters": model.count_params(), "epochs_run": fitted.epochs_run,
            "seconds_per_epoch": fitted.seconds_per_epoch, "model_file": str(model_file)}
    return synthesis_outcome(variant.name, synthesiser.spectrograms(*data.pairs()), data, config, seed, info,
                             fitted.history)


def aligned_error(spectrograms: list[np.ndarray], data: Recordings, config: Config) -> float:
    """Root mean square dB difference between each request's spectrogram and every held-out take of that
    (digit, speaker), both on the normalised time axis: how far the synthesis is from unseen real takes."""
    from nnlab.speech_files import stretch_frames

    test = data.split["test"]
    squared = []
    for db, digit, speaker in zip(spectrograms, *data.pairs()):
        takes = test[(data.digits[test] == digit) & (data.speakers[test] == speaker)]
        squared += [np.mean((stretch_frames(db, config.aligned_frames) - data.aligned[i]) ** 2) for i in takes]
    return float(np.sqrt(np.mean(squared)))


def synthesis_outcome(name: str, spectrograms: list[np.ndarray], data: Recordings, config: Config, seed: int,
                      info: dict | None = None, history: dict | None = None) -> Outcome:
    """Spectrograms (one per (digit, speaker) of `data.pairs()`) → WAV files in the report folder → the
    listener: the share recognised as the digit asked for, the fit to held-out takes, the durations."""
    from nnlab.speech_files import write_wav

    vocoder = vocoder_of(config)
    digits, speakers = data.pairs()
    files, errors, seconds, waves = [], [], [], []
    for db, digit, speaker in zip(spectrograms, digits, speakers):
        wave, error = vocoder.waveform(db, seed)
        out = write_wav(data.wav_dir / name / f"{digit}-{data.speaker_names[speaker]}.wav", wave, RATE)
        files.append(str(out.relative_to(data.wav_dir.parent)))
        errors.append(error)
        seconds.append(len(wave) / RATE)
        waves.append(wave)
    share, predicted = heard(listener_for(data, config, seed), waves, digits)
    shown = data.speaker_names.index(config.shown_speaker) if config.shown_speaker in data.speaker_names else 0
    examples = {str(d): {"wave": np.round(waves[i], 4).tolist(), "db": np.round(spectrograms[i], 1).tolist()}
                for i, d in enumerate(digits) if speakers[i] == shown}
    metrics = {"synthesised": {"recognised": share, "griffin_lim_convergence": float(np.mean(errors)),
                               "seconds": float(np.mean(seconds))},
               "test": {"rmse_db": aligned_error(spectrograms, data, config)}}
    return Outcome(metrics, history or {}, {**(info or {}), "clips": len(files), "sound_root": str(data.wav_dir.parent)},
                   {"synthesised_true": digits.tolist(), "synthesised_pred": predicted.tolist(),
                    "synthesised_speakers": [data.speaker_names[s] for s in speakers], "files": files,
                    "examples": {"speaker": data.speaker_names[shown], "digits": examples}})


# ---- report --------------------------------------------------------------------------------------

SOURCES = {"listener": ("real held-out recordings", "real"),
           "vocoder": ("the same, through log-mel and Griffin-Lim", "resynthesised"),
           "engines": ("espeak-ng's digits", "espeak-ng")}


def synthesisers(view) -> list:
    return view.experiment("baseline") + view.experiment("network")


def best_network(view):
    """The network whose synthesised digits the listener recognised best: the one `nnlab say` uses."""
    return max(view.experiment("network"), key=lambda r: (r.metric("synthesised", "recognised"), -r.id), default=None)


def recognised(record, split: str) -> str:
    share, clips = record.metric(split, "recognised"), record.info.get("clips", 0)
    return f"{100 * share:.1f}% ({round(share * clips)} of {clips})"


def recognition_rows(view) -> list[dict]:
    rows = []
    for experiment, (what, split) in SOURCES.items():
        for r in view.experiment(experiment):
            if r.metric(split, "recognised", None) is not None:   # espeak-ng may not have run
                rows.append({"clips": what, "source": f"`{r.variant}`", "recognised as the digit asked for":
                             recognised(r, split)})
    for r in synthesisers(view):
        kind = "baseline" if r.experiment == "baseline" else "network"
        rows.append({"clips": f"synthesised ({kind}), every digit in every voice", "source": f"`{r.variant}`",
                     "recognised as the digit asked for": recognised(r, "synthesised")})
    return rows


def copy_sounds(view) -> None:
    """The sound files are written beside the workdir's report (`<workdir>/speech/wav`); a report compiled
    elsewhere (`nnlab report --out DIR`) gets copies, so its links play."""
    for r in view.records:
        root = Path(r.info.get("sound_root", view.out_dir))
        if root.resolve() == view.out_dir.resolve():
            continue
        names = (view.artifact(r, "files") or []) + (view.artifact(r, "espeak_files") or []) + [
            row["file"] for row in view.artifact(r, "rows") or [] if row["file"]]
        for name in names:
            if (root / name).is_file():
                (view.out_dir / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(root / name, view.out_dir / name)


def engines_section(view, record) -> list[str]:
    from nnlab.data.audio import resample
    from nnlab.speech_engines import ENGINES
    from reports import plots
    from reports.tables import markdown_table

    rows = view.artifact(record, "rows") or []
    table = [{"engine": r["engine"], "where it runs": "offline" if r["offline"] else "online (web service)",
              "available": r["available"], "text": r["text"],
              "file": f"[{Path(r['file']).name}]({r['file']})" if r["file"] else "–",
              "duration s": f"{r['seconds']:.2f}" if r["seconds"] is not None else "–"} for r in rows]
    parts = ["## (a) Ready engines\n\n"
             "Each engine says the same sentences into a file; an engine that cannot run here is listed with the "
             "reason and how to get it. " + "; ".join(f"`{n}`: {e.get_it}" for n, e in ENGINES.items())
             + ".\n\n" + markdown_table(table)]
    spoken = [r for r in rows if r["file"]]
    if spoken:
        from keras_models.audio import Features, log_mel

        sounds = []
        for r in spoken:
            rate, wave = read_sound(view.out_dir / r["file"])
            sounds.append((f"{r['engine']}: {r['text'][:48]}", wave, rate))
        rate = sounds[0][2]   # one engine's files share a rate; another engine's are shown at it
        resampled = [(name, resample(wave, own, rate)) for name, wave, own in sounds]
        waves = plots.waveform_panels(resampled, rate, view.figure("engine_waveforms.png"),
                                      title="What the engines wrote: the waveform of each sentence", columns=2)
        features = Features.for_rate(rate)
        spectra = plots.spectrogram_panels(
            [(name, log_mel(wave[None], features)[0]) for name, wave in resampled],
            view.figure("engine_spectrograms.png"), title=f"The same sentences as log-mel spectrograms ({rate} Hz)",
            seconds_per_frame=features.seconds_per_frame(), band_hz=features.band_hz(), columns=2)
        parts.append(view.image(waves, "engine waveforms") + "\n\n" + view.image(spectra, "engine spectrograms"))
    return parts


def read_sound(path: Path) -> tuple[int, np.ndarray]:
    """A WAV or MP3 file (libsndfile reads both) → (rate, float32 mono samples)."""
    import soundfile

    samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    return int(rate), samples.mean(axis=1)


def examples_section(view, listener, best) -> list[str]:
    from reports import plots

    real = view.artifact(listener, "real_examples") if listener else None
    synthetic = view.artifact(best, "examples")
    config = Config()
    features = features_of(config)
    seconds_per_frame = config.stride / RATE
    digits = sorted(synthetic["digits"], key=int)
    panels = []
    for d in digits:
        if real:
            panels.append((f"real '{d}' ({real['speaker']})", np.asarray(real["digits"][d]["db"]).T))
        panels.append((f"{best.variant} '{d}' ({synthetic['speaker']})", np.asarray(synthetic["digits"][d]["db"]).T))
    spectra = plots.spectrogram_panels(panels, view.figure("real_vs_synthesised_spectrograms.png"),
                                       title="Real held-out takes beside the network's synthesis of the same digit "
                                             "and voice (log-mel, dB)",
                                       seconds_per_frame=seconds_per_frame, band_hz=features.band_hz(), columns=4)
    wave_panels = []
    for d in digits[:5]:
        if real:
            wave_panels.append((f"real '{d}'", np.asarray(real["digits"][d]["wave"])))
        wave_panels.append((f"synthesised '{d}'", np.asarray(synthetic["digits"][d]["wave"])))
    waves = plots.waveform_panels(wave_panels, RATE, view.figure("real_vs_synthesised_waveforms.png"),
                                  title="Waveforms: real takes and the network's Griffin-Lim output", columns=4)
    files = view.artifact(best, "files")
    links = ", ".join(f"[{Path(f).stem}]({f})" for f in files)
    return [f"## (e) Real and synthesised digits, `{best.variant}`\n\n"
            + view.image(spectra, "real vs synthesised spectrograms") + "\n\n" + view.image(waves, "waveforms")
            + f"\n\nEvery synthesised clip (digit-speaker, 8 kHz WAV): {links}"]


def report_sections(view) -> list[str]:
    from reports import plots
    from reports.classification import confusion_section
    from reports.tables import markdown_table

    copy_sounds(view)
    sections = []
    engines = next(iter(view.experiment("engines")), None)
    if engines is not None:
        sections += engines_section(view, engines)
        if view.artifact(engines, "espeak_files"):
            missing = engines.info.get("missing_voices") or {}
            voices = [v for v in engines.params.get("voices", []) if v not in missing]
            sections.append("espeak-ng's digits, " + f"{engines.info['clips']} clips (every digit in the voices "
                            + ", ".join(voices) + "): " + recognised(engines, "espeak-ng")
                            + " heard as the digit asked for by the listener."
                            + "".join(f" Voice {v} is missing here: {why}" for v, why in missing.items()))
    info = view.data_info
    sections.append("## (b) The data and the spectrogram\n\n"
                    f"FSDD recordings of {', '.join(info['speakers'])}: {info['sizes']['train']} training takes, "
                    f"{info['sizes']['test']} held out; clips {info['seconds'][0]:.2f}-{info['seconds'][2]:.2f} s, "
                    f"mean {info['seconds'][1]:.2f} s. The generator's log-mel: 32 ms Hann windows every 8 ms, "
                    "64 mel bands; the listener's: the audio-classes features (25 ms every 10 ms, 40 bands) of the "
                    "clip centred in one second. The row *through Griffin-Lim* below is the vocoder alone: real "
                    "held-out clips turned into the generator's log-mel and back into sound.")
    models = synthesisers(view)
    if models:
        rows = [{"model": f"*{r.variant}*" if r.experiment == "baseline" else f"`{r.variant}`",
                 "recognised": recognised(r, "synthesised"),
                 "held-out dB RMSE": f"{r.metric('test', 'rmse_db'):.2f}",
                 "Griffin-Lim convergence": f"{r.metric('synthesised', 'griffin_lim_convergence'):.3f}",
                 "mean length s": f"{r.metric('synthesised', 'seconds'):.2f}",
                 "parameters": r.info.get("parameters", "–"), "epochs": r.info.get("epochs_run", "–"),
                 "wall s": f"{r.wall_seconds:.1f}"} for r in models]
        sections.append("## (c) The network against the baselines\n\n"
                        "Each model synthesises every digit in every voice; the clips are written as WAV files and "
                        "the listener transcribes them. *Held-out dB RMSE*: distance of each synthesised spectrogram "
                        "from the held-out real takes of the same digit and voice, on a normalised time axis. "
                        "*Griffin-Lim convergence*: ‖S − |STFT(x)|‖ / ‖S‖ after the last iteration (0: the sound "
                        "has exactly the asked magnitudes).\n\n" + markdown_table(rows))
    rows = recognition_rows(view)
    if rows:
        sections.append("## (d) What the listener heard\n\n" + markdown_table(rows))
    best = best_network(view)
    if best is not None:
        sections.append("### Confusion matrix of the synthesised digits, `" + best.variant + "`\n\n"
                        + confusion_section(view, best, [str(d) for d in range(10)], split="synthesised"))
        curves = {r.variant: {"loss": r.history.get("loss", []), "val_loss": r.history.get("val_loss", [])}
                  for r in view.experiment("network")}
        path = plots.learning_curves(curves, view.figure("curves_loss.png"), metric="loss",
                                     title="Decoder loss per epoch (standardised dB² + log-duration²; val = held-out takes)",
                                     ylabel="loss")
        sections.append("## Learning curves\n\n" + view.image(path, "decoder loss per epoch"))
        listener = next(iter(view.experiment("listener")), None)
        sections += examples_section(view, listener, best)
    return sections


def conclusions(view) -> list[str]:
    lines = []
    listener = next(iter(view.experiment("listener")), None)
    vocoder = next(iter(view.experiment("vocoder")), None)
    if listener is not None:
        lines.append(f"(d) The listener recognises {recognised(listener, 'real')} of the real held-out recordings: "
                     "the reference for every recognition figure here.")
    if vocoder is not None:
        drop = vocoder.metric("original", "recognised") - vocoder.metric("resynthesised", "recognised")
        effect = (f"the vocoder alone costs {100 * drop:.1f} points" if drop > 0 else
                  f"the vocoder alone costs nothing the listener hears ({100 * -drop:+.1f} points)")
        lines.append(f"(b) Through log-mel and Griffin-Lim, the same real clips are recognised "
                     f"{recognised(vocoder, 'resynthesised')} against {100 * vocoder.metric('original', 'recognised'):.1f}% "
                     f"as recorded: {effect}.")
    engines = next(iter(view.experiment("engines")), None)
    if engines is not None and engines.metric("espeak-ng", "recognised", None) is not None and listener is not None:
        gap = listener.metric("real", "recognised") - engines.metric("espeak-ng", "recognised")
        lines.append(f"(a) espeak-ng's digits are heard as asked {recognised(engines, 'espeak-ng')}, against "
                     f"{100 * listener.metric('real', 'recognised'):.1f}% for real held-out takes"
                     + (": a listener trained on six human voices is no judge of a voice unlike them, so it judges "
                        "the network only on the voices it learned." if gap > 0.2 else "."))
    models = {r.variant: r for r in synthesisers(view)}
    if models:
        ranked = sorted(models.values(), key=lambda r: -r.metric("synthesised", "recognised"))
        lines.append("(c) Synthesised digits recognised as asked: " + ", ".join(
            f"`{r.variant}` {100 * r.metric('synthesised', 'recognised'):.1f}%" for r in ranked) + ".")
    if "decoder-aligned" in models and "decoder-padded" in models:
        a, p = models["decoder-aligned"], models["decoder-padded"]
        # a clip more or less of 60 is what another seed could change: call two or fewer a tie
        clips = round((a.metric("synthesised", "recognised") - p.metric("synthesised", "recognised")) * a.info["clips"])
        better = None if abs(clips) <= 2 else ("aligned" if clips > 0 else "padded")
        lines.append(f"(c) Time axis: normalised {100 * a.metric('synthesised', 'recognised'):.1f}% vs real frames "
                     f"{100 * p.metric('synthesised', 'recognised'):.1f}% recognised, held-out dB RMSE "
                     f"{a.metric('test', 'rmse_db'):.2f} vs {p.metric('test', 'rmse_db'):.2f}"
                     + (f": the {better} target sounds more like the digit asked for." if better else
                        ": a tie (two clips or fewer apart)."))
    best = best_network(view)
    if best is not None and "class-average" in models:
        average = models["class-average"]
        lines.append(f"(c) The best network `{best.variant}` against the class averages it can at best reproduce: "
                     f"{100 * best.metric('synthesised', 'recognised'):.1f}% vs "
                     f"{100 * average.metric('synthesised', 'recognised'):.1f}% recognised, held-out dB RMSE "
                     f"{best.metric('test', 'rmse_db'):.2f} vs {average.metric('test', 'rmse_db'):.2f}.")
    lines += [verdict.sentence() for verdict in verdicts(view)]
    return lines


def verdicts(view) -> list:
    """The targets (COURSE.md): ≥ 90% of the network's synthesised digits recognised as the digit asked (the
    headline, on `Config.headline`), and a playable file from every available engine (an engine that cannot
    run here, gTTS offline, is not judged). Each is left out when its records are missing (--only)."""
    return [verdict for verdict in (recognition_verdict(view), engines_verdict(view)) if verdict is not None]


def recognition_verdict(view):
    """`value`: the share of the headline network's synthesised digits the listener heard as asked."""
    from reports.conclusions import Verdict

    name = view.setting("headline", Config.headline)
    network = next((r for r in view.experiment("network") if r.variant == name), None)
    if network is None:
        return None
    share = network.metric("synthesised", "recognised")
    return Verdict(f"≥ {100 * TARGET_RECOGNISED:.0f}% of the network's synthesised digits recognised as asked",
                   share, f"{recognised(network, 'synthesised')}, `{network.variant}`, fixed before the run",
                   share >= TARGET_RECOGNISED, full_run=not view.quick, percent=True)


def engines_verdict(view):
    """`value`: the share of the available engines whose every file has a readable, non-empty duration."""
    from reports.conclusions import Verdict

    record = next(iter(view.experiment("engines")), None)
    rows = (view.artifact(record, "rows") or []) if record is not None else []
    available = sorted({r["engine"] for r in rows if r["file"]})
    if not available:
        return None
    playable = [e for e in available if all(r["seconds"] and r["seconds"] > 0 for r in rows if r["engine"] == e)]
    unavailable = sorted({r["engine"] for r in rows} - set(available))
    shown = (f"{len(playable)} of {len(available)} available: "
             + ", ".join(f"{e} {'playable' if e in playable else 'NOT playable'}" for e in available)
             + (f"; not judged, unavailable here: {', '.join(unavailable)}" if unavailable else ""))
    return Verdict("a playable file from every available engine", len(playable) / len(available), shown,
                   playable == available, full_run=not view.quick, percent=True)
