"""Encoder-decoder translators in Keras 3: a recurrent encoder, a recurrent decoder, and optionally
attention between them (Bahdanau's additive score or Luong's multiplicative one).

Shapes: source token ids (B, S), target ids (B, T), 0 = padding. The encoder reads the source into
outputs h_1..h_S (B, S, units) and a final state; the decoder starts from that state and reads the
target shifted right ("[start] w_1 .. w_n", teacher forcing), giving states s_1..s_T (B, T, units).

* No attention: everything the decoder knows about the source has passed through the final encoder
  state, one vector of `units` numbers, whatever the sentence length.
* Attention (Luong et al. 2015's "global attention", computed on top of the decoder RNN): for each
  decoder state s_t, weights a_t = softmax_j score(s_t, h_j) over the source positions and a context
  c_t = sum_j a_tj h_j; the decoder predicts from tanh(W_c [s_t; c_t]).
    Bahdanau (additive, 2015):         score(s, h) = v . tanh(W_q s + W_k h)
    Luong "general" (multiplicative):  score(s, h) = (W s) . h
  Both sit on keras.layers.AdditiveAttention / keras.layers.Attention after Dense projections;
  tf_raw/attention.py writes the same formulas with TensorFlow ops and is tested equal to them.
  (Bahdanau's own decoder computes the context from s_{t-1} before the RNN step; scoring s_t after
  it, as here, keeps teacher-forced training one RNN call instead of a Python loop over time steps.)
The baseline gets the same tanh(W_c s_t) layer so that only the context differs between models.
"""
from __future__ import annotations

import keras
from keras import layers, ops

ATTENTION_KINDS = ("none", "bahdanau", "luong")


class LuongAttention(layers.Layer):
    """Multiplicative attention: weights softmax_j((W s_t) . h_j), context sum_j a_tj h_j."""

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # masks are passed explicitly; the one Keras attaches is not needed
        self.query_dense = layers.Dense(units, use_bias=False, name="query_dense")
        self.attention = layers.Attention(name="dot_attention")

    def call(self, query, keys, query_mask=None, value_mask=None):
        """query (B, T, d_q), keys (B, S, units) → context (B, T, units), weights (B, T, S)."""
        return self.attention([self.query_dense(query), keys], mask=[query_mask, value_mask],
                              return_attention_scores=True)


class BahdanauAttention(layers.Layer):
    """Additive attention: weights softmax_j(v . tanh(W_q s_t + W_k h_j)), context sum_j a_tj h_j."""

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.query_dense = layers.Dense(units, use_bias=False, name="query_dense")
        self.key_dense = layers.Dense(units, use_bias=False, name="key_dense")
        self.attention = layers.AdditiveAttention(use_scale=True, name="additive_attention")  # scale = v

    def call(self, query, keys, query_mask=None, value_mask=None):
        # Keras's input order is [query, value, key]: scores use the projected keys, the context
        # averages the encoder outputs themselves.
        return self.attention([self.query_dense(query), keys, self.key_dense(keys)],
                              mask=[query_mask, value_mask], return_attention_scores=True)


def _recurrent(cell: str, units: int, name: str) -> layers.Layer:
    kinds = {"gru": layers.GRU, "lstm": layers.LSTM}
    if cell not in kinds:
        raise ValueError(f"Expected cell 'gru' or 'lstm'. Received: {cell!r}")
    return kinds[cell](units, return_sequences=True, return_state=True, name=name)


@keras.saving.register_keras_serializable(package="nnlab")  # so `.keras` files load back (needs this import)
class Translator(keras.Model):
    """Encoder-decoder over token ids; `call((source, target_in))` returns logits (B, T, target_vocab)."""

    def __init__(self, source_vocab: int, target_vocab: int, *, embedding_dim: int = 128, units: int = 256,
                 attention: str = "none", cell: str = "gru", dropout: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        if attention not in ATTENTION_KINDS:
            raise ValueError(f"Expected attention in {ATTENTION_KINDS}. Received: {attention!r}")
        self.settings = {"source_vocab": source_vocab, "target_vocab": target_vocab,
                         "embedding_dim": embedding_dim, "units": units, "attention": attention,
                         "cell": cell, "dropout": dropout}
        self.source_embedding = layers.Embedding(source_vocab, embedding_dim, name="source_embedding")
        self.target_embedding = layers.Embedding(target_vocab, embedding_dim, name="target_embedding")
        self.encoder_rnn = _recurrent(cell, units, "encoder_rnn")
        self.decoder_rnn = _recurrent(cell, units, "decoder_rnn")
        self.attention = {"none": None, "bahdanau": BahdanauAttention, "luong": LuongAttention}[attention]
        if self.attention is not None:
            self.attention = self.attention(units, name=f"{attention}_attention")
        self.dropout = layers.Dropout(dropout)
        self.combine = layers.Dense(units, activation="tanh", name="combine")   # tanh(W_c [s_t; c_t])
        self.vocab_logits = layers.Dense(target_vocab, name="vocab_logits")

    def get_config(self):
        return {**super().get_config(), **self.settings}

    def encode(self, source, training=False):
        """source (B, S) → (outputs (B, S, units), final states list, source mask (B, S))."""
        mask = ops.not_equal(source, 0)
        embedded = self.dropout(self.source_embedding(source), training=training)
        outputs, *states = self.encoder_rnn(embedded, mask=mask, training=training)
        return outputs, states, mask

    def decode(self, target_in, encoder_outputs, source_mask, states, training=False):
        """target_in (B, T) → (logits (B, T, V), new states, attention weights (B, T, S) or None)."""
        target_mask = ops.not_equal(target_in, 0)
        embedded = self.dropout(self.target_embedding(target_in), training=training)
        decoded, *states = self.decoder_rnn(embedded, initial_state=states, mask=target_mask, training=training)
        weights = None
        if self.attention is not None:
            context, weights = self.attention(decoded, encoder_outputs, query_mask=target_mask,
                                              value_mask=source_mask)
            decoded = ops.concatenate([decoded, context], axis=-1)
        hidden = self.dropout(self.combine(decoded), training=training)
        return self.vocab_logits(hidden), states, weights

    def call(self, inputs, training=False):
        source, target_in = inputs
        encoder_outputs, states, source_mask = self.encode(source, training=training)
        logits, _, _ = self.decode(target_in, encoder_outputs, source_mask, states, training=training)
        return logits


class MaskedTokenAccuracy(keras.metrics.Metric):
    """Share of real target tokens (id != 0) whose largest logit is the true token, pooled over all
    tokens seen (not averaged per sentence). Any sample weight (such as the padding mask Keras
    derives from the decoder) is ignored: the padding rule is applied here."""

    def __init__(self, name: str = "token_accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.hits = self.add_variable(shape=(), initializer="zeros", name="hits")
        self.tokens = self.add_variable(shape=(), initializer="zeros", name="tokens")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, "int32")
        real = ops.cast(ops.not_equal(y_true, 0), "float32")
        hits = ops.cast(ops.equal(y_true, ops.cast(ops.argmax(y_pred, axis=-1), "int32")), "float32")
        self.hits.assign_add(ops.sum(hits * real))
        self.tokens.assign_add(ops.sum(real))

    def result(self):
        return self.hits / ops.maximum(self.tokens, 1.0)

    def reset_state(self):
        self.hits.assign(0.0)
        self.tokens.assign(0.0)


def translation_loss() -> keras.losses.Loss:
    """Token cross-entropy from logits, averaged over real target tokens only (padding id 0 ignored)."""
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)


def greedy_decode(model: Translator, source, start_id: int, end_id: int, max_length: int):
    """Translate a batch by always taking the most likely next token.

    source (B, S) ids → (tokens (B, max_length) ids without the start token, each row cut after its
    first `end_id` with zeros; attention weights (B, max_length, S), or None without attention).
    """
    import numpy as np

    encoder_outputs, states, source_mask = model.encode(source)
    batch = ops.shape(source)[0]
    token = ops.full((batch, 1), start_id, dtype="int32")
    tokens, weights = [], []
    for _ in range(max_length):
        logits, states, step_weights = model.decode(token, encoder_outputs, source_mask, states)
        token = ops.cast(ops.argmax(logits[:, -1, :], axis=-1), "int32")[:, None]
        tokens.append(ops.convert_to_numpy(token)[:, 0])
        if step_weights is not None:
            weights.append(ops.convert_to_numpy(step_weights)[:, 0, :])
        if all((np.stack(tokens, axis=1) == end_id).any(axis=1)):
            break
    tokens = np.stack(tokens, axis=1)
    ended = np.cumsum(tokens == end_id, axis=1) > 0
    after_end = np.concatenate([np.zeros((len(tokens), 1), bool), ended[:, :-1]], axis=1)
    tokens = np.where(after_end, 0, tokens)
    return tokens, (np.stack(weights, axis=1) if weights else None)


def beam_decode(model: Translator, source, start_id: int, end_id: int, max_length: int, beam: int = 4,
                length_alpha: float = 0.6):
    """Translate a batch keeping the `beam` most likely partial translations of each sentence.

    At every step each kept hypothesis is extended by every word; the `beam` best of the beam × vocab
    extensions (by summed log-probability) survive. A hypothesis that emits `end_id` is finished and
    keeps its score. The winner maximises log p / (length ** length_alpha): without that division,
    short translations always win because every extra word multiplies in a probability below 1
    (GNMT's length penalty takes the same idea further). beam=1 is greedy decoding.

    source (B, S) ids → tokens (B, max_length), each row cut after its first `end_id` with zeros.
    """
    import numpy as np

    encoder_outputs, states, source_mask = model.encode(source)
    batch = int(ops.shape(source)[0])
    # every sentence's encoder outputs and states repeated `beam` times: rows b*beam .. b*beam+beam-1
    repeat = np.repeat(np.arange(batch), beam)
    encoder_outputs, source_mask = ops.take(encoder_outputs, repeat, axis=0), ops.take(source_mask, repeat, axis=0)
    states = [ops.take(state, repeat, axis=0) for state in states]
    scores = np.full((batch, beam), -np.inf)
    scores[:, 0] = 0.0                     # start from one hypothesis per sentence, not `beam` copies of it
    tokens = np.zeros((batch, beam, 0), np.int32)
    finished = np.zeros((batch, beam), bool)
    token = np.full((batch * beam, 1), start_id, np.int32)
    for step in range(max_length):
        logits, states, _ = model.decode(token, encoder_outputs, source_mask, states)
        log_probs = ops.convert_to_numpy(ops.log_softmax(logits[:, -1, :], axis=-1)).reshape(batch, beam, -1)
        vocab = log_probs.shape[-1]
        # a finished hypothesis continues only with padding (id 0), at no cost
        log_probs[finished] = -np.inf
        log_probs[finished, 0] = 0.0
        total = (scores[..., None] + log_probs).reshape(batch, -1)
        best = np.argsort(-total, axis=1, kind="stable")[:, :beam]
        parent, word = best // vocab, (best % vocab).astype(np.int32)
        scores = np.take_along_axis(total, best, axis=1)
        tokens = np.concatenate([np.take_along_axis(tokens, parent[..., None], axis=1), word[..., None]], axis=2)
        finished = np.take_along_axis(finished, parent, axis=1) | (word == end_id)
        rows = (np.arange(batch)[:, None] * beam + parent).reshape(-1)
        states = [ops.take(state, rows, axis=0) for state in states]
        token = word.reshape(-1, 1)
        if finished.all():
            break
    lengths = np.maximum(np.count_nonzero(tokens, axis=2), 1)
    chosen = np.argmax(scores / lengths ** length_alpha, axis=1)
    out = tokens[np.arange(batch), chosen]
    ended = np.cumsum(out == end_id, axis=1) > 0
    after_end = np.concatenate([np.zeros((batch, 1), bool), ended[:, :-1]], axis=1)
    return np.where(after_end, 0, out)


def translate_ids(model: Translator, source_ids, target, beam: int = 1, batch: int = 128):
    """Translate source ids (N, S) in batches of `batch` sentences, greedy (beam=1) or by beam search.

    `target` is the keras_models.text.SentenceVectorizer of the target language. Returns (detokenised
    sentences, output words per sentence, attention weights per sentence (max_length, S) for greedy
    decoding with attention, else None per sentence).
    """
    from keras_models.text import END, START, detokenize

    start, end = target.id_of(START), target.id_of(END)
    outputs, weights = [], []
    for begin in range(0, len(source_ids), batch):
        chunk = source_ids[begin:begin + batch]
        if beam == 1:
            tokens, attention = greedy_decode(model, chunk, start, end, target.length)
        else:
            tokens, attention = beam_decode(model, chunk, start, end, target.length, beam=beam), None
        outputs += [target.words(row) for row in tokens]
        weights += [None] * len(tokens) if attention is None else list(attention)
    return [detokenize(words) for words in outputs], outputs, weights
