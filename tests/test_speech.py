"""speech: the ready engines (espeak-ng writes a playable WAV; gTTS without a network is one line), Griffin-Lim
(ISTFT inverts STFT; the error falls with iterations), mel → linear inversion against SciPy's NNLS, and
`nnlab say`."""
from __future__ import annotations

import shutil
import wave

import numpy as np
import pytest
import tensorflow as tf

from nnlab.errors import UserError
from nnlab.speech_engines import EngineUnavailable, duration_seconds, speak, why_unavailable
from tests.conftest import cli_env, run_cli
from tf_raw.griffin_lim import Framing, griffin_lim, mel_to_linear, spectral_convergence

RATE = 8000
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed (apt-get install espeak-ng)")


def vowel(seconds: float = 0.5, rate: int = RATE) -> np.ndarray:
    """A voiced sound made here: harmonics of a pitch gliding 140 → 110 Hz, under a rise-and-fall envelope."""
    t = np.arange(int(seconds * rate)) / rate
    phase = 2 * np.pi * np.cumsum(140 - 60 * t) / rate
    harmonics = sum(np.sin(k * phase) / k * np.exp(-((k * 125 - 700) / 900) ** 2) for k in range(1, 25))
    return (np.sin(np.pi * t / seconds) ** 2 * harmonics).astype(np.float32)


# ---- Griffin-Lim and mel inversion ---------------------------------------------------------------

def test_istft_inverts_stft_where_frames_overlap_fully():
    framing = Framing()
    x = vowel()
    back = framing.istft(framing.stft(tf.constant(x))).numpy()
    edge = framing.frame_length   # the first and last frame have no full overlap-add
    np.testing.assert_allclose(back[edge:-edge], x[edge:len(back) - edge], atol=1e-5)


def test_griffin_lim_error_falls_with_iterations():
    framing = Framing()
    target = framing.magnitude(vowel())
    _, classical = griffin_lim(target, framing, iterations=40, momentum=0.0, seed=1)
    # the classical algorithm's spectral convergence never rises (up to float32 rounding)
    assert np.all(np.diff(classical) <= 1e-5), classical
    assert classical[-1] < classical[0] / 2
    waveform, fast = griffin_lim(target, framing, iterations=40, momentum=0.99, seed=1)
    assert fast[-1] < classical[-1]          # momentum gets further in as many iterations
    assert spectral_convergence(tf.constant(target), framing.stft(tf.constant(waveform))) < 0.25
    assert len(waveform) == framing.samples(len(target))


def test_griffin_lim_checks_the_bins():
    with pytest.raises(ValueError, match="129 frequency bins"):
        griffin_lim(np.ones((5, 100)), Framing())


def test_mel_to_linear_fits_as_well_as_scipy_nnls():
    from scipy.optimize import nnls

    framing = Framing()
    power = framing.magnitude(vowel()) ** 2
    filterbank = tf.signal.linear_to_mel_weight_matrix(40, framing.bins, RATE, 50.0, RATE / 2).numpy()
    mel = power @ filterbank
    linear = mel_to_linear(mel, filterbank)
    assert linear.shape == power.shape and linear.min() >= 0
    ours = np.linalg.norm(linear @ filterbank - mel, axis=1)
    theirs = np.array([nnls(filterbank.T.astype(np.float64), m.astype(np.float64))[1] for m in mel])
    scale = np.linalg.norm(mel, axis=1)
    # both fit every frame's mel energies to within 0.1% of their size
    assert np.all(theirs <= 1e-3 * scale + 1e-12) and np.all(ours <= 1e-3 * scale + 1e-12)
    # and the inverted magnitude sounds like the vowel again after Griffin-Lim
    _, errors = griffin_lim(np.sqrt(linear), framing, iterations=30)
    assert errors[-1] < 0.3


# ---- ready engines -------------------------------------------------------------------------------

@needs_espeak
def test_espeak_ng_writes_a_playable_wav(tmp_path):
    out = speak("espeak-ng", "seven", tmp_path / "seven.wav")
    with wave.open(str(out)) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2 and w.getframerate() > 8000
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    assert 0.2 < duration_seconds(out) < 2.0 and np.abs(samples).max() > 1000   # not silence


def test_an_engine_that_cannot_run_says_why_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("NNLAB_OFFLINE", "1")
    with pytest.raises(EngineUnavailable, match="NNLAB_OFFLINE") as offline:
        speak("gtts", "seven", tmp_path / "seven.mp3")
    monkeypatch.setenv("PATH", str(tmp_path))      # no espeak-ng on this PATH
    missing = why_unavailable("espeak-ng")
    assert "apt-get install espeak-ng" in missing
    assert "\n" not in str(offline.value) + missing
    with pytest.raises(UserError, match="one of espeak-ng, gtts"):
        why_unavailable("festival")


@needs_espeak
def test_say_writes_a_file_and_bad_requests_are_one_line(tmp_path):
    env = cli_env(tmp_path, NNLAB_OFFLINE="1")
    out = tmp_path / "hello.wav"
    said = run_cli(["say", "Hello, world.", "--out", str(out), "--workdir", str(tmp_path)], env)
    assert said.returncode == 0, said.stderr
    assert str(out) in said.stdout and duration_seconds(out) > 0.3
    for args, fix in ((["say", "hi", "--engine", "gtts"], "NNLAB_OFFLINE"),
                      (["say", "hi", "--out", str(tmp_path / "hi.mp3")], "writes a .wav file"),
                      (["say"], "either TEXT or --digit"),
                      (["say", "--digit", "7"], "nnlab run speech"),
                      (["say", "--digit", "12"], "digit from 0 to 9")):
        result = run_cli(args + ["--workdir", str(tmp_path / "runs")], env)
        assert result.returncode == 2 and result.stderr.count("\n") == 1 and fix in result.stderr, (args, result.stderr)


# ---- the network, its files, the lesson ----------------------------------------------------------

def test_stretch_frames_moves_time_in_proportion_worked_by_hand():
    from nnlab.speech_files import stretch_frames

    db = np.array([[0.0, 10.0], [2.0, 20.0], [4.0, 30.0]])
    np.testing.assert_allclose(stretch_frames(db, 5), [[0, 10], [1, 15], [2, 20], [3, 25], [4, 30]])
    np.testing.assert_allclose(stretch_frames(db, 2), [[0, 10], [4, 30]])   # the ends stay


def test_decoder_shapes_and_the_saved_synthesiser_speaks_the_same(tmp_path):
    import keras
    import soundfile

    from keras_models.speech import build_spectrogram_decoder
    from nnlab.speech_files import Synthesiser, Vocoder, load_synthesiser, save_synthesiser

    keras.utils.set_random_seed(0)
    model = build_spectrogram_decoder(10, 2, 8, 16, width=12, channels=4)
    out = model({"digit": np.array([3, 7]), "speaker": np.array([0, 1])})
    assert tuple(out["spectrogram"].shape) == (2, 8, 16) and tuple(out["log_seconds"].shape) == (2, 1)
    with pytest.raises(ValueError, match="divisible by 4"):
        build_spectrogram_decoder(10, 2, 10, 16)
    vocoder = Vocoder(mel_bins=16, iterations=4)
    synthesiser = Synthesiser(model, ("george", "theo"), vocoder, 8, True, -40.0, 10.0)
    loaded = load_synthesiser(save_synthesiser(tmp_path / "m" / "tiny", synthesiser))
    first, again = synthesiser.spectrograms([3], [1])[0], loaded.spectrograms([3], [1])[0]
    np.testing.assert_allclose(first, again, atol=1e-5)
    seconds = loaded.write(3, "theo", tmp_path / "three.wav")
    info = soundfile.info(str(tmp_path / "three.wav"))
    assert info.samplerate == RATE and info.duration == pytest.approx(seconds)
    assert loaded.speaker_name(None) == "george"
    with pytest.raises(UserError, match="one of george, theo"):
        loaded.speaker_name("bob")


def test_lesson_runs_quick_and_say_speaks_a_digit(tmp_path):
    from nnlab.data.datasets import fsdd
    from nnlab.errors import DataError
    from tests.conftest import linked_pngs_open, table_after

    try:
        fsdd.subset(speakers=["theo"], takes=[0], digits=[0]).load()
    except DataError as error:
        pytest.skip(f"the FSDD recordings are not available here: {error}")
    workdir = tmp_path / "runs"
    env = cli_env(tmp_path, NNLAB_OFFLINE="1")
    result = run_cli(["run", "speech", "--quick", "--workdir", str(workdir)], env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report_path = workdir / "speech" / "report.md"
    report = report_path.read_text(encoding="utf-8")
    engines = table_after(report, "## (a) Ready engines")
    gtts = next(row for row in engines if row[0] == "gtts")
    assert gtts[2].startswith("no: gTTS needs the network") and gtts[4] == "–"
    heard = [row[1] for row in table_after(report, "## (d) What the listener heard")[1:]]
    assert {"`cnn-log-mel`", "`real-through-griffin-lim`", "`average-word`", "`class-average`",
            "`decoder-aligned`", "`decoder-padded`"} <= set(heard)
    assert {"confusion_network.png", "real_vs_synthesised_spectrograms.png", "curves_loss.png"} <= set(
        linked_pngs_open(report_path))
    clips = sorted((workdir / "speech" / "wav" / "decoder-aligned").glob("*.wav"))
    assert len(clips) == 20 and all(duration_seconds(c) > 0.05 for c in clips)
    assert "applies to a full run; this quick run:" in report
    assert "not judged, unavailable here: gtts" in report
    assert "≥ 90% of the network's synthesised digits recognised as asked" in (workdir / "index.md").read_text(
        encoding="utf-8")

    out = tmp_path / "seven.wav"
    said = run_cli(["say", "--digit", "7", "--speaker", "theo", "--out", str(out), "--workdir", str(workdir)], env)
    assert said.returncode == 0, said.stderr[-2000:]
    assert "quick run: expect noise" in said.stdout and duration_seconds(out) > 0.05
    unknown = run_cli(["say", "--digit", "7", "--speaker", "bob", "--workdir", str(workdir)], env)
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1 and "one of george, theo" in unknown.stderr


def test_without_engines_the_lesson_lists_both_as_unavailable(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from lessons.speech import Config, engines_outcome

    monkeypatch.setenv("PATH", str(tmp_path))      # no espeak-ng
    monkeypatch.setenv("NNLAB_OFFLINE", "1")       # no gTTS
    data = SimpleNamespace(wav_dir=tmp_path / "speech" / "wav")
    outcome = engines_outcome(data, Config(), seed=0)   # the listener is never needed: nothing to hear
    assert outcome.metrics == {} and outcome.info["clips"] == 0
    assert [(r["engine"], r["available"][:3], r["file"]) for r in outcome.artifacts["rows"]] == [
        ("espeak-ng", "no:", None), ("gtts", "no:", None)]


@needs_espeak
def test_a_voice_espeak_ng_lacks_is_skipped_and_named(tmp_path, monkeypatch):
    from types import SimpleNamespace

    import lessons.speech as lesson

    heard_clips = []

    def listener_stub(waves, asked):          # the listener is the audio-classes lesson's; here only the plumbing
        heard_clips.append(len(waves))
        return 1.0, np.asarray(asked)

    monkeypatch.setattr(lesson, "heard", lambda listener, waves, asked: listener_stub(waves, asked))
    monkeypatch.setattr(lesson, "listener_for", lambda data, config, seed: None)
    monkeypatch.setenv("NNLAB_OFFLINE", "1")
    config = lesson.Config(sentences=("Seven.",), espeak_voices=("en-us", "xx-nosuchvoice"))
    outcome = lesson.engines_outcome(SimpleNamespace(wav_dir=tmp_path / "speech" / "wav"), config, seed=0)
    assert heard_clips == [10] and outcome.info["clips"] == 10
    assert list(outcome.info["missing_voices"]) == ["xx-nosuchvoice"]
