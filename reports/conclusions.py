"""Sentences computed from the numbers: which variant won, by how much, what hurt, what trend.

Nothing here is written before a run: every sentence is a template filled from records, and a
template that does not apply (two variants, no numeric parameter, no overfitting) is left out.
"""
from __future__ import annotations

import math
import statistics
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
                        trend_label: str | None = None, noise: float | None = None) -> list[str]:
    """Findings for one experiment: winner and margins, the weakest variant, a trend, overfitting.

    `noise` is the score's own uncertainty (e.g. `sampling_error`): a lead smaller than it is reported
    as one the data cannot tell apart, not as a win.
    """
    ranked = score.ranked(records)
    if not ranked:
        return []
    best = ranked[0]
    sentence = f"In **{title}**, `{best.variant}` scored best: {score.show(score.get(best))} {score.label}"
    extras = []
    if len(ranked) > 1:
        second = ranked[1]
        if score.get(second) == score.get(best):
            sentence = sentence.replace("scored best", "scored best (tied)")
            extras.append(f"the same as `{second.variant}`")
        else:
            lead = abs(score.get(best) - score.get(second))
            extras.append(f"{score.gap(score.get(best), score.get(second))} ahead of the runner-up "
                          f"`{second.variant}`" + (
                              f" (less than the test set's sampling error of ±{score.gap(noise, 0)}: "
                              f"a tie as far as this test set can tell)" if noise and lead < noise else ""))
    if baseline is not None and not math.isnan(score.get(baseline)):
        ahead = (score.get(best) >= score.get(baseline)) == score.higher_is_better
        extras.append(f"{score.gap(score.get(best), score.get(baseline))} {'better' if ahead else 'worse'} "
                      f"than the baseline "
                      f"`{baseline.variant}` ({score.show(score.get(baseline))})")
    findings = [sentence + (", " + " and ".join(extras) if extras else "") + "."]
    if len(ranked) > 2 and score.get(ranked[-1]) != score.get(best):
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


def sampling_error(accuracy: float, n: int) -> float:
    """Standard error of an accuracy measured on n independent examples: sqrt(p (1 - p) / n)."""
    return math.sqrt(max(accuracy * (1 - accuracy), 0.0) / max(n, 1))


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
    """The largest train-minus-test accuracy gap, if it exceeds `threshold`.

    Only variants that fit their training data at least as well as the best variant generalises are
    considered: a model that failed to learn also has a gap, but that is underfitting, not overfitting.
    """
    tests = [r.metric("test", "accuracy") for r in records if not math.isnan(r.metric("test", "accuracy"))]
    if not tests:
        return None
    gaps = [(r.metric("train", "accuracy") - r.metric("test", "accuracy"), r) for r in records
            if r.metric("train", "accuracy") >= max(tests)]
    gaps = [(g, r) for g, r in gaps if not math.isnan(g)]
    if not gaps:
        return None
    gap, record = max(gaps, key=lambda item: item[0])
    if gap <= threshold:
        return None
    return (f"The widest train–test gap is `{record.variant}`'s: {100 * record.metric('train', 'accuracy'):.2f}% "
            f"train vs {100 * record.metric('test', 'accuracy'):.2f}% test ({100 * gap:.2f} points), "
            f"the clearest sign of overfitting here.")


@dataclass(frozen=True)
class Verdict:
    """A lesson's acceptance target (COURSE.md) judged on the recorded numbers: the headline of its report's
    conclusions and its row of the course index (`reports.index`). Only a full run is judged.

    A lesson states its targets in `verdicts(view) -> [Verdict]`, the first being its headline; its
    conclusions print `verdict.sentence()`, so the report and the index say the same thing."""

    target: str          # the claim, e.g. "test accuracy ≥ 93.00%"
    value: float         # the figure that meets or misses it, comparable between runs (e.g. 0.9371)
    shown: str           # how a reader reads it, e.g. "93.71%, `vgg-x1+batch-norm`"
    met: bool
    full_run: bool = True
    percent: bool = False  # value is a fraction shown as a percentage

    def format(self, value: float) -> str:
        return f"{100 * value:.2f}%" if self.percent else f"{value:.4g}"

    @property
    def status(self) -> str:
        if not self.full_run:
            return "not judged (quick run)"
        return "met" if self.met else "missed"

    def sentence(self) -> str:
        if not self.full_run:
            return f"Target ({self.target}) applies to a full run; this quick run: {self.shown}."
        return f"Target ({self.target}): {'met' if self.met else 'NOT met'} ({self.shown})."


def target_verdict(value: float, target: float, score: Score, *, full_run: bool, claim: str | None = None,
                   detail: str = "") -> Verdict:
    """Whether `value` reaches `target` on `score` (≥ when higher is better, else ≤)."""
    met = value >= target if score.higher_is_better else value <= target
    claim = claim or score.label
    shown = score.show(value) + (f", {detail}" if detail else "")
    return Verdict(f"{claim} {'≥' if score.higher_is_better else '≤'} {score.show(target)}", value, shown, met,
                   full_run, score.as_percent)


def target_check(value: float, target: float, score: Score, *, full_run: bool) -> str:
    """Whether the lesson's acceptance target is met (only a full run counts), as a sentence."""
    return target_verdict(value, target, score, full_run=full_run).sentence()


def spread_note(records: Sequence[VariantRecord], split: str = "test") -> list[str]:
    """How much accuracy moved between seeds (records trained over several seeds keep `<split>_accuracy_std`)."""
    spreads = [(r.info[f"{split}_accuracy_std"], r) for r in records
               if f"{split}_accuracy_std" in r.info and len(r.info.get("seeds", [])) > 1]
    if not spreads:
        return []
    widest, record = max(spreads, key=lambda item: item[0])
    typical = statistics.median(spread for spread, _ in spreads)
    return [f"Seed spread ({split} accuracy, one std over {len(record.info['seeds'])} seeds): typically "
            f"±{100 * typical:.2f} points (median over {len(spreads)} variants), at most ±{100 * widest:.2f} "
            f"(`{record.variant}`); gaps of about the typical spread or less are within noise."]


def changes_against(reference: VariantRecord, records: Sequence[VariantRecord], score: Score = TEST_ACCURACY,
                    *, describe: Callable[[VariantRecord], str] = lambda r: f"`{r.variant}`",
                    noise: Callable[[VariantRecord], float] = lambda r: 0.0) -> list[str]:
    """What raised and what lowered the score relative to `reference` (e.g. the lesson's starting model).

    A change counts only when it exceeds noise(reference) + noise(variant) (e.g. their seed std);
    the rest is listed as within noise. Each list is ordered by the size of the change.
    """
    base = score.get(reference)
    raised, lowered, same = [], [], []
    for record in records:
        delta = score.get(record) - base
        if math.isnan(delta) or record is reference:
            continue
        better = delta > 0 if score.higher_is_better else delta < 0
        signed = f"{'+' if delta > 0 else '−'}{score.gap(score.get(record), base)}"
        entry = (abs(delta), f"{describe(record)} ({score.show(score.get(record))}, {signed})")
        if abs(delta) <= noise(reference) + noise(record):
            same.append(entry)
        else:
            (raised if better else lowered).append(entry)
    lines = []
    for verb, entries in (("raised", raised), ("lowered", lowered)):
        if entries:
            listed = "; ".join(text for _, text in sorted(entries, reverse=True))
            lines.append(f"What {verb} {score.label} against `{reference.variant}` "
                         f"({score.show(base)}): {listed}.")
    if same:
        listed = "; ".join(text for _, text in sorted(same, reverse=True))
        lines.append(f"Within the seed noise of `{reference.variant}`: {listed}.")
    return lines
