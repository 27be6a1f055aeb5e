"""Sentences to token ids and back, with keras.layers.TextVectorization.

Standardisation happens in Python (`standardize`), before the layer sees the text, so that the
same function serves training, evaluation and `nnlab translate`, on any backend: lower case, and
punctuation split off as tokens of its own ("Hund." → "hund ."), so "hund" and "hund." share one
vocabulary entry. Letters are Unicode letters: ä, ö, ü and ß stay inside their words.
The layer then splits on whitespace and maps words to ids by frequency: 0 is padding, 1 is
"[UNK]" (words outside the `max_tokens - 2` most frequent ones of the training text).
"""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np

START, END, UNKNOWN = "[start]", "[end]", "[UNK]"
_PUNCTUATION = re.compile(r"([^\w\s]|_)")


def standardize(sentence: str) -> str:
    """'Ein Hund läuft.' → 'ein hund läuft .'"""
    return " ".join(_PUNCTUATION.sub(r" \1 ", sentence.lower()).split())


def detokenize(tokens: Sequence[str]) -> str:
    """Tokens back into a sentence: punctuation that closes a word sticks to it ('läuft .' → 'läuft.')."""
    return re.sub(r" ([.,!?;:)])", r"\1", " ".join(tokens)).replace("( ", "(")


class SentenceVectorizer:
    """A TextVectorization layer over standardised text; `targets=True` wraps every sentence in
    [start] ... [end], as the decoder needs."""

    def __init__(self, length: int, *, max_tokens: int | None = None, vocabulary: Sequence[str] | None = None,
                 targets: bool = False):
        import keras

        self.length, self.targets = length, targets
        self._vocabulary: list[str] | None = None
        self.layer = keras.layers.TextVectorization(
            max_tokens=max_tokens, standardize=None, split="whitespace", output_mode="int",
            output_sequence_length=length, vocabulary=list(vocabulary) if vocabulary is not None else None)

    def prepare(self, sentences: Sequence[str]) -> list[str]:
        cleaned = [standardize(s) for s in sentences]
        return [f"{START} {s} {END}" for s in cleaned] if self.targets else cleaned

    def adapt(self, sentences: Sequence[str]) -> "SentenceVectorizer":
        """Learn the vocabulary from these (training) sentences only."""
        self.layer.adapt(np.array(self.prepare(sentences), dtype=object))
        self._vocabulary = None
        return self

    def __call__(self, sentences: Sequence[str]) -> np.ndarray:
        """(n,) sentences → (n, length) int32 ids, padded with 0 or cut at `length` tokens."""
        from keras import ops

        ids = self.layer(np.array(self.prepare(sentences), dtype=object))
        return ops.convert_to_numpy(ids).astype(np.int32)

    @property
    def vocabulary(self) -> list[str]:
        if self._vocabulary is None:
            self._vocabulary = [str(word) for word in self.layer.get_vocabulary()]
        return self._vocabulary

    def id_of(self, token: str) -> int:
        return self.vocabulary.index(token)

    def words(self, ids: Sequence[int]) -> list[str]:
        """Ids back to tokens, stopping at padding (0) or [end]."""
        vocabulary, out = self.vocabulary, []
        for i in ids:
            if i == 0 or vocabulary[i] == END:
                break
            out.append(vocabulary[i])
        return out
