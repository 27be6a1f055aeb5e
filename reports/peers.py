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

from reports.conclusions import Score
from reports.store import VariantRecord
from reports.tables import count

PEER_COLUMNS = {
    "estimator": lambda r: r.info.get("estimator", "–"),
    "chosen on validation": lambda r: ", ".join(f"{k}={v}" for k, v in (r.info.get("chosen") or {}).items()) or "defaults",
    "train rows": lambda r: count(r.info["train_rows"]) if "train_rows" in r.info else "–",
}


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
                f"{s.label} against the best peer `{self.peer.variant}` at {s.show(s.get(self.peer))}")
        band = f"±{s.gap(self.noise, 0)}" if self.noise is not None else None
        if self.verdict == "ties":
            return head + (f": a tie, the gap of {s.gap(s.get(self.net), s.get(self.peer))} is within the {band} "
                           f"this test set can resolve.")
        side = "the network wins" if self.verdict == "wins" else "the peer wins"
        return (head + f": {side} by {s.gap(s.get(self.net), s.get(self.peer))}"
                + (f" (beyond the {band} this test set can resolve)" if band else " (no error bar: one seed)")
                + f"; ratio {self.ratio:.2f} ({'net / peer' if not s.higher_is_better else 'peer error / net error'}).")


def peer_lines(peers: Sequence[VariantRecord], score: Score) -> list[str]:
    """One line listing every peer's test score and the settings validation chose for it."""
    if not peers:
        return []
    listed = "; ".join(f"`{r.variant}` {score.show(score.get(r))}"
                       + (f" ({', '.join(f'{k}={v}' for k, v in r.info['chosen'].items())})"
                          if r.info.get("chosen") else "") for r in peers)
    return [f"Classical peers, each configured on validation, {score.label}: {listed}."]
