"""Lesson 20 `audio-classes`: reading WAV files, the FSDD data module, clip folders, the lesson's run."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

from nnlab.data.audio import fit_length, group_split, read_clip_folder, read_wav, resample, windows
from nnlab.data.datasets import fsdd
from nnlab.data.fetch import sha256_of
from nnlab.data.spec import folder
from nnlab.errors import DataError, UserError
from tests.conftest import cli_env, linked_pngs_open, run_cli, table_after


def tone(seconds: float, rate: int, hz: float, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def write_pcm16(path: Path, wave: np.ndarray, rate: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    wavfile.write(path, rate, np.round(wave * 32767).astype(np.int16))
    return path


# --- reading sound -------------------------------------------------------------------------------------

def test_wav_files_of_every_sample_type_read_as_mono_floats(tmp_path):
    wave = tone(0.1, 8000, 440.0)
    rate, back = read_wav(write_pcm16(tmp_path / "a.wav", wave, 8000))
    assert rate == 8000 and back.dtype == np.float32 and np.abs(back - wave).max() < 1e-4
    wavfile.write(tmp_path / "u8.wav", 8000, np.round(wave * 127 + 128).astype(np.uint8))
    assert np.abs(read_wav(tmp_path / "u8.wav")[1] - wave).max() < 1e-2
    wavfile.write(tmp_path / "stereo.wav", 16000, np.stack([wave, -wave / 2], axis=1))  # float32, 2 channels
    rate, mono = read_wav(tmp_path / "stereo.wav")
    assert rate == 16000 and mono.shape == wave.shape and np.abs(mono - wave / 4).max() < 1e-6
    (tmp_path / "bad.wav").write_bytes(b"not a wav at all")
    with pytest.raises(DataError, match=r"bad.wav is not a readable WAV file .* Fix: convert it"):
        read_wav(tmp_path / "bad.wav")


def test_fit_length_centres_pads_crops_and_shifts():
    np.testing.assert_array_equal(fit_length(np.array([1, 2], np.float32), 6), [0, 0, 1, 2, 0, 0])
    np.testing.assert_array_equal(fit_length(np.arange(1, 7, dtype=np.float32), 2), [3, 4])
    np.testing.assert_array_equal(fit_length(np.array([1, 2], np.float32), 6, offset=3), [0, 0, 0, 0, 0, 1])
    np.testing.assert_array_equal(fit_length(np.array([1, 2], np.float32), 4, offset=-9), [0, 0, 0, 0])


def test_windows_resample_and_group_split():
    cut = windows(np.arange(10, dtype=np.float32), 4, 3)
    np.testing.assert_array_equal(cut, [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]])
    assert windows(np.ones(2, np.float32), 4, 3).shape == (1, 4)
    slow = resample(tone(1.0, 16000, 300.0), 16000, 8000)
    assert len(slow) == 8000 and np.abs(np.fft.rfft(slow)).argmax() == 300  # 1 Hz bins over 1 s
    labels = np.repeat([0, 1], 12)
    groups = np.repeat(np.arange(8), 3)  # 8 recordings of 3 windows each
    rest, held = group_split(labels, groups, 4, 0, seed=0)
    assert set(groups[rest]).isdisjoint(groups[held]) and len(rest) + len(held) == 24
    assert set(labels[held]) == {0, 1}


# --- the FSDD data module ------------------------------------------------------------------------------

def test_shipped_hash_list_covers_every_recording():
    hashes = fsdd.recording_hashes()
    assert len(hashes) == 3000 and all(len(h) == 64 for h in hashes.values())
    parts = [fsdd.name_parts(name) for name in hashes]
    assert {p[1] for p in parts} == set(fsdd.SPEAKERS) and {p[0] for p in parts} == set(range(10))
    assert {p[2] for p in parts} == set(range(fsdd.TAKES))
    assert fsdd.SPEC.files["7_theo_12.wav"].origin == fsdd.ORIGIN + "7_theo_12.wav"
    assert fsdd.COMMIT in fsdd.ORIGIN and fsdd.SPEC.files["7_theo_12.wav"].cache_subdir == "datasets/fsdd/recordings"
    small = fsdd.subset(speakers=["theo", "george"], takes=range(3), digits=[1, 2])
    assert len(small.files) == 12 and small.sha256 != fsdd.SPEC.sha256
    with pytest.raises(UserError, match="no FSDD speaker named bob. Expected one of george"):
        fsdd.subset(speakers=["bob"])


def test_the_loader_verifies_and_parses_recordings(tmp_path, monkeypatch):
    root = tmp_path / "data"
    names = ["3_theo_0.wav", "1_george_7.wav"]
    for i, name in enumerate(names):
        write_pcm16(root / "datasets/fsdd/recordings" / name, tone(0.2 + 0.1 * i, 8000, 300.0 + 100 * i), 8000)
    monkeypatch.setenv("NNLAB_DATA_DIR", str(root))
    monkeypatch.setenv("NNLAB_OFFLINE", "1")
    hashes = {name: sha256_of(root / "datasets/fsdd/recordings" / name) for name in names}
    spec = replace(fsdd.SPEC, files=folder(fsdd.ORIGIN, "datasets/fsdd/recordings", hashes))
    arrays = spec.load().arrays
    assert list(arrays["names"]) == ["1_george_7.wav", "3_theo_0.wav"]  # speaker order, then digit, take
    assert list(arrays["digits"]) == [1, 3] and list(arrays["takes"]) == [7, 0]
    assert [fsdd.SPEAKERS[s] for s in arrays["speakers"]] == ["george", "theo"]
    assert [len(w) for w in arrays["waves"]] == [2400, 1600]
    with open(root / "datasets/fsdd/recordings/3_theo_0.wav", "ab") as handle:
        handle.write(b"\x00\x00")  # one more sample: another file
    with pytest.raises(DataError, match="3_theo_0.wav is corrupt"):
        spec.load()
    with pytest.raises(DataError, match="9_lucas_3.wav not found .* NNLAB_OFFLINE forbids downloading"):
        fsdd.subset(speakers=["lucas"], takes=[3], digits=[9]).load() if not _real_fsdd_there(root) else None


def _real_fsdd_there(root: Path) -> bool:
    return (root / "datasets/fsdd/recordings/9_lucas_3.wav").exists()


# --- a folder of <class>/<clip>.wav -------------------------------------------------------------------

def write_clip_folder(root: Path) -> Path:
    """Two classes (low, high), three recordings each at 16 kHz, 0.35-0.6 s long."""
    for label, hz in (("low", 200.0), ("high", 1200.0)):
        for i in range(3):
            write_pcm16(root / label / f"rec{i}.wav", tone(0.35 + 0.125 * i, 16000, hz * (1 + 0.05 * i)), 16000)
    return root


def test_clip_folder_becomes_windows_labelled_by_folder(tmp_path):
    clips = read_clip_folder(write_clip_folder(tmp_path / "birds"), rate=8000, length=2000, hop=1000)
    assert clips.class_names == ("high", "low") and clips.rate == 8000
    assert clips.waves.shape[1] == 2000 and len(clips.waves) == len(clips.labels) == len(clips.recordings)
    assert clips.recording_names[clips.recordings[0]] == "high/rec0.wav"
    assert np.bincount(clips.recordings).tolist() == [1, 2, 3, 1, 2, 3]  # 2,800 samples → 1 window, 4,800 → 3
    assert set(clips.labels[clips.recordings == 3]) == {1}


@pytest.mark.parametrize("damage, message", [
    (lambda root: None, "is not a folder"),
    (lambda root: write_pcm16(root / "only" / "a.wav", tone(0.1, 8000, 300.0), 8000), "found 1 class folder"),
    (lambda root: write_clip_folder(root) and (root / "low" / "notes.mp3").write_bytes(b"ID3"),
     "notes.mp3 is not a .wav file. Fix: convert it"),
    (lambda root: write_clip_folder(root) and (root / "low" / "broken.wav").write_bytes(b"RIFF"),
     "broken.wav is not a readable WAV file"),
    (lambda root: write_clip_folder(root) and write_pcm16(root / "high" / "empty.wav", np.zeros(0, np.float32), 8000),
     "empty.wav holds no samples. Fix: remove it"),
])
def test_bad_clip_folders_are_refused_in_one_line(tmp_path, damage, message):
    root = tmp_path / "clips"
    if damage(root) is None and message == "is not a folder":
        root = tmp_path / "missing"
    with pytest.raises(UserError, match=message) as error:
        read_clip_folder(root, rate=8000, length=800, hop=400)
    assert "\n" not in str(error.value)


# --- features, normalisation, augmentation, the listener ------------------------------------------------

def test_normalisers_standardise_by_dataset_or_by_clip():
    from keras_models.audio import Normaliser

    rng = np.random.default_rng(0)
    x = (rng.normal(size=(20, 4, 9)) * np.array([1, 5, 10, 20])[None, :, None] + 3).astype(np.float32)
    by_dataset = Normaliser.fit(x, "dataset")(x)
    np.testing.assert_allclose(by_dataset.mean(axis=(0, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(by_dataset.std(axis=(0, 2)), 1, atol=1e-3)
    louder = Normaliser.fit(x, "clip")(x + 40.0)  # a clip 40 dB louder: per-clip normalisation does not see it
    np.testing.assert_allclose(louder, Normaliser.fit(x, "clip")(x), atol=1e-4)
    np.testing.assert_allclose(louder.mean(axis=2), 0, atol=1e-5)
    with pytest.raises(ValueError, match="Expected a normalisation among"):
        Normaliser.fit(x, "batch")


def test_spec_augment_masks_bands_in_training_only():
    from keras_models.audio import SpecAugment

    x = np.ones((8, 20, 30, 1), np.float32)
    layer = SpecAugment(freq_masks=1, freq_width=4, time_masks=1, time_width=5, seed=3)
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    masked = np.asarray(layer(x, training=True))[..., 0]
    zero_bins = (masked == 0).all(axis=2).sum(axis=1)    # mel bins masked across all frames
    zero_frames = (masked == 0).all(axis=1).sum(axis=1)  # frames masked across all bins
    assert set(np.unique(masked)) <= {0.0, 1.0} and zero_bins.max() <= 4 and zero_frames.max() <= 5
    assert (masked == 0).any()


def test_frequency_warp_moves_formants_by_the_factor_in_hz_and_passes_through_at_inference():
    from keras_models.audio import Features, FrequencyWarp

    centres = Features().band_hz()
    layer = FrequencyWarp(centres, max_warp=0.1, seed=0)
    x = np.random.default_rng(0).normal(size=(4, len(centres), 7, 1)).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    np.testing.assert_allclose(np.asarray(FrequencyWarp(centres, max_warp=0.0)(x, training=True)), x, atol=1e-3)
    # band i reads the frequency f_i / α: in Hz, through the mel spacing of the bands
    alpha = np.array([[0.9], [1.0], [1.1]], np.float32)
    source = np.asarray(layer.source_index(alpha))
    np.testing.assert_allclose(source[1], np.arange(len(centres)), atol=1e-4)
    read_hz = np.interp(source, np.arange(len(centres)), centres)
    inside = (source > 0) & (source < len(centres) - 1)
    mel = lambda f: 1127.0 * np.log1p(f / 700.0)  # noqa: E731  (linear in mel between band centres)
    read_mel = np.interp(source, np.arange(len(centres)), mel(centres))
    np.testing.assert_allclose(read_mel[inside], mel(centres / alpha)[inside], rtol=1e-4)
    assert (read_hz[2, 1:] < centres[1:]).all() and (read_hz[0, :-1] > centres[:-1]).all()
    # in training every band is a mix of two neighbouring bands of its own clip
    warped = np.asarray(FrequencyWarp(centres, max_warp=0.2, seed=1)(x, training=True))
    assert warped.shape == x.shape and not np.allclose(warped, x)
    assert (warped.min(axis=1) >= x.min(axis=1) - 1e-5).all() and (warped.max(axis=1) <= x.max(axis=1) + 1e-5).all()


def test_shifted_noisy_copies_and_mfcc_statistics():
    from keras_models.audio import mfcc_statistics
    from nnlab.recipes.audio import shifted_noisy_copies

    raw = np.empty(2, dtype=object)
    raw[:] = [tone(0.1, 8000, 400.0), tone(0.2, 8000, 800.0)]
    copies = shifted_noisy_copies(raw, 4000, 3, 400, (20.0, 20.0), np.random.default_rng(0))
    assert copies.shape == (6, 4000)
    noise = copies[0] - fit_length(raw[0], 4000, 0)  # at least the edges hold noise only
    edge = np.sqrt(np.mean(noise[:1000] ** 2))
    assert 0.5 * 0.1 * 0.5 / np.sqrt(2) < edge < 2 * 0.1 * 0.5 / np.sqrt(2)  # 20 dB under the tone's RMS
    coefficients = np.random.default_rng(1).normal(size=(2, 13, 12)).astype(np.float32)
    stats = mfcc_statistics(coefficients, segments=3)
    assert stats.shape == (2, 13 * 4)
    np.testing.assert_allclose(stats[0, :13], coefficients[0, :, :4].mean(axis=1), atol=1e-6)
    np.testing.assert_allclose(stats[0, 39:], coefficients[0].std(axis=1), atol=1e-6)


def test_listener_trains_saves_loads_and_transcribes_at_any_rate(tmp_path):
    from keras_models.audio import Features
    from nnlab.data.audio import fit_all
    from nnlab.recipes.audio import Listener, NetworkSettings, train_listener

    rng = np.random.default_rng(0)
    pitches = {"low": 300.0, "high": 1500.0}
    waves, labels = [], []
    for k, hz in enumerate(pitches.values()):
        for _ in range(24):
            waves.append(tone(rng.uniform(0.2, 0.4), 8000, hz * rng.uniform(0.95, 1.05)))
            labels.append(k)
    order = rng.permutation(len(waves))
    x, y = fit_all([waves[i] for i in order], 4000), np.array(labels)[order]
    settings = NetworkSettings(cnn_filters=(4,), epochs=8, batch_size=8, patience=0, dropout=0.0)
    listener = train_listener(x, y, tuple(pitches), np.arange(32), np.arange(32, 40), np.arange(40, 48),
                              features=Features(), samples=4000, settings=settings, normalisation="clip", seed=0)
    assert listener.heldout_accuracy >= 0.9
    back = Listener.load(listener.save(tmp_path / "listener"))
    clips = [tone(0.3, 16000, 300.0), tone(0.3, 16000, 1500.0)]  # another rate: resampled to 8 kHz
    np.testing.assert_allclose(back.probabilities(clips, 16000), listener.probabilities(clips, 16000), atol=1e-5)
    assert back.transcribe(clips, 16000) == ["low", "high"] and back.heldout_accuracy == listener.heldout_accuracy
    with pytest.raises(UserError, match="no trained listener in .*`nnlab run audio-classes`"):
        Listener.load(tmp_path / "nothing")


def test_one_cycle_training_runs_every_epoch_and_ends_on_a_near_zero_rate():
    from keras_models.audio import Normaliser
    from nnlab.recipes.audio import NetworkSettings, fit_network

    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 16)
    x = rng.normal(size=(32, 8, 12)).astype(np.float32) + 2.0 * y[:, None, None]   # the classes differ in level
    settings = NetworkSettings(cnn_filters=(4,), epochs=6, batch_size=8, patience=1, dropout=0.0)
    schedule = {"peak_rate": 1e-2, "warmup_epochs": 2}
    model, fitted = fit_network(settings, Normaliser("dataset", np.zeros(8, np.float32), np.ones(8, np.float32)),
                                x, y, x[:8], y[:8], 2, label="t", seed=0, one_cycle=schedule)
    assert fitted.epochs_run == 6 and len(fitted.history["val_accuracy"]) == 6   # no early stopping
    rate = model.optimizer.learning_rate
    assert float(rate) < 1e-2 * 0.05   # the cosine has brought the rate down near 0 by the last step
    assert fitted.history["accuracy"][-1] >= 0.9


# --- the lesson -------------------------------------------------------------------------------------------

def test_lesson_runs_on_a_folder_of_clips_with_recordings_kept_whole(tmp_path):
    from lessons import audio_classes as lesson
    from nnlab.runner import RunOptions, run_lesson

    root = tmp_path / "birds"
    rng = np.random.default_rng(0)
    for label, hz in (("low", 300.0), ("high", 1500.0), ("mid", 800.0)):
        for i in range(3):
            write_pcm16(root / label / f"rec{i}.wav", tone(rng.uniform(1.2, 2.0), 16000, hz), 16000)
    options = RunOptions(workdir=tmp_path / "runs", quick=True, data=str(root),
                         only=("data", "baseline", "cnn-log-mel-dataset-norm+shift-noise+specaugment"))
    data = lesson.load_data(lesson.make_config(options), options)
    split = data.splits["recording"]
    assert {tuple(sorted(set(data.groups[split[s]]))) for s in split}.__len__() == 3
    assert not set(data.groups[split["test"]]) & set(data.groups[split["train"]])
    assert data.speakers is None and data.class_names == ("high", "low", "mid")
    summary = run_lesson(lesson, options)
    report = summary.report.read_text(encoding="utf-8")
    assert "folder birds" in report and "## (c) Features" in report and "(e) A voice never heard" not in report
    assert "*mfcc-stats-logreg*" in report and "`cnn-log-mel-dataset-norm+shift-noise+specaugment`" in report


def test_voice_split_validates_on_a_second_voice_that_never_trains():
    from lessons.audio_classes import Config, folds, take_splits

    speakers = np.repeat(np.arange(3), 10)
    takes = np.tile(np.arange(10), 3)
    names = ("ann", "bob", "cy")
    splits = take_splits(takes, speakers, Config(val_takes=(6,), stop_takes=(5,), held_out=("bob", "cy")), names)
    take = splits["take"]   # early stopping watches take 5; take 6 scores and chooses; takes 0-4 test
    assert set(takes[take["stop"]]) == {5} and set(takes[take["val"]]) == {6} and set(takes[take["test"]]) == set(range(5))
    assert set(takes[take["train"]]) == {7, 8, 9} and len(np.concatenate(list(take.values()))) == 30
    assert splits["voice:bob"]["val"].tolist() == list(range(20, 30))       # cy, every take
    assert set(speakers[splits["voice:bob"]["train"]]) == {0} and len(splits["voice:bob"]["train"]) == 10
    assert set(speakers[splits["voice:cy"]["val"]]) == {0}                   # the list wraps round to ann
    assert set(speakers[splits["speaker:bob"]["val"]]) == {0, 2}             # the takes split: known voices
    assert set(takes[splits["speaker:bob"]["val"]]) == {5, 6}                # their stop and validation takes

    class Data:
        pass
    data = Data()
    data.splits = splits
    assert [name for name, _ in folds(data, "speaker", "voice")] == ["bob", "cy"]
    assert folds(data, "speaker")[0][1] is splits["speaker:bob"]


def test_bad_data_folder_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run_cli(["run", "audio-classes", "--quick", "--data", str(tmp_path / "empty"),
                      "--workdir", str(tmp_path / "runs")], cli_env(tmp_path))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "found 0 class folders" in result.stderr and "<class>/<clip>.wav" in result.stderr


def test_lesson_runs_quick_on_fsdd(tmp_path):
    try:
        fsdd.subset(takes=range(10)).load()
    except DataError as error:
        pytest.skip(f"the FSDD recordings are not available here: {error}")
    workdir = tmp_path / "runs"
    result = run_cli(["run", "audio-classes", "--quick", "--workdir", str(workdir)], cli_env(tmp_path), timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report_path = workdir / "audio-classes" / "report.md"
    report = report_path.read_text(encoding="utf-8")
    rows = table_after(report, "## (c) Features")
    names = [row[0] for row in rows[1:]]
    assert names == ["*majority*", "*mfcc-stats-logreg*", "`dense-waveform-dataset-norm`", "`dense-mfcc-dataset-norm`",
                     "`dense-log-mel-dataset-norm`", "`cnn-log-mel-dataset-norm`"]
    assert rows[1][-4] == "10.00%"  # the majority class of a balanced set
    voices = table_after(report, "## (e) A voice never heard")
    assert voices[0][1:3] == ["training", "test: theo"] and len(voices) == 1 + 5  # majority, peer, dense, two CNNs
    assert voices[-1][1] == "rate 0.001, 2 epochs"   # --quick: no early stopping
    tuned = table_after(report, "## (d) Normalisation and augmentation")
    cycled = [row for row in tuned if row[0] == "`cnn-log-mel-clip-norm+shift-noise+specaugment+vtlp+one-cycle`"]
    assert len(cycled) == 1 and cycled[0][tuned[0].index("training")] == "one-cycle to 0.003, 2 epochs"
    ensemble = [row for row in tuned if row[0] == "`cnn-log-mel-clip-norm+shift-noise+specaugment+one-cycle+ensemble-2`"]
    assert len(ensemble) == 1 and ensemble[0][tuned[0].index("training")] == "one-cycle to 0.003, 2 epochs"
    assert int(ensemble[0][tuned[0].index("parameters")].replace(",", "")) == 2 * int(
        cycled[0][tuned[0].index("parameters")].replace(",", ""))   # VTLP has no weights
    assert rows[0][5:8] == ["train acc", "stop acc", "val acc"]   # early stopping's takes apart from the choosing ones
    assert {row[voices[0].index("validated on")] for row in voices[1:]} == {"a second new voice"}
    assert voices[-1][0] == "`cnn-log-mel-clip-norm+shift-noise+specaugment+vtlp-by-speaker`"
    assert "## (f) Who is speaking" in report and "## Conclusions" in report and "The gap for" in report
    assert "Target (CNN on log-mel, take-split test accuracy ≥ 99.00%) applies to a full run" in report
    assert "CNN on log-mel, take-split test accuracy ≥ 99.00%" in (workdir / "index.md").read_text(encoding="utf-8")
    assert {"waveforms.png", "spectrograms.png", "durations.png", "confusion_features.png",
            "confusion_new-voice.png", "confusion_speaker-id.png"} <= set(linked_pngs_open(report_path))
