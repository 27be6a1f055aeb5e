"""Networks against classical peers: the peer table columns and the verdict a conclusion states.

The headline network and each peer's configuration are chosen on validation (or by a rule fixed before
the run), never on test; their test scores are then compared. The verdict is one of three:

    wins    the network is better by more than `noise` (e.g. 1.96 × the paired standard error)
    ties    the gap is within `noise`: this test set cannot tell them apart
    loses   the peer is better by more than `noise`

and the ratio is net / peer for an error (below 1: the net is better) and peer error / net error for
an accuracy, error = 1 − accuracy (above 1: the net is better), as bench/peers.py prints it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from reports.conclusions import TEST_ACCURACY, Score
from reports.store import VariantRecord
from reports.tables import count

PEER_COLUMNS = {
    "estimator": lambda r: r.info.get("estimator", "–"),
    "chosen on validation": lambda r: ", ".join(f"{k}={v}" for k, v in (r.info.get("chosen") or {}).items()) or "defaults",
    "train rows": lambda r: count(r.info["train_rows"]) if "train_rows" in r.info else "–",
}


VAL_ACCURACY = Score("validation accuracy", lambda r: r.metric("val", "accuracy"))


def chosen_on(select: Score, records: Sequence[VariantRecord]) -> VariantRecord | None:
    """The record `select` (a validation score) ranks first, or None."""
    return next(iter(select.ranked(records)), None)


def paired_standard_error(net_losses: np.ndarray, peer_losses: np.ndarray) -> float:
    """Standard error of mean(net − peer) over the same test examples: std(d, ddof=1) / sqrt(n).

    Per-example losses (0/1 errors, absolute errors) of two models on one test set are correlated; the
    paired difference's spread, not each score's own, says whether their gap is noise.
    """
    d = np.asarray(net_losses, dtype=float) - np.asarray(peer_losses, dtype=float)
    return float(np.std(d, ddof=1) / math.sqrt(len(d))) if len(d) > 1 else 0.0


@dataclass(frozen=True)
class Showdown:
    """The headline network against the best peer on one test score; `noise` is the tie band (or None)."""

    net: VariantRecord
    peer: VariantRecord
    score: Score
    noise: float | None = None
    rule: str = "both chosen on validation"
    peer_role: str = "the best peer"
    band: str = "this test set can resolve"   # what the noise band is, as the sentence says it

    @property
    def gap(self) -> float:
        """How much better the network is (negative: worse), in the score's unit."""
        d = self.score.get(self.net) - self.score.get(self.peer)
        return d if self.score.higher_is_better else -d

    @property
    def verdict(self) -> str:
        if self.noise is not None and abs(self.gap) <= self.noise:
            return "ties"
        return "wins" if self.gap > 0 else "loses"

    @property
    def ratio(self) -> float:
        """net / peer for an error; peer error / net error for an accuracy (error = 1 − accuracy)."""
        net, peer = self.score.get(self.net), self.score.get(self.peer)
        if self.score.higher_is_better:
            return (1 - peer) / (1 - net) if net < 1 else math.inf
        return net / peer if peer else math.inf

    def sentence(self) -> str:
        s = self.score
        head = (f"Network against classical peers ({self.rule}): `{self.net.variant}` {s.show(s.get(self.net))} "
                f"{s.label} against {self.peer_role} `{self.peer.variant}` at {s.show(s.get(self.peer))}")
        band = f"±{s.gap(self.noise, 0)}" if self.noise is not None else None
        if self.verdict == "ties":
            return head + (f": a tie, the gap of {s.gap(s.get(self.net), s.get(self.peer))} is within the {band} "
                           f"{self.band}.")
        side = "the network wins" if self.verdict == "wins" else "the peer wins"
        return (head + f": {side} by {s.gap(s.get(self.net), s.get(self.peer))}"
                + (f" (beyond the {band} {self.band})" if band else " (no error bar: one seed)")
                + f"; ratio {self.ratio:.2f} ({'net / peer' if not s.higher_is_better else 'peer error / net error'}).")


def peer_lines(peers: Sequence[VariantRecord], score: Score, chosen_by: str = "each configured on validation"
               ) -> list[str]:
    """One line listing every peer's test score and the settings `chosen_by` chose for it."""
    if not peers:
        return []
    listed = "; ".join(f"`{r.variant}` {score.show(score.get(r))}"
                       + (f" ({', '.join(f'{k}={v}' for k, v in r.info['chosen'].items())})"
                          if r.info.get("chosen") else "") for r in peers)
    return [f"Classical peers, {chosen_by}, {score.label}: {listed}."]


def classification_showdown(view, nets: Sequence[VariantRecord], peers: Sequence[VariantRecord],
                            score: Score = TEST_ACCURACY, select: Score = VAL_ACCURACY) -> Showdown | None:
    """The network and the peer `select` ranks first, compared on `score`; the tie band is 1.96 × the
    paired standard error of their 0/1 errors on the test images (from their stored test predictions)."""
    net, peer = chosen_on(select, nets), chosen_on(select, peers)
    if net is None or peer is None:
        return None
    truth = view.artifact(net, "test_true")
    predicted = [view.artifact(r, "test_pred") for r in (net, peer)]
    if truth is None or any(p is None for p in predicted):
        return Showdown(net, peer, score)
    errors = [np.asarray(p) != np.asarray(truth) for p in predicted]
    return Showdown(net, peer, score, 1.96 * paired_standard_error(*errors))


def peer_section(peers: Sequence[VariantRecord], baseline: VariantRecord | Sequence[VariantRecord] | None = None,
                 *, metric_columns: dict | None = None, formats: dict | None = None) -> str:
    """The peers' table (baseline rows first): estimator, the settings validation chose, rows fitted on,
    the scores (accuracy columns unless `metric_columns`), time."""
    from reports.classification import variant_table

    text = ("## Classical peers\n\nWhat a practitioner tries before a network, on the same split in the same "
            "run: each estimator fitted on the training rows with every candidate setting, the one with the best "
            "validation score kept (*chosen on validation*). *train rows* says when a peer fitted on a subset; "
            "its train score is on that subset.")
    if not peers:
        return text + "\n\n*No finished peers recorded yet.*"
    return text + "\n\n" + variant_table(peers, PEER_COLUMNS, baseline, metric_columns=metric_columns,
                                         formats=formats)
