"""The report's Search section: Keras Tuner trials beside the lesson's hand-made grid."""
from __future__ import annotations

import math
from collections import OrderedDict

from reports import plots
from reports.report import SEARCH_PREFIX, ReportView
from reports.store import VariantRecord
from reports.tables import count, markdown_table, number, percent


def search_sections(view: ReportView) -> list[str]:
    trials: OrderedDict[str, list[VariantRecord]] = OrderedDict()
    best: dict[str, VariantRecord] = {}
    for record in sorted(view.search, key=lambda r: r.started_at):
        tuner = record.experiment[len(SEARCH_PREFIX):]
        if tuner.endswith(":best"):
            best[tuner[:-len(":best")]] = record
        else:
            trials.setdefault(tuner, []).append(record)
    return [tuner_section(view, tuner, records, best.get(tuner)) for tuner, records in trials.items()]


def val_score(record: VariantRecord) -> float:
    return record.metric("val", "accuracy")


def tuner_section(view: ReportView, tuner: str, records: list[VariantRecord], best: VariantRecord | None) -> str:
    ranked = sorted(records, key=lambda r: -val_score(r) if not math.isnan(val_score(r)) else math.inf)
    names = sorted({name for r in records for name in r.params})
    rows = []
    for rank, record in enumerate(ranked, 1):
        row = {"rank": rank, "trial": record.info.get("trial_id", record.variant)}
        row.update({name: record.params.get(name) for name in names})
        row.update({"val acc": val_score(record), "train acc": record.metric("train", "accuracy"),
                    "epochs": record.info.get("epochs_run"), "wall s": record.wall_seconds,
                    "worker": record.info.get("worker", "solo")})
        rows.append(row)
    fmt = {"val acc": percent, "train acc": percent, "epochs": count, "wall s": lambda v: number(v, 1)}
    fmt.update({name: _hp for name in names})
    parts = [f"## Search: Keras Tuner `{tuner}`",
             f"{len(records)} finished trials, objective val_accuracy (best epoch of each trial), sorted by it.",
             markdown_table(rows, formats=fmt)]
    top = ranked[0]
    parts.append("Best configuration (trial " + str(top.info.get("trial_id")) + "): "
                 + ", ".join(f"`{k}` = {_hp(v)}" for k, v in sorted(top.params.items())) + ".")
    path = plots.search_progress([val_score(r) for r in records], view.figure(f"search_{tuner}.png"),
                                 title=f"{tuner} search: validation accuracy per trial", ylabel="val accuracy")
    parts.append(view.image(path, f"{tuner} search progress"))
    # the lesson's own networks: neither its baselines nor its classical peers (experiment "peers")
    hand_made = [r for r in view.records if r.experiment not in ("baseline", "peers")
                 and not math.isnan(r.metric("val", "accuracy"))]
    if best is not None:
        line = (f"Retrained on the training split as the lesson trains, the best configuration scores "
                f"**{percent(best.metric('test', 'accuracy'))}** test accuracy "
                f"(validation {percent(best.metric('val', 'accuracy'))}).")
        if hand_made:
            # chosen on validation, as the search's best is: the test accuracy chooses neither
            top_hand = max(hand_made, key=lambda r: r.metric("val", "accuracy"))
            delta = best.metric("test", "accuracy") - top_hand.metric("test", "accuracy")
            line += (f" The hand-made variant with the best validation accuracy, `{top_hand.variant}`, scored "
                     f"{percent(top_hand.metric('test', 'accuracy'))}: the search is "
                     f"{100 * abs(delta):.2f} points {'ahead' if delta >= 0 else 'behind'}.")
        parts.append(line)
    return "\n\n".join(parts)


def _hp(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return "–" if value is None else str(value)
