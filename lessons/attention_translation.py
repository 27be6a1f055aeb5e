"""Lesson 18 · attention-translation: English → German with an encoder-decoder, without and with
attention (Neural Networks 2, lesson 9).

What it teaches: why a decoder that sees only the encoder's final state forgets long sentences, and
how attention fixes it by letting each output word look back at every input word; what the
attention weights look like (a soft word alignment); how translations are scored (BLEU).
  (a) baselines: copying the English sentence unchanged (the BLEU a system gets for names, numbers
      and punctuation alone) and the encoder-decoder GRU without attention;
  (b) attention: the same network plus Bahdanau (additive) or Luong (multiplicative) attention.
All three networks share embedding sizes, GRU sizes and the output layer (keras_models/seq2seq.py);
they train with teacher forcing (the decoder reads the true previous word) and translate with greedy
decoding (it reads its own previous word, the most likely one). The attention layer is checked
against tf_raw/attention.py, written with TensorFlow ops, on the trained weights and real sentences.

Data: Multi30K task 1, image captions in English with German translations: 29,000 training pairs,
the 1,014-pair validation set (early stopping) and the 1,000-pair 2016 test set (BLEU). Vocabularies
(TextVectorization, the most frequent words of the training text only) and sequence lengths are in
Config; longer sentences are cut.

BLEU: sacreBLEU's corpus BLEU with its standard 13a tokenisation, case-insensitive (the model writes
lower case), on the detokenised output against the original German references (reports/bleu.py).

Expected full result (bench/attention_translation, seed 0, 12 epochs): greedy test BLEU 26.85 with
Bahdanau attention, 22.52 with Luong's, 15.79 without attention (COURSE.md target: attention beats the
baseline); beam search (width 4) adds 2-4 points; 78 minutes on a 2-core CPU.

Run: `nnlab run attention-translation [--quick] [--seed N] [--epochs N]`, then
`nnlab translate "a man is riding a bike"` translates with the best trained model.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from nnlab.data.bundles import Bundle
from nnlab.data.registry import load
from nnlab.hashing import content_key
from nnlab.runner import REPORT_ONLY, Outcome, RunOptions, Variant, apply_run_options, keyed_config
from reports.bleu import bleu_by_length, bucket_sizes, corpus_bleu, paired_bootstrap

SLUG = "attention-translation"
ATTENTION_KINDS = ("bahdanau", "luong")


@dataclass(frozen=True)
class Config:
    train_pairs: int | None = None    # None: all 29,000
    eval_pairs: int | None = None     # None: the whole validation and test sets
    source_length: int = 22           # tokens; 97% of the English training sentences fit
    target_length: int = 24           # tokens including [start] and [end]
    source_vocab: int = 5000          # ≈ English words seen at least 3 times in training
    target_vocab: int = 6000          # ≈ German words seen at least 3 times
    embedding_dim: int = 128
    units: int = 256
    cell: str = "gru"
    dropout: float = 0.2
    epochs: int = 12
    batch_size: int = 64
    learning_rate: float = 1e-3
    clipnorm: float = 1.0             # recurrent nets: one huge gradient step can undo an epoch
    patience: int = 2                 # early stopping on validation loss, best weights kept
    lr_patience: int = 1              # halve the learning rate when validation loss stalls
    xla: bool = False                 # batches vary in length (LengthBatches): XLA would compile each shape
    beam: int = 4                     # beam width of the second test BLEU (the first is greedy)
    examples: int = 6                 # test sentences shown translated by every model
    heatmaps: int = 3                 # test sentences whose attention weights are drawn
    bootstrap: int = 1000             # paired bootstrap resamples of the test set for the BLEU gap
    length_buckets: tuple[int, ...] = (8, 12, 16)   # source words: ≤8, 9-12, 13-16, >16
    overfit_gap: float = field(default=0.5, metadata=REPORT_ONLY)  # test - train loss (nats) called overfitting


def make_config(options: RunOptions) -> Config:
    return apply_run_options(Config(), options, train_pairs=2000, eval_pairs=120, source_vocab=800,
                             target_vocab=1000, embedding_dim=32, units=48, epochs=2, bootstrap=200)


QUICK_NOTE = "2,000 training pairs, tiny networks, 2 epochs: BLEU near 0, NOT the lesson's results"


# ---- data ----------------------------------------------------------------------------------------

@dataclass
class Translation(Bundle):
    """Sentence pairs (lists of str) per split, their token ids, and the vectorizers fitted on train."""

    sentences: dict[str, tuple[list[str], list[str]]]    # split -> (English, German)
    source: object                                        # keras_models.text.SentenceVectorizer
    target: object
    ids: dict[str, tuple[np.ndarray, np.ndarray]]         # split -> (source ids, target ids with start/end)
    model_dir: Path

    def details(self) -> dict:
        return {"sizes": {split: len(pair[0]) for split, pair in self.sentences.items()},
                "vocabulary": {"source": len(self.source.vocabulary), "target": len(self.target.vocabulary)},
                "cut": {split: self.cut_share(split) for split in self.sentences}}

    def cut_share(self, split: str) -> float:
        """Share of this split's target sentences too long for target_length (they lose their end)."""
        return float(np.mean(np.array(word_counts(self.sentences[split][1])) > self.target.length - 2))


def word_counts(sentences: list[str]) -> list[int]:
    """Each sentence's length in words as the vectorizers see it (punctuation marks count as words)."""
    from keras_models.text import standardize

    return [len(standardize(s).split()) for s in sentences]


SPLITS = {"train": "train", "val": "val", "test": "test_2016_flickr"}


def load_data(config: Config, options: RunOptions) -> Translation:
    from keras_models.text import SentenceVectorizer

    loaded = load("multi30k")
    limits = {"train": config.train_pairs, "val": config.eval_pairs, "test": config.eval_pairs}
    sentences = {split: ([str(s) for s in loaded.arrays[f"{name}.en"][:limits[split]]],
                         [str(s) for s in loaded.arrays[f"{name}.de"][:limits[split]]])
                 for split, name in SPLITS.items()}
    english, german = sentences["train"]
    # the vocabularies come from the training sentences only; val/test words outside them are [UNK]
    source = SentenceVectorizer(config.source_length, max_tokens=config.source_vocab).adapt(english)
    target = SentenceVectorizer(config.target_length, max_tokens=config.target_vocab, targets=True).adapt(german)
    ids = {split: (source(en), target(de)) for split, (en, de) in sentences.items()}
    notes = [f"the first {config.train_pairs:,} training pairs" if config.train_pairs else "",
             f"the first {config.eval_pairs:,} validation and test pairs" if config.eval_pairs else ""]
    return Translation(sentences, source, target, ids, Path(options.workdir) / SLUG / "models",
                       dataset=loaded.name, sha256=loaded.sha256, notes=[n for n in notes if n])


# ---- the experiment grid -------------------------------------------------------------------------

def grid(config: Config, data: Translation) -> list[Variant]:
    variants = [Variant("baseline", "copy-source", {"model": "copy"}),
                Variant("baseline", "no-attention", {"model": "seq2seq", "attention": "none"})]
    variants += [Variant("attention", kind, {"model": "seq2seq", "attention": kind}) for kind in ATTENTION_KINDS]
    return variants


# ---- training ------------------------------------------------------------------------------------

def model_stem(variant: Variant, config: Config, data: Translation, seed: int) -> Path:
    """Where a trained model is kept: its name plus a digest of everything that made it."""
    digest = content_key(params=variant.params, config=keyed_config(config), seed=seed, sha256=data.sha256)
    return data.model_dir / f"{variant.name}-seed{seed}-{digest[:10]}"


def show_indices(data: Translation, config: Config) -> tuple[list[int], list[int]]:
    """Test sentences shown in the report: the first `examples`, and for heat maps the first
    `heatmaps` of 8-14 words (long enough to show reordering, short enough to read)."""
    lengths = word_counts(data.sentences["test"][0])
    medium = [i for i, words in enumerate(lengths) if 8 <= words <= 14]
    return list(range(min(config.examples, len(lengths)))), medium[:config.heatmaps]


def train(variant: Variant, data: Translation, config: Config, seed: int) -> Outcome:
    english, german = data.sentences["test"]
    if variant.params["model"] == "copy":
        metrics = {split: {"bleu": corpus_bleu(data.sentences[split][0], data.sentences[split][1])}
                   for split in ("val", "test")}
        return Outcome(metrics, artifacts={"translations": english, "references": german})
    import keras

    from keras_models.seq2seq import MaskedTokenAccuracy, Translator, translate_ids, translation_loss
    from keras_models.length_batches import LengthBatches
    from keras_models.training import fit_model
    from nnlab.translator_files import save_translator

    model = Translator(config.source_vocab, config.target_vocab, embedding_dim=config.embedding_dim,
                       units=config.units, attention=variant.params["attention"], cell=config.cell,
                       dropout=config.dropout)
    (x_train, y_train), (x_val, y_val) = data.ids["train"], data.ids["val"]
    # teacher forcing: the decoder reads "[start] w1 .. wn" and learns to output "w1 .. wn [end]"
    batches = LengthBatches(x_train, y_train, config.batch_size, seed)
    fitted = fit_model(model, batches, None, (x_val, y_val[:, :-1]), y_val[:, 1:],
                       loss=translation_loss(), metrics=[MaskedTokenAccuracy()], monitor="val_loss",
                       optimizer=keras.optimizers.Adam(config.learning_rate, clipnorm=config.clipnorm),
                       epochs=config.epochs, batch_size=config.batch_size, label=variant.name,
                       patience=config.patience, lr_patience=config.lr_patience, jit_compile=config.xla)
    metrics = {}
    for split in ("train", "val", "test"):
        x, y = data.ids[split]
        x, y = x[:2000], y[:2000]   # teacher-forced loss on train: a 2,000-pair sample is plenty
        loss, accuracy = model.evaluate((x, y[:, :-1]), y[:, 1:], batch_size=256, verbose=0)
        metrics[split] = {"loss": float(loss), "token_accuracy": float(accuracy)}
    start = time.perf_counter()
    greedy = {split: translate_ids(model, data.ids[split][0], data.target) for split in ("val", "test")}
    decode_seconds = time.perf_counter() - start
    for split, (hypotheses, _, _) in greedy.items():
        metrics[split]["bleu"] = corpus_bleu(hypotheses, data.sentences[split][1])
    beamed = translate_ids(model, data.ids["test"][0], data.target, beam=config.beam)[0]
    metrics["test"]["bleu_beam"] = corpus_bleu(beamed, german)
    test_words = greedy["test"]
    weights_file = save_translator(model_stem(variant, config, data, seed), model, data.source, data.target)
    _, heat = show_indices(data, config)
    source_words = [data.source.words(row) for row in data.ids["test"][0]]
    maps = [{"index": i, "source": source_words[i], "output": test_words[1][i],
             "weights": np.round(test_words[2][i][:len(test_words[1][i]) + 1, :len(source_words[i])], 4).tolist()}
            for i in heat if test_words[2][i] is not None]
    info = {"parameters": model.count_params(), "epochs_run": fitted.epochs_run,
            "seconds_per_epoch": fitted.seconds_per_epoch, "decode_seconds": decode_seconds,
            "model_file": str(weights_file)}
    if variant.params["attention"] != "none":
        info["raw_attention_check"] = raw_attention_check(model, data)
    return Outcome(metrics, fitted.history, info, {"translations": test_words[0], "heatmaps": maps})


def raw_attention_check(model, data: Translation, sentences: int = 64) -> dict:
    """The trained attention layer against tf_raw/attention.py with its weights copied, on real test
    sentences (teacher-forced decoder states as queries): max |difference| of contexts and weights."""
    import keras
    from keras import ops

    if keras.backend.backend() != "tensorflow":
        return {"skipped": f"tf_raw needs the tensorflow backend, not {keras.backend.backend()}"}
    from tf_raw.attention import bahdanau_attention, luong_attention

    source, target = data.ids["test"][0][:sentences], data.ids["test"][1][:sentences, :-1]
    encoder_outputs, states, source_mask = model.encode(source)
    target_mask = ops.not_equal(target, 0)
    decoded, *_ = model.decoder_rnn(model.target_embedding(target), initial_state=states, mask=target_mask)
    context, weights = model.attention(decoded, encoder_outputs, query_mask=target_mask, value_mask=source_mask)
    layer = model.attention
    if model.settings["attention"] == "luong":
        raw = luong_attention(decoded, encoder_outputs, encoder_outputs, layer.query_dense.kernel.value,
                              value_mask=source_mask, query_mask=target_mask)
    else:
        raw = bahdanau_attention(decoded, encoder_outputs, encoder_outputs, layer.query_dense.kernel.value,
                                 layer.key_dense.kernel.value, layer.attention.scale.value,
                                 value_mask=source_mask, query_mask=target_mask)
    return {"sentences": sentences,
            "context": float(np.max(np.abs(ops.convert_to_numpy(context) - raw[0].numpy()))),
            "weights": float(np.max(np.abs(ops.convert_to_numpy(weights) - raw[1].numpy())))}


# ---- report --------------------------------------------------------------------------------------

def _bleu(split: str):
    from reports.conclusions import Score

    return Score(f"{'test' if split == 'test' else 'validation'} BLEU", lambda r: r.metric(split, "bleu"),
                 as_percent=False)


TEST_BLEU = _bleu("test")
VAL_BLEU = _bleu("val")


def test_sentences(view) -> tuple[list[str], list[str]]:
    """The test set's English sentences and German references, kept with the copy-source baseline."""
    copy = next((r for r in view.records if r.params.get("model") == "copy"), None)
    if copy is None:
        return [], []
    return view.artifact(copy, "translations"), view.artifact(copy, "references")


def run_config(view) -> dict:
    return view.records[0].config if view.records else asdict(Config())


def results_table(records) -> str:
    from reports.tables import count, markdown_table, number, percent

    def digits(n):
        return lambda v: number(v, n)

    rows = [{"variant": f"*{r.variant}*" if r.experiment == "baseline" else f"`{r.variant}`",
             "attention": r.params.get("attention", "–"),
             "test BLEU": r.metric("test", "bleu"),
             f"test BLEU, beam {r.config['beam']}": r.metric("test", "bleu_beam", None),
             "val BLEU": r.metric("val", "bleu"),
             "test token acc (teacher forced)": r.metric("test", "token_accuracy", None),
             "test loss": r.metric("test", "loss", None), "train loss": r.metric("train", "loss", None),
             "parameters": r.info.get("parameters"), "epochs": r.info.get("epochs_run"),
             "s/epoch": r.info.get("seconds_per_epoch")} for r in records]
    beam = f"test BLEU, beam {records[0].config['beam']}" if records else ""
    fmt = {"test BLEU": digits(2), beam: digits(2), "val BLEU": digits(2), "test loss": digits(3),
           "train loss": digits(3), "test token acc (teacher forced)": percent, "parameters": count,
           "epochs": count, "s/epoch": digits(1)}
    return markdown_table(rows, formats=fmt)


def examples_table(view, records) -> str:
    from reports.tables import markdown_table

    english, german = test_sentences(view)
    shown = range(min(run_config(view)["examples"], len(english)))
    translations = {r.variant: view.artifact(r, "translations") for r in records if r.params["model"] != "copy"}
    rows = [{"English": english[i], "reference": german[i], **{f"`{name}`": out[i] for name, out in
                                                                translations.items()}} for i in shown]
    return markdown_table(rows)


def report_sections(view) -> list[str]:
    from reports import plots
    from reports.tables import markdown_table

    records = view.records
    info = view.data_info
    sections = ["## Every model against the baselines\n\n"
                f"Vocabularies (from the training sentences): {info['vocabulary']['source']:,} English and "
                f"{info['vocabulary']['target']:,} German tokens; German sentences cut at the target length: "
                f"{100 * info['cut']['train']:.1f}% of training, {100 * info['cut']['test']:.1f}% of test. "
                "BLEU: sacreBLEU corpus score on greedy translations (case-insensitive, 13a tokens), and on "
                "beam-search translations beside it; token "
                "accuracy: next-word accuracy when the decoder is fed the true previous words.\n\n"
                + results_table(records)]
    english, german = test_sentences(view)
    if english:
        sections.append("## Example test translations\n\n" + examples_table(view, records))
    networks = [r for r in records if r.params["model"] == "seq2seq"]
    maps = [(r.variant, m) for r in networks for m in (view.artifact(r, "heatmaps") or [])]
    if maps:
        path = plots.attention_maps(maps, view.figure("attention.png"),
                                    title="Attention weights: which English word each German word looked at")
        sections.append("## Attention heat maps\n\nEach row is one output word; dark cells are the source words "
                        "its attention weights (summing to 1 along the row) pointed at.\n\n"
                        + view.image(path, "attention weights"))
    buckets = tuple(run_config(view)["length_buckets"])
    lengths = word_counts(english)
    by_length = {r.variant: bleu_by_length(view.artifact(r, "translations"), german, lengths, buckets)
                 for r in records} if english else {}
    if english and by_length:
        groups = list(next(iter(by_length.values())))
        path = plots.grouped_bars(groups, {name: [scores.get(g, float("nan")) for g in groups]
                                           for name, scores in by_length.items()},
                                  view.figure("bleu_by_length.png"),
                                  title="Test BLEU by English sentence length", ylabel="BLEU")
        sizes = bucket_sizes(lengths, buckets)
        sections.append("## BLEU by sentence length\n\nTest sentences grouped by English length in words ("
                        + ", ".join(f"{g}: {sizes.get(g, 0)}" for g in groups) + ").\n\n"
                        + view.image(path, "BLEU by sentence length"))
    if networks:
        curves = {r.variant: {"val_loss": r.history.get("val_loss", []), "loss": r.history.get("loss", [])}
                  for r in networks}
        path = plots.learning_curves(curves, view.figure("curves_loss.png"), metric="loss",
                                     title="Token cross-entropy per epoch (teacher forced)", ylabel="loss")
        sections.append("## Learning curves\n\n" + view.image(path, "loss per epoch"))
    checks = [r for r in networks if "raw_attention_check" in r.info]
    if checks:
        rows = [{"model": f"`{r.variant}`", **({"max abs diff, context": f"{c['context']:.2e}",
                                                "max abs diff, weights": f"{c['weights']:.2e}",
                                                "test sentences": c["sentences"]} if "skipped" not in c
                                               else {"max abs diff, context": c["skipped"]})}
                for r in checks for c in [r.info["raw_attention_check"]]]
        sections.append("## From scratch: tf_raw attention against the trained Keras layer\n\n"
                        "tf_raw/attention.py computes the same attention with TensorFlow ops from the trained "
                        "layer's weights, on the teacher-forced decoder states of real test sentences.\n\n"
                        + markdown_table(rows))
    return sections


def conclusions(view) -> list[str]:
    lines = []
    by_name = {r.variant: r for r in view.records}
    baseline, copy = by_name.get("no-attention"), by_name.get("copy-source")
    english, german = test_sentences(view)
    attention = [by_name[k] for k in ATTENTION_KINDS if k in by_name]
    if copy is not None and baseline is not None:
        lines.append(f"(a) Copying the English sentence scores {copy.metric('test', 'bleu'):.2f} BLEU (shared "
                     f"names, numbers, punctuation); the encoder-decoder without attention "
                     f"{baseline.metric('test', 'bleu'):.2f}.")
    for record in attention:
        if baseline is None:
            break
        gap = record.metric("test", "bleu") - baseline.metric("test", "bleu")
        boot = paired_bootstrap(view.artifact(record, "translations"), view.artifact(baseline, "translations"),
                                german, run_config(view)["bootstrap"], seed=view.run["seed"])
        verdict = ("beyond sampling error" if boot["low"] > 0 or boot["high"] < 0
                   else "within sampling error: the 95% interval includes 0")
        lines.append(f"(b) `{record.variant}` attention: test BLEU {record.metric('test', 'bleu'):.2f} vs "
                     f"{baseline.metric('test', 'bleu'):.2f} without attention ({'+' if gap >= 0 else ''}{gap:.2f}; "
                     f"paired bootstrap over {boot['resamples']} resamples of the test sentences: 95% interval "
                     f"[{boot['low']:+.2f}, {boot['high']:+.2f}], ahead in {100 * boot['wins']:.0f}% of them, "
                     f"{verdict}).")
    buckets = tuple(run_config(view)["length_buckets"])
    if baseline is not None and attention and english:
        best = max(attention, key=TEST_BLEU.get)
        lengths = word_counts(english)
        ours = bleu_by_length(view.artifact(best, "translations"), german, lengths, buckets)
        theirs = bleu_by_length(view.artifact(baseline, "translations"), german, lengths, buckets)
        shortest, longest = next(iter(ours)), list(ours)[-1]
        lines.append(f"By length: `{best.variant}` leads the baseline by {ours[shortest] - theirs[shortest]:+.2f} "
                     f"BLEU on sentences of {shortest} words and by {ours[longest] - theirs[longest]:+.2f} on "
                     f"{longest} words"
                     + (": the longer the sentence, the more a single state vector loses." if
                        ours[longest] - theirs[longest] > ours[shortest] - theirs[shortest] else "."))
    beamed = [r for r in view.records if "bleu_beam" in r.metrics.get("test", {})]
    if beamed:
        lines.append(f"Beam search (width {beamed[0].config['beam']}) instead of greedy decoding: "
                     + ", ".join(f"`{r.variant}` {r.metric('test', 'bleu'):.2f} → {r.metric('test', 'bleu_beam'):.2f}"
                                 for r in beamed) + " test BLEU, with the same trained weights.")
    unfinished = [r for r in view.records if r.params.get("model") == "seq2seq" and r.history.get("val_loss")
                  and int(np.argmin(r.history["val_loss"])) == len(r.history["val_loss"]) - 1
                  and len(r.history["val_loss"]) == r.config["epochs"]]
    if unfinished:
        lines.append("Still improving when the epochs ran out (validation loss lowest at the last of "
                     f"{unfinished[0].config['epochs']} epochs): "
                     + ", ".join(f"`{r.variant}` (last drop {r.history['val_loss'][-2] - r.history['val_loss'][-1]:.3f})"
                                 for r in unfinished) + "; more epochs (`--epochs`) would likely raise their BLEU.")
    gap = view.setting("overfit_gap", Config.overfit_gap)
    overfit = [r for r in view.records if r.params.get("model") == "seq2seq"
               and r.metric("test", "loss") - r.metric("train", "loss") > gap]
    if overfit:
        lines.append(f"Train loss well below test loss (gap > {gap} nats): "
                     + ", ".join(f"`{r.variant}` {r.metric('train', 'loss'):.2f} vs {r.metric('test', 'loss'):.2f}"
                                 for r in overfit)
                     + f"; {view.data_info['sizes']['train']:,} captions are a small corpus for translation.")
    lines += [verdict.sentence() for verdict in verdicts(view)]
    return lines


def verdicts(view) -> list:
    """The target (COURSE.md): attention beats the no-attention baseline, judged with the attention model
    chosen on validation BLEU. `value`: its test BLEU minus the baseline's (positive meets)."""
    from reports.conclusions import Verdict

    baseline = next((r for r in view.records if r.variant == "no-attention"), None)
    chosen = next(iter(VAL_BLEU.ranked([r for r in view.records if r.variant in ATTENTION_KINDS])), None)
    if baseline is None or chosen is None:
        return []
    ours, theirs = chosen.metric("test", "bleu"), baseline.metric("test", "bleu")
    gap = ours - theirs
    return [Verdict("attention beats the no-attention baseline", gap,
                    f"`{chosen.variant}`, chosen on validation BLEU, {ours:.2f} vs no attention {theirs:.2f} test "
                    f"BLEU, {gap:+.2f}", gap > 0, full_run=not view.quick)]
