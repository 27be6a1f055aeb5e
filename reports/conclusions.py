"""Sentences computed from the numbers: which variant won, by how much, what hurt, what trend.

Nothing here is written before a run: every sentence is a template filled from records, and a
template that does not apply (two variants, no numeric parameter, no overfitting) is left out.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

from reports.store import VariantRecord


@dataclass(frozen=True)
class Score:
    """How to read one number off a record: what it is called, its direction, how to print it."""

    label: str
    get: Callable[[VariantRecord], float]
    higher_is_better: bool = True
    as_percent: bool = True

    def show(self, value: float) -> str:
        return f"{100 * value:.2f}%" if self.as_percent else f"{value:.4g}"

    def gap(self, a: float, b: float) -> str:
        """|a - b| in points (percent scores) or in the score's own unit."""
        d = abs(a - b)
        return f"{100 * d:.2f} points" if self.as_percent else f"{d:.4g}"

    def ranked(self, records: Sequence[VariantRecord]) -> list[VariantRecord]:
        usable = [r for r in records if not math.isnan(self.get(r))]
        return sorted(usable, key=self.get, reverse=self.higher_is_better)


TEST_ACCURACY = Score("test accuracy", lambda r: r.metric("test", "accuracy"))


def experiment_findings(title: str, records: Sequence[VariantRecord], score: Score = TEST_ACCURACY, *,
                        baseline: VariantRecord | None = None, trend_param: str | None = None,
                        trend_label: str | None = None) -> list[str]:
    """Findings for one experiment: winner and margins, the weakest variant, a trend, overfitting."""
    ranked = score.ranked(records)
    if not ranked:
        return []
    best = ranked[0]
    sentence = f"In **{title}**, `{best.variant}` scored best: {score.show(score.get(best))} {score.label}"
    extras = []
    if len(ranked) > 1:
        second = ranked[1]
        extras.append(f"{score.gap(score.get(best), score.get(second))} ahead of the runner-up `{second.variant}`")
    if baseline is not None and not math.isnan(score.get(baseline)):
        extras.append(f"{score.gap(score.get(best), score.get(baseline))} better than the baseline "
                      f"`{baseline.variant}` ({score.show(score.get(baseline))})")
    findings = [sentence + (", " + " and ".join(extras) if extras else "") + "."]
    if len(ranked) > 2:
        worst = ranked[-1]
        findings.append(f"What hurt most in {title}: `{worst.variant}` at {score.show(score.get(worst))}, "
                        f"{score.gap(score.get(best), score.get(worst))} behind the best.")
    if trend_param:
        trend = describe_trend(records, trend_param, score, trend_label or trend_param)
        if trend:
            findings.append(trend)
    gap = overfitting(records)
    if gap:
        findings.append(gap)
    return findings


def describe_trend(records: Sequence[VariantRecord], param: str, score: Score, label: str) -> str | None:
    """How the score moves as a numeric parameter grows: steadily up/down, a peak, or no clear order."""
    points = sorted((r.params[param], score.get(r)) for r in records
                    if isinstance(r.params.get(param), (int, float)) and not math.isnan(score.get(r)))
    if len(points) < 3:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    steps = [b - a for a, b in zip(ys, ys[1:])]
    span = f"from {xs[0]} to {xs[-1]}"
    if all(s > 0 for s in steps):
        return f"{score.label.capitalize()} rose with every increase of {label} ({span}): " \
               f"{score.show(ys[0])} → {score.show(ys[-1])}."
    if all(s < 0 for s in steps):
        return f"{score.label.capitalize()} fell with every increase of {label} ({span}): " \
               f"{score.show(ys[0])} → {score.show(ys[-1])}."
    peak = max(range(len(ys)), key=lambda i: ys[i] if score.higher_is_better else -ys[i])
    if 0 < peak < len(ys) - 1:
        return (f"{score.label.capitalize()} was best at {label} = {xs[peak]} ({score.show(ys[peak])}) and did "
                f"not improve beyond it ({span}: {score.show(ys[0])} → {score.show(ys[-1])}).")
    direction = "higher" if (ys[-1] > ys[0]) == score.higher_is_better else "lower"
    return (f"{score.label.capitalize()} did not move monotonically with {label} ({span}), but ended "
            f"{direction}: {score.show(ys[0])} → {score.show(ys[-1])}.")


def overfitting(records: Sequence[VariantRecord], threshold: float = 0.02) -> str | None:
    """The largest train-minus-test accuracy gap, if it exceeds `threshold`."""
    gaps = [(r.metric("train", "accuracy") - r.metric("test", "accuracy"), r) for r in records]
    gaps = [(g, r) for g, r in gaps if not math.isnan(g)]
    if not gaps:
        return None
    gap, record = max(gaps, key=lambda item: item[0])
    if gap <= threshold:
        return None
    return (f"The widest train–test gap is `{record.variant}`'s: {100 * record.metric('train', 'accuracy'):.2f}% "
            f"train vs {100 * record.metric('test', 'accuracy'):.2f}% test ({100 * gap:.2f} points), "
            f"the clearest sign of overfitting here.")


def target_check(value: float, target: float, score: Score, *, full_run: bool) -> str:
    """Whether the lesson's acceptance target is met (only a full run counts)."""
    met = value >= target if score.higher_is_better else value <= target
    if not full_run:
        return (f"Target ({score.label} {'≥' if score.higher_is_better else '≤'} {score.show(target)}) applies to "
                f"a full run; this quick run reached {score.show(value)}.")
    return (f"Target {score.label} {'≥' if score.higher_is_better else '≤'} {score.show(target)}: "
            f"{'met' if met else 'NOT met'} ({score.show(value)}).")
