"""music: MIDI → notes → MIDI to the tick, the note encoding and its classes, the Markov baselines worked by
hand, the network and its saved twin, the shipped hash list, and the lesson plus `nnlab compose` end to end."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pretty_midi
import pytest

from keras_models.music import build_next_note_lstm, transpose_pitch_ids
from lessons.music import cluster_standard_error, stratified_split
from nnlab.data.datasets import nottingham
from nnlab.data.fetch import sha256_of
from nnlab.data.midi import Melody, read_melody, summary, write_melody
from nnlab.data.spec import folder
from nnlab.errors import DataError, UserError
from tests.conftest import cli_env, linked_pngs_open, run_cli, table_after
from tf_raw.markov import MarkovChain, RepeatLast, contexts, negative_log_likelihood
from tf_raw.notes import (START, Quantizer, decode, encode, in_key_share, sample, tokens, windows,
                          with_temperature)

# (pitch, start, end) in ticks at 480 per quarter: a pickup after a rest, a dotted note, a triplet, a rest,
# two notes sounding together
TICKS = np.array([[67, 240, 480], [72, 480, 1200], [71, 1200, 1360], [69, 1360, 1520], [67, 1520, 1680],
                  [64, 2160, 2640], [60, 2640, 3600], [67, 2640, 3600]], dtype=np.int64)


def tiny_midi(path, resolution: int = 480, tempo: float = 100.0):
    """A one-track MIDI file of TICKS written by pretty_midi itself, times converted from ticks."""
    midi = pretty_midi.PrettyMIDI(resolution=resolution, initial_tempo=tempo)
    piano = pretty_midi.Instrument(program=0)
    seconds = 60.0 / (tempo * resolution)
    for pitch, start, end in TICKS:
        piano.notes.append(pretty_midi.Note(velocity=80, pitch=int(pitch), start=start * seconds, end=end * seconds))
    midi.instruments.append(piano)
    midi.time_signature_changes.append(pretty_midi.TimeSignature(3, 4, 0.0))
    midi.key_signature_changes.append(pretty_midi.KeySignature(7, 0.0))   # G major
    midi.write(str(path))
    return path


def test_midi_to_notes_to_midi_keeps_pitches_onsets_and_durations_to_the_tick(tmp_path):
    melody = read_melody(tiny_midi(tmp_path / "tiny.mid"))
    assert (melody.resolution, melody.tempo, melody.key, melody.time_signature) == (480, 100.0, 7, "3/4")
    np.testing.assert_array_equal(melody.notes, TICKS[np.lexsort((TICKS[:, 0], TICKS[:, 1]))])
    encoded = encode(melody.notes)
    again = read_melody(write_melody(Melody(decode(encoded), melody.resolution, melody.tempo, melody.key),
                                     tmp_path / "again.mid"))
    np.testing.assert_array_equal(again.notes, melody.notes)
    assert (again.resolution, again.tempo, again.key) == (480, 100.0, 7)


def test_encoding_is_pitch_step_duration_worked_by_hand():
    encoded = encode(TICKS[:3])
    np.testing.assert_array_equal(encoded, [[67, 240, 240], [72, 240, 720], [71, 720, 160]])
    np.testing.assert_array_equal(decode(encoded), TICKS[:3])
    with pytest.raises(ValueError, match="sorted by start"):
        encode(TICKS[::-1])


def test_classes_put_triplets_on_the_grid_and_come_back_as_ticks():
    # at 1,024 ticks per quarter a triplet eighth is stored as 341 or 342 ticks: one class
    q = Quantizer.fit(np.array([512, 341, 342, 1024, 512]), 1024, grid=24)
    assert q.values == (8, 12, 24) and q.n_classes == 4 and q.beats() == [0.0, 1 / 3, 0.5, 1.0]
    np.testing.assert_array_equal(q.classes(np.array([341, 342, 512, 1024, 3000]), 1024), [1, 1, 2, 3, 3])
    np.testing.assert_array_equal(q.ticks(np.array([START, 1, 2, 3]), 480), [0, 160, 240, 480])
    ids = tokens(encode(TICKS[:2]), 480, q, q)
    assert ids[0, 0] == 68 and START not in ids


def test_windows_pad_with_start_so_every_note_is_a_target():
    sequence = np.array([[5, 1, 1], [6, 2, 2], [7, 3, 3]])
    x, y = windows(sequence, 2)
    assert x.shape == (3, 2, 3) and (y == sequence).all()
    np.testing.assert_array_equal(x[0], [[START] * 3, [START] * 3])
    np.testing.assert_array_equal(x[2], sequence[:2])


def test_markov_chain_smoothed_toward_the_lower_order_worked_by_hand():
    """Symbols {0 = START, 1, 2}, one sequence 1 2 2, order 1, α = 1 (αV = 3).
    Unigram counts (1, 2 seen once and twice): N = (0, 1, 2), so p₀ = (N + 3 · ⅓) / (3 + 3) = (1, 2, 3) / 6.
    After context 2 only 2 followed: p₁(· | 2) = ((0, 0, 1) + 3 p₀) / (1 + 3) = (0.125, 0.25, 0.625).
    After START came 1: p₁(· | START) = ((0, 1, 0) + 3 p₀) / 4 = (0.125, 0.5, 0.375)."""
    chain = MarkovChain(1, 3, alpha=1.0).fit([np.array([1, 2, 2])])
    np.testing.assert_allclose(chain.probabilities(np.array([[2], [START]])),
                               [[0.125, 0.25, 0.625], [0.125, 0.5, 0.375]])
    np.testing.assert_allclose(MarkovChain(0, 3, 1.0).fit([np.array([1, 2, 2])]).probabilities(np.zeros((1, 0), int)),
                               [[1 / 6, 2 / 6, 3 / 6]])
    # context 1 (seen once, followed by 2)
    np.testing.assert_allclose(chain.probabilities(np.array([[1]]))[0], (np.array([0, 0, 1]) + 3 * np.array([1, 2, 3]) / 6) / 4)
    np.testing.assert_array_equal(contexts(np.array([1, 2, 2]), 2), [[0, 0], [0, 1], [1, 2]])


@pytest.mark.parametrize("order", [0, 1, 2])
def test_every_baseline_distribution_sums_to_one(order):
    rng = np.random.default_rng(order)
    train = [rng.integers(1, 12, size=rng.integers(5, 40)) for _ in range(20)]
    test = rng.integers(0, 12, size=50)           # symbols and contexts never seen in training included
    for alpha in (0.01, 1.0, 10.0):
        p = MarkovChain(order, 12, alpha).fit(train).sequence_probabilities(test)
        assert p.shape == (50, 12) and (p > 0).all()
        np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    repeat = RepeatLast(12).fit(train)
    p = repeat.sequence_probabilities(test)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    assert p[1, test[0]] == pytest.approx(repeat.repeat) if test[0] != START else True
    assert negative_log_likelihood(np.full((2, 4), 0.25), np.array([1, 3])) == pytest.approx([np.log(4)] * 2)


def test_repeat_last_share_and_second_order_beats_first_on_a_pattern():
    chain = [np.array([1, 1, 2, 3] * 10)]
    assert RepeatLast(4).fit(chain).repeat == pytest.approx(10 / 39)
    # 1 1 2 3 repeating: after (1, 1) always 2, but after 1 alone either 1 or 2: the second order knows more
    nll = {k: negative_log_likelihood(MarkovChain(k, 4, 0.01).fit(chain).sequence_probabilities(chain[0]), chain[0]).mean()
           for k in (0, 1, 2)}
    assert nll[2] < nll[1] < nll[0]


def test_sampling_temperature_sharpens_flattens_and_never_draws_start():
    p = np.array([[0.1, 0.2, 0.7]])
    np.testing.assert_allclose(with_temperature(p, 1.0), p)
    assert with_temperature(p, 0.05)[0, 2] > 0.999
    np.testing.assert_allclose(with_temperature(p, 1000.0), [[1 / 3] * 3], atol=1e-3)
    rng = np.random.default_rng(0)
    draws = sample(np.repeat(np.array([[0.9, 0.05, 0.05]]), 2000, axis=0), 1.0, rng)
    assert START not in draws and abs(np.mean(draws == 1) - 0.5) < 0.05
    with pytest.raises(ValueError, match="temperature"):
        with_temperature(p, 0.0)


def test_key_share_and_transposition():
    assert in_key_share(np.array([60, 62, 64, 65, 67, 69, 71, 72]), 0) == 1.0        # C major scale
    assert in_key_share(np.array([60, 66]), 0) == 0.5                                 # F# is not in C major
    assert in_key_share(np.array([57, 60, 63]), 21) == pytest.approx(2 / 3)          # A minor: E♭ is out
    ids = np.array([0, 61, 128, 1])
    np.testing.assert_array_equal(transpose_pitch_ids(ids, 3), [0, 64, 119, 4])
    np.testing.assert_array_equal(transpose_pitch_ids(ids, -3), [0, 58, 125, 10])


def test_split_is_by_tune_and_stratified_by_family():
    families = ["jigs"] * 20 + ["reels"] * 30 + ["xmas"] * 3 + ["solo"] * 2
    split = stratified_split(families, 0.1, 0.1, seed=0)
    every = split["train"] + split["val"] + split["test"]
    assert sorted(every) == list(range(len(families)))
    for family, n in (("jigs", 2), ("reels", 3), ("xmas", 1)):
        assert sum(families[i] == family for i in split["test"]) == n
        assert sum(families[i] == family for i in split["val"]) == n
    assert split == stratified_split(families, 0.1, 0.1, seed=0)


def test_cluster_standard_error_worked_by_hand():
    """Tunes with NLL sums (2, 4) over (1, 1) notes: mean 3, residuals ±1, √(2/1 · 2) / 2 = 1."""
    assert cluster_standard_error([2.0, 4.0], [1, 1]) == pytest.approx(1.0)
    assert cluster_standard_error([6.0, 6.0], [2, 2]) == 0.0
    assert np.isnan(cluster_standard_error([1.0], [1]))


def test_network_gives_three_distributions_and_its_saved_twin_agrees(tmp_path):
    from keras_models.music import as_inputs
    from nnlab.composer_files import Composer, load_composer, save_composer

    model = build_next_note_lstm(6, 129, 5, 4, units=8, pitch_input="one-hot", feature_dim=3)
    x = np.random.default_rng(0).integers(0, 4, size=(3, 6, 3))
    out = model(as_inputs(x), training=False)
    for head, size in (("pitch", 129), ("step", 5), ("duration", 4)):
        assert out[head].shape == (3, size)
        np.testing.assert_allclose(np.asarray(out[head]).sum(axis=1), 1.0, atol=1e-5)
    q = Quantizer((6, 12, 24, 36))
    composer = Composer(model, 6, q, Quantizer((12, 24, 48)), 480, 100.0, "tiny", TICKS[:4], 7)
    loaded = load_composer(save_composer(tmp_path / "m" / "tiny", composer))
    np.testing.assert_allclose(np.asarray(loaded.model(as_inputs(x))["pitch"]), np.asarray(out["pitch"]), atol=1e-6)
    assert loaded.steps == q and loaded.seed_tune == "tiny" and (loaded.seed_notes == TICKS[:4]).all()
    melodies = loaded.compose(TICKS[:4], 5, [0.5, 1.5], np.random.default_rng(0))
    assert [len(m.notes) for m in melodies] == [9, 9]
    assert (melodies[0].notes[:4] == TICKS[:4]).all() and (melodies[0].notes[4:, 1] >= TICKS[3, 1]).all()
    back = summary(write_melody(melodies[1], tmp_path / "out.mid"))
    assert back["notes"] == 9 and back["tempo"] == pytest.approx(100.0)


def test_shipped_hash_list_covers_the_melodies_and_files_are_verified(tmp_path, monkeypatch):
    hashes = nottingham.melody_hashes()
    assert len(hashes) == 1034 and all(len(h) == 64 for h in hashes.values())
    families = {nottingham.family(nottingham.tune_name(p)) for p in hashes}
    assert families == {"ashover", "hpps", "jigs", "morris", "playford", "reels", "slip", "waltzes", "xmas"}
    assert nottingham.SPEC.files["melody/jigs1.mid"].origin.endswith(f"{nottingham.COMMIT}/MIDI/melody/jigs1.mid")
    with pytest.raises(UserError, match="no Nottingham tune named jigs9999"):
        nottingham.tunes(["jigs9999"])
    # the same loader on a tiny file of our own, pinned by its hash; a changed byte is refused
    folder_path = tmp_path / "data" / "datasets" / "nottingham" / "MIDI" / "melody"
    folder_path.mkdir(parents=True)
    path = tiny_midi(folder_path / "jigs1.mid")
    monkeypatch.setenv("NNLAB_DATA_DIR", str(tmp_path / "data"))
    spec = replace(nottingham.SPEC, files=folder(nottingham.ORIGIN, "datasets/nottingham/MIDI",
                                                 {"melody/jigs1.mid": sha256_of(path)}))
    arrays = spec.load().arrays
    assert list(arrays["names"]) == ["jigs1"] and list(arrays["families"]) == ["jigs"]
    np.testing.assert_array_equal(arrays["notes"][0], read_melody(path).notes)
    path.write_bytes(path.read_bytes() + b"\x00")  # one byte more: another file
    with pytest.raises(DataError, match="corrupt"):
        spec.load()


def test_compose_without_a_model_fails_with_one_line(tmp_path):
    result = run_cli(["compose", "--workdir", str(tmp_path / "empty")], cli_env(tmp_path))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "nnlab run music" in result.stderr


def test_lesson_runs_quick_and_compose_writes_a_tune(tmp_path):
    try:
        nottingham.tunes(["jigs1"]).load()
    except DataError as error:
        pytest.skip(f"the Nottingham MIDI files are not available here: {error}")
    workdir = tmp_path / "runs"
    env = cli_env(tmp_path)
    result = run_cli(["run", "music", "--quick", "--workdir", str(workdir)], env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report_path = workdir / "music" / "report.md"
    report = report_path.read_text(encoding="utf-8")
    rows = table_after(report, "## (c)-(e) Every model against the baselines")
    names = [row[0] for row in rows[1:]]
    assert names[:4] == ["*unigram*", "*markov-1*", "*markov-2*", "*repeat-last*"] and len(names) == 9
    assert "## (a) What a MIDI file holds" in report and "note_on" in report and "## Conclusions" in report
    assert {"piano_rolls.png", "pitch_histogram.png", "interval_histogram.png", "curves_loss.png"} <= set(
        linked_pngs_open(report_path))
    generated = sorted((workdir / "music").glob("generated_T*.mid"))
    assert len(generated) == 3 and all(summary(p)["notes"] > 0 for p in generated)
    assert "(f) Target (the generated files parse as valid MIDI) applies to a full run; this quick run: 3 of 3 " \
           "generated files parse as MIDI with notes." in report
    index = (workdir / "index.md").read_text(encoding="utf-8")
    assert "LSTM test pitch NLL below the best Markov chain's by more than its sampling error" in index

    out = tmp_path / "tune.mid"
    composed = run_cli(["compose", "--temperature", "0.7", "--notes", "12", "--out", str(out),
                        "--workdir", str(workdir)], env)
    assert composed.returncode == 0, composed.stderr[-2000:]
    assert "quick run" in composed.stdout and "read back" in composed.stdout
    melody = read_melody(out)
    assert len(melody.notes) == 12 + 8 and melody.tempo == pytest.approx(120.0)
    unknown = run_cli(["compose", "--seed-tune", "jigs9999", "--workdir", str(workdir)], env)
    assert unknown.returncode == 2 and "no Nottingham tune named jigs9999" in unknown.stderr
