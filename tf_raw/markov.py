"""Next-symbol baselines in NumPy: Markov chains of order 0 (unigram), 1 and 2 with smoothing, and
repeat-the-last-symbol. Each gives a full distribution over the V symbols for every position of a
sequence, so its negative log-likelihood is comparable with a network's softmax.

Sequences are START-padded on the left (symbol 0, as in tf_raw/notes.py), so the first symbols of a
sequence are predicted too, from contexts that say "the tune begins here".

Smoothing: a context seen rarely says little, so its counts are pulled toward the next-lower order
(a Dirichlet prior with mean p_{k−1} and weight αV, MacKay & Peto 1995):

    p_k(x | c) = (N(c, x) + α V p_{k−1}(x | c')) / (N(c) + α V),     c' = c without its oldest symbol,
    p_{−1}(x) = 1 / V.

A context never seen (N(c) = 0) falls back to p_{k−1} entirely; a context seen often keeps its own
counts. Every distribution sums to 1 by construction (both the counts and the prior do).
"""
from __future__ import annotations

import numpy as np

START = 0


def contexts(sequence: np.ndarray, order: int) -> np.ndarray:
    """(n,) → (n, order): for each position the `order` symbols before it, START-padded, oldest first."""
    sequence = np.asarray(sequence, dtype=np.int64)
    padded = np.concatenate([np.full(order, START, np.int64), sequence])
    return padded[np.arange(len(sequence))[:, None] + np.arange(order)[None, :]]


class MarkovChain:
    """P(x_t | x_{t−order} .. x_{t−1}) over symbols 0..V−1, with counts in dense arrays: order k keeps
    V^(k+1) counts (129 pitches, order 2: 2.1 M), so it suits the small vocabularies of melodies."""

    def __init__(self, order: int, n_symbols: int, alpha: float = 1.0):
        if order < 0:
            raise ValueError(f"Expected an order ≥ 0. Received: {order}")
        self.order, self.n_symbols, self.alpha = order, n_symbols, alpha
        self.counts: list[np.ndarray] = []   # counts[k][c_1 .. c_k, x], k = 0..order

    def fit(self, sequences) -> MarkovChain:
        """Count every (context, symbol) of the sequences, at every order up to `order`."""
        v = self.n_symbols
        self.counts = [np.zeros((v,) * (k + 1), np.int64) for k in range(self.order + 1)]
        for sequence in sequences:
            sequence = np.asarray(sequence, dtype=np.int64)
            full = contexts(sequence, self.order)
            for k in range(self.order + 1):
                index = tuple(full[:, self.order - k:].T) + (sequence,)
                np.add.at(self.counts[k], index, 1)
        return self

    def probabilities(self, context: np.ndarray) -> np.ndarray:
        """(m, order) contexts, oldest first → (m, V) smoothed next-symbol distributions."""
        context = np.asarray(context, dtype=np.int64)
        if context.ndim != 2 or context.shape[1] != self.order:
            raise ValueError(f"Expected contexts of shape (m, {self.order}). Received: {context.shape}")
        v, a = self.n_symbols, self.alpha
        p = np.full((len(context), v), 1.0 / v)
        for k in range(self.order + 1):
            # counts after each context (m, V); order 0 has one context for every row
            seen = np.broadcast_to(self.counts[k][tuple(context[:, self.order - k:].T)], p.shape)
            p = (seen + a * v * p) / (seen.sum(axis=1, keepdims=True) + a * v)
        return p

    def sequence_probabilities(self, sequence: np.ndarray) -> np.ndarray:
        """(n,) → (n, V): the distribution the chain gives each position of the sequence."""
        return self.probabilities(contexts(sequence, self.order))


class RepeatLast:
    """"The next symbol is the last one again" as a distribution: p(last) = θ, the share of repeats in
    training, the other V − 1 symbols share 1 − θ; with no last symbol (START) it is uniform."""

    def __init__(self, n_symbols: int):
        self.n_symbols = n_symbols
        self.repeat = 0.5

    def fit(self, sequences) -> RepeatLast:
        pairs = [(np.asarray(s)[1:] == np.asarray(s)[:-1]) for s in sequences if len(s) > 1]
        same = np.concatenate(pairs) if pairs else np.zeros(0, bool)
        self.repeat = float(np.clip(same.mean() if len(same) else 0.5, 1e-6, 1 - 1e-6))
        return self

    def sequence_probabilities(self, sequence: np.ndarray) -> np.ndarray:
        last = contexts(sequence, 1)[:, 0]
        v = self.n_symbols
        p = np.full((len(last), v), (1.0 - self.repeat) / (v - 1))
        p[np.arange(len(last)), last] = self.repeat
        p[last == START] = 1.0 / v
        return p


def negative_log_likelihood(probabilities: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """−ln p(target) per position, nats: (n, V), (n,) → (n,)."""
    return -np.log(np.clip(probabilities[np.arange(len(targets)), targets], 1e-12, None))
