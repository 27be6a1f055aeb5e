"""attention-translation: tokenising, length batches, the seq2seq model and its attention against
tf_raw, greedy decoding, saving, BLEU, the lesson end to end and `nnlab translate`."""
from __future__ import annotations

import gzip

import numpy as np
import pytest
import tensorflow as tf

from keras_models.length_batches import LengthBatches
from keras_models.seq2seq import BahdanauAttention, LuongAttention, Translator, beam_decode, greedy_decode
from keras_models.text import END, START, SentenceVectorizer, detokenize, standardize
from nnlab.data.datasets import multi30k
from nnlab.errors import DataError
from reports.bleu import (bleu_by_length, bleu_of, bleu_statistics, bucket_sizes, corpus_bleu, length_bucket,
                          paired_bootstrap)
from tests.conftest import cli_env, linked_pngs_open, run_cli, table_after

TRAIN_EN = ["A dog runs.", "Two men sit on a bench.", "A girl rides a bike!", "The dog sleeps."]
TRAIN_DE = ["Ein Hund läuft.", "Zwei Männer sitzen auf einer Bank.", "Ein Mädchen fährt Fahrrad!",
            "Der Hund schläft."]


def test_standardize_lowercases_and_splits_punctuation_keeping_umlauts():
    assert standardize("Ein Hund läuft, schnell.") == "ein hund läuft , schnell ."
    assert standardize("Größe ÄNDERT  sich") == "größe ändert sich"
    assert detokenize(["ein", "hund", "läuft", ",", "schnell", "."]) == "ein hund läuft, schnell."


def test_vocabulary_comes_from_the_training_sentences_only():
    source = SentenceVectorizer(8).adapt(TRAIN_EN)
    target = SentenceVectorizer(10, targets=True).adapt(TRAIN_DE)
    assert "zebra" not in source.vocabulary
    ids = source(["A zebra runs."])
    assert source.vocabulary[ids[0, 1]] == "[UNK]"           # a test-only word is unknown, not learned
    assert source.words(ids[0]) == ["a", "[UNK]", "runs", "."]
    german = target(["Ein Hund läuft."])[0]
    assert target.vocabulary[german[0]] == START and END in [target.vocabulary[i] for i in german]
    assert target.words(german[1:]) == ["ein", "hund", "läuft", "."]   # words() stops at [end]
    assert ids.shape == (1, 8) and ids.dtype == np.int32


def test_length_batches_cover_every_pair_once_and_cut_padding():
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 20, size=103)
    target = np.zeros((103, 24), np.int32)
    source = np.zeros((103, 22), np.int32)
    for i, n in enumerate(lengths):
        target[i, :n] = rng.integers(1, 50, n)
        source[i, :max(1, n - 2)] = rng.integers(1, 50, max(1, n - 2))
    batches = LengthBatches(source, target, batch_size=10, seed=1, pool=3)
    for _ in range(2):
        seen = np.concatenate(batches.batches)
        assert sorted(seen.tolist()) == list(range(103))
        shapes = set()
        for i in range(len(batches)):
            (src, tgt_in), tgt_out = batches[i]
            rows = batches.batches[i]
            assert tgt_in.shape == tgt_out.shape and src.shape[0] == len(rows)
            assert src.shape[1] % 4 == 0 or src.shape[1] == 22
            np.testing.assert_array_equal(tgt_in, target[rows, :tgt_in.shape[1]])        # nothing real is cut
            np.testing.assert_array_equal(tgt_out, target[rows, 1:tgt_in.shape[1] + 1])
            assert np.count_nonzero(target[rows], axis=1).max() <= tgt_in.shape[1] + 1
            shapes.add(tgt_in.shape[1])
        assert len(shapes) > 1
        first, second = batches[0][1].shape[1], batches[1][1].shape[1]
        assert first != second          # Keras sees varying lengths in the first two batches
        batches.on_epoch_end()


def _tiny(attention: str, seed: int = 0, cell: str = "gru") -> tuple[Translator, np.ndarray, np.ndarray]:
    import keras

    keras.utils.set_random_seed(seed)
    model = Translator(30, 40, embedding_dim=8, units=12, attention=attention, cell=cell)
    rng = np.random.default_rng(seed)
    source = rng.integers(1, 30, (3, 6)).astype(np.int32)
    source[1, 4:] = 0
    source[2, 2:] = 0
    target = rng.integers(1, 40, (3, 5)).astype(np.int32)
    target[2, 3:] = 0
    model((source, target))
    return model, source, target


@pytest.mark.parametrize("kind", ["bahdanau", "luong"])
def test_model_attention_equals_tf_raw_forward_and_gradient(kind):
    from tf_raw.attention import bahdanau_attention, luong_attention

    rng = np.random.default_rng(1)
    query = tf.constant(rng.normal(size=(2, 4, 6)), tf.float32)
    keys = tf.constant(rng.normal(size=(2, 5, 7)), tf.float32)
    query_mask = tf.constant(np.array([[1, 1, 1, 0], [1, 1, 1, 1]], bool))
    value_mask = tf.constant(np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]], bool))
    layer = (BahdanauAttention if kind == "bahdanau" else LuongAttention)(7)
    layer(query, keys, query_mask=query_mask, value_mask=value_mask)
    if kind == "bahdanau":
        layer.attention.scale.assign(rng.normal(size=7).astype(np.float32))   # v, not the ones it starts at
    weights = [w.value for w in layer.trainable_weights]
    probe = tf.constant(rng.normal(size=(2, 4, 7)), tf.float32)

    def raw(q, k):
        if kind == "luong":
            return luong_attention(q, k, k, layer.query_dense.kernel.value, value_mask, query_mask)
        return bahdanau_attention(q, k, k, layer.query_dense.kernel.value, layer.key_dense.kernel.value,
                                  layer.attention.scale.value, value_mask, query_mask)

    results = []
    for run in (lambda q, k: layer(q, k, query_mask=query_mask, value_mask=value_mask), raw):
        with tf.GradientTape() as tape:
            tape.watch([query, keys])
            context, attention = run(query, keys)
            loss = tf.reduce_sum(context * probe)
        results.append((context, attention, tape.gradient(loss, [query, keys, *weights])))
    (c1, a1, g1), (c2, a2, g2) = results
    np.testing.assert_allclose(c1, c2, atol=1e-6)
    np.testing.assert_allclose(a1, a2, atol=1e-6)
    for x, y in zip(g1, g2):
        np.testing.assert_allclose(x, y, atol=1e-5)
    assert float(tf.reduce_max(a1[1, :, 2:])) < 1e-6     # padded source words get no weight


@pytest.mark.parametrize("kind,cell", [("none", "gru"), ("bahdanau", "gru"), ("luong", "gru"), ("luong", "lstm")])
def test_translator_shapes_and_padding_does_not_leak(kind, cell):
    model, source, target = _tiny(kind, cell=cell)
    logits = np.asarray(model((source, target)))
    assert logits.shape == (3, 5, 40)
    # more padding after the source sentences (mask, attention and final state all ignore it) changes nothing
    longer = np.concatenate([source, np.zeros((3, 4), np.int32)], axis=1)
    np.testing.assert_allclose(np.asarray(model((longer, target))), logits, atol=1e-5)


def test_greedy_decoding_stops_at_end_and_zeroes_the_rest():
    model, source, _ = _tiny("luong")
    bias = np.zeros(40, np.float32)
    bias[7] = 50.0                         # make token 7 overwhelmingly likely at every step
    model.vocab_logits.bias.assign(bias)
    tokens, weights = greedy_decode(model, source, start_id=2, end_id=7, max_length=6)
    assert tokens.shape[0] == 3 and (tokens[:, 0] == 7).all() and (tokens[:, 1:] == 0).all()
    assert weights.shape[:2] == tokens.shape and weights.shape[2] == source.shape[1]
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-5)


def test_beam_of_one_is_greedy_and_wider_beams_end_cleanly():
    model, source, _ = _tiny("bahdanau", seed=3)
    greedy, _ = greedy_decode(model, source, start_id=2, end_id=7, max_length=6)
    np.testing.assert_array_equal(beam_decode(model, source, 2, 7, 6, beam=1), greedy)
    wide = beam_decode(model, source, 2, 7, 6, beam=3)
    assert wide.shape[0] == 3 and wide.shape[1] <= 6
    for row in wide:                              # nothing after the first end token
        ends = np.flatnonzero(row == 7)
        if ends.size:
            assert (row[ends[0] + 1:] == 0).all()


def test_saved_translator_reloads_with_the_same_outputs(tmp_path):
    from nnlab.translator_files import load_translator, save_translator

    source = SentenceVectorizer(8).adapt(TRAIN_EN)
    target = SentenceVectorizer(10, targets=True).adapt(TRAIN_DE)
    model = Translator(len(source.vocabulary), len(target.vocabulary), embedding_dim=8, units=12,
                       attention="bahdanau")
    x, y = source(TRAIN_EN), target(TRAIN_DE)
    before = np.asarray(model((x, y[:, :-1])))
    weights = save_translator(tmp_path / "models" / "tiny", model, source, target)
    assert weights.name == "tiny.weights.h5" and not list(tmp_path.glob("models/*partial*"))
    loaded = load_translator(weights)
    np.testing.assert_allclose(np.asarray(loaded.model((loaded.source(TRAIN_EN), loaded.target(TRAIN_DE)[:, :-1]))),
                               before, atol=1e-6)
    outputs, sources, attention = loaded.translate(["A dog runs."])
    assert sources == [["a", "dog", "runs", "."]] and attention[0].shape[1] == 4
    assert attention[0].shape[0] in (len(outputs[0]), len(outputs[0]) + 1)   # + the [end] row, if it ended
    np.testing.assert_allclose(attention[0].sum(axis=1), 1.0, atol=1e-5)


def test_bleu_is_sacrebleu_and_the_bootstrap_is_paired():
    references = ["ein hund läuft über die wiese.", "zwei männer sitzen auf einer bank."] * 5
    assert corpus_bleu(references, references) == pytest.approx(100.0)
    worse = ["ein hund läuft.", "zwei männer sitzen."] * 5
    assert 0 < corpus_bleu(worse, references) < 100
    mixed = worse[:3] + references[3:]
    assert bleu_of(bleu_statistics(mixed, references)) == pytest.approx(corpus_bleu(mixed, references), abs=1e-9)
    boot = paired_bootstrap(references, worse, references, resamples=20, seed=0)
    assert boot["wins"] == 1.0 and boot["low"] > 0
    assert length_bucket(8, (8, 12)) == "1-8" and length_bucket(9, (8, 12)) == "9-12"
    assert length_bucket(13, (8, 12)) == ">12"
    lengths = [13, 3] * 5                                    # the groups come from the source lengths
    assert bucket_sizes(lengths, (8, 12)) == {">12": 5, "1-8": 5}
    by_length = bleu_by_length(mixed, references, lengths, (8, 12))
    assert list(by_length) == ["1-8", ">12"]                 # shortest first, empty groups left out
    assert by_length["1-8"] == pytest.approx(corpus_bleu(mixed[1::2], references[1::2]))


def test_sentence_pairs_load_from_files_and_must_be_aligned(tmp_path):
    files = {}
    for role, lines in {"train.en": ["a dog"], "train.de": ["ein hund"], "val.en": ["x", "y"], "val.de": ["x"]}.items():
        path = tmp_path / f"{role}.gz"
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        files[role] = path
    arrays = multi30k.parse({k: v for k, v in files.items() if k.startswith("train")})
    assert arrays["train.de"].tolist() == ["ein hund"]
    with pytest.raises(DataError, match="not line-aligned"):
        multi30k.parse(files)


def test_translate_without_a_model_fails_with_one_line(tmp_path):
    result = run_cli(["translate", "a man is riding a bike", "--workdir", str(tmp_path / "empty")], cli_env(tmp_path))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "nnlab run attention-translation" in result.stderr


def test_lesson_runs_quick_and_translate_uses_its_model(tmp_path):
    try:
        multi30k.SPEC.load()
    except DataError as error:
        pytest.skip(f"Multi30K not available here: {error}")
    workdir = tmp_path / "runs"
    env = cli_env(tmp_path)
    result = run_cli(["run", "attention-translation", "--quick", "--workdir", str(workdir)], env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report_path = workdir / "attention-translation" / "report.md"
    report = report_path.read_text(encoding="utf-8")
    rows = table_after(report, "## Every model against the baselines")
    assert [row[0] for row in rows[1:]] == ["*copy-source*", "*no-attention*", "`bahdanau`", "`luong`"]
    assert "## From scratch: tf_raw attention" in report and "## Conclusions" in report
    checks = table_after(report, "## From scratch: tf_raw attention")
    assert all(float(row[1]) < 1e-5 and float(row[2]) < 1e-5 for row in checks[1:])
    assert {"attention.png", "bleu_by_length.png", "curves_loss.png"} <= set(linked_pngs_open(report_path))
    assert "Target (attention beats the no-attention baseline) applies to a full run; this quick run: `" in report
    assert "attention beats the no-attention baseline" in (workdir / "index.md").read_text(encoding="utf-8")

    assert rows[0][3] == "test BLEU, beam 4" and rows[3][3] != "–"
    translated = run_cli(["translate", "a man is riding a bike", "--model", "luong", "--alignment", "--beam", "3",
                          "--workdir", str(workdir)], env)
    assert translated.returncode == 0, translated.stderr[-2000:]
    assert "model: luong (quick run" in translated.stdout and "beam search, width 3" in translated.stdout and "→" in translated.stdout and "←" in translated.stdout
    unknown = run_cli(["translate", "a dog", "--model", "transformer", "--workdir", str(workdir)], env)
    assert unknown.returncode == 2 and "trained: bahdanau, luong, no-attention" in unknown.stderr
