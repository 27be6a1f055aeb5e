"""A trained translator on disk: its weights (`<stem>.weights.h5`) and what rebuilds it (`<stem>.json`:
the model's settings, both vocabularies and sequence lengths), so `nnlab translate` can load it
without the data set. Both files are written under a temporary name and renamed, so an interrupted
save never leaves a half-written model behind.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from keras_models.text import END, START, SentenceVectorizer
from nnlab.saved_models import save_model_files


@dataclass
class LoadedTranslator:
    model: object
    source: SentenceVectorizer
    target: SentenceVectorizer

    def translate(self, sentences: list[str], beam: int = 1) -> tuple[list[list[str]], list[list[str]], list]:
        """Translations (greedy with beam=1, else beam search): (output tokens per sentence, source
        tokens per sentence, attention weights per sentence as (output length + 1, source length)
        arrays, the last row for [end]; None without attention)."""
        import numpy as np
        from keras import ops

        from keras_models.seq2seq import beam_decode

        ids = self.source(sentences)
        start, end = self.target.id_of(START), self.target.id_of(END)
        tokens = beam_decode(self.model, ids, start, end, self.target.length, beam=beam)
        outputs = [self.target.words(row) for row in tokens]
        sources = [self.source.words(row) for row in ids]
        # the weights behind each output word: the decoder re-reads its own output, teacher-forced
        target_in = np.zeros((len(ids), tokens.shape[1]), np.int32)
        target_in[:, 0] = start
        target_in[:, 1:] = tokens[:, :-1]
        encoder_outputs, states, source_mask = self.model.encode(ids)
        _, _, weights = self.model.decode(target_in, encoder_outputs, source_mask, states)
        weights = None if weights is None else ops.convert_to_numpy(weights)
        attention = [None if weights is None else weights[i, :len(out) + 1, :len(src)]
                     for i, (out, src) in enumerate(zip(outputs, sources))]
        return outputs, sources, attention


def save_translator(stem: Path, model, source: SentenceVectorizer, target: SentenceVectorizer) -> Path:
    """Write `<stem>.weights.h5` and `<stem>.json`; returns the weights path."""
    blob = {"settings": model.settings, "source_length": source.length, "target_length": target.length,
            "source_vocabulary": source.vocabulary, "target_vocabulary": target.vocabulary}
    return save_model_files(stem, lambda path: model.save_weights(str(path)), blob, suffix=".weights.h5")


def load_translator(weights: Path) -> LoadedTranslator:
    """Rebuild the model and its vectorizers from the files `save_translator` wrote."""
    from keras_models.seq2seq import Translator

    weights = Path(weights)
    spec = json.loads(weights.with_name(weights.name.replace(".weights.h5", ".json")).read_text(encoding="utf-8"))
    source = SentenceVectorizer(spec["source_length"], vocabulary=spec["source_vocabulary"])
    target = SentenceVectorizer(spec["target_length"], vocabulary=spec["target_vocabulary"], targets=True)
    model = Translator(**spec["settings"])
    model((source(["a"]), target(["a"])[:, :-1]))  # build the weights before loading them
    model.load_weights(str(weights))
    return LoadedTranslator(model, source, target)
