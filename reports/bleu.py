"""BLEU for translation reports: corpus BLEU, a paired bootstrap of the gap between two systems, and
BLEU by source-sentence length.

Every score is sacreBLEU's corpus BLEU (0-100) with its standard 13a tokenisation, case-insensitive,
on detokenised output against the original references:

    BLEU = BP · exp(¼ Σ_{n=1..4} log p_n),   p_n = matched n-grams / output n-grams (summed over the corpus),
    BP = min(1, exp(1 − reference length / output length))

Because p_n and BP are built from sums over sentences, the per-sentence counts (`bleu_statistics`)
summed over any subset of sentences give that subset's corpus BLEU (`bleu_of`): that is what makes a
bootstrap over a thousand resamples cheap.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def corpus_bleu(hypotheses: list[str], references: list[str]) -> float:
    """sacreBLEU corpus BLEU (0-100), 13a tokenisation, case-insensitive."""
    import sacrebleu

    return float(sacrebleu.corpus_bleu(hypotheses, [references], lowercase=True).score)


def bleu_statistics(hypotheses: list[str], references: list[str]) -> np.ndarray:
    """Per sentence: matched and total n-grams for n = 1..4, output length, reference length (n, 10).
    Summed over any subset of sentences they give that subset's corpus BLEU (`bleu_of`)."""
    from sacrebleu.metrics import BLEU

    # effective_order only changes sentence *scores*, not these counts; it silences sacrebleu's warning
    scorer = BLEU(lowercase=True, effective_order=True)
    scores = [scorer.sentence_score(h, [r]) for h, r in zip(hypotheses, references)]
    return np.array([[*s.counts, *s.totals, s.sys_len, s.ref_len] for s in scores], dtype=np.int64)


def bleu_of(statistics: np.ndarray) -> float:
    """Corpus BLEU from summed `bleu_statistics` rows (equal to `corpus_bleu` on the same sentences)."""
    from sacrebleu.metrics import BLEU

    total = statistics.sum(axis=0)
    return float(BLEU.compute_bleu(total[:4].tolist(), total[4:8].tolist(), int(total[8]), int(total[9])).score)


def paired_bootstrap(a: list[str], b: list[str], references: list[str], resamples: int, seed: int) -> dict:
    """Resample test sentences with replacement; BLEU of a minus BLEU of b on each resample (Koehn 2004).
    Returns the mean gap, a 95% interval, the share of resamples where a beats b, and `resamples`."""
    rng = np.random.default_rng(seed)
    stats_a, stats_b = bleu_statistics(a, references), bleu_statistics(b, references)
    gaps = []
    for _ in range(resamples):
        pick = rng.integers(0, len(references), len(references))
        gaps.append(bleu_of(stats_a[pick]) - bleu_of(stats_b[pick]))
    gaps = np.array(gaps)
    return {"mean": float(gaps.mean()), "low": float(np.percentile(gaps, 2.5)),
            "high": float(np.percentile(gaps, 97.5)), "wins": float(np.mean(gaps > 0)), "resamples": resamples}


def length_bucket(words: int, buckets: Sequence[int]) -> str:
    """The name of the length group of a sentence of `words` words: buckets (8, 12) → '1-8', '9-12', '>12'."""
    edges = (0, *buckets)
    for low, high in zip(edges, buckets):
        if words <= high:
            return f"{low + 1}-{high}"
    return f">{buckets[-1]}"


def bucket_sizes(lengths: Sequence[int], buckets: Sequence[int]) -> dict[str, int]:
    """How many sentences of these `lengths` (in words) fall into each length group."""
    sizes: dict[str, int] = {}
    for words in lengths:
        name = length_bucket(words, buckets)
        sizes[name] = sizes.get(name, 0) + 1
    return sizes


def bleu_by_length(hypotheses: list[str], references: list[str], lengths: Sequence[int],
                   buckets: Sequence[int]) -> dict[str, float]:
    """Corpus BLEU of each length group, shortest first; a sentence's group comes from `lengths[i]`
    (its source sentence's length in words). Groups without sentences are left out."""
    groups: dict[str, list[int]] = {}
    for i, words in enumerate(lengths):
        groups.setdefault(length_bucket(words, buckets), []).append(i)
    order = [length_bucket(b, buckets) for b in buckets] + [f">{buckets[-1]}"]
    return {name: corpus_bleu([hypotheses[i] for i in groups[name]], [references[i] for i in groups[name]])
            for name in order if name in groups}
