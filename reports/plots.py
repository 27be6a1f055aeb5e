"""PNG figures for reports: one idea per figure, labelled axes, a title that says what to see."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")  # files only; no display is needed or wanted
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402


def _set_title(ax, title: str) -> None:
    """The title, wrapped to the figure's width (a long one would otherwise run past the edge)."""
    chars_per_line = max(20, int(ax.figure.get_figwidth() * 11))
    ax.set_title(textwrap.fill(title, chars_per_line))


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def learning_curves(curves: dict[str, dict[str, list[float]]], path: Path, *, metric: str = "accuracy",
                    title: str, ylabel: str | None = None) -> Path:
    """Per variant: validation `metric` per epoch (solid) and training `metric` (dashed, same colour)."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for i, (name, history) in enumerate(curves.items()):
        colour = f"C{i % 10}"
        if f"val_{metric}" in history:
            values = history[f"val_{metric}"]
            ax.plot(range(1, len(values) + 1), values, color=colour, marker="o", ms=3, label=f"{name} (val)")
        if metric in history:
            values = history[metric]
            ax.plot(range(1, len(values) + 1), values, color=colour, ls="--", alpha=0.6)
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(ylabel or metric)
    _set_title(ax, title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2, title="solid: validation, dashed: train", title_fontsize=8)
    return _save(fig, path)


def confusion_heatmap(matrix: np.ndarray, class_names: Sequence[str], path: Path, *, title: str) -> Path:
    """Row-normalised confusion matrix (each true class sums to 1) with the counts written in."""
    matrix = np.asarray(matrix)
    rates = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    image = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ticks = range(len(class_names))
    ax.set_xticks(ticks, class_names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(ticks, class_names, fontsize=8)
    for i in ticks:
        for j in ticks:
            if matrix[i, j]:
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if rates[i, j] > 0.5 else "black")
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    _set_title(ax, title)
    fig.colorbar(image, ax=ax, label="share of the true class")
    return _save(fig, path)


def bars(labels: Sequence[str], values: Sequence[float], path: Path, *, title: str, ylabel: str,
         reference: float | None = None, reference_label: str = "") -> Path:
    """A bar per variant, optionally with a horizontal reference line (a baseline or a target)."""
    fig, ax = plt.subplots(figsize=(max(5, 0.6 * len(labels) + 2), 4))
    ax.bar(range(len(labels)), values, color="C0")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=8)
    lo = min(values) if values else 0
    bottom = max(0.0, lo - 0.05 * abs(lo) - 0.02)
    ax.set_ylim(bottom, None)
    if reference is not None:
        # a reference far below the bars (a majority-class baseline) is named, not drawn off the axis
        below = reference < bottom
        ax.axhline(reference, color="C3", ls="--",
                   label=f"{reference_label} ({reference:.3g}, below the axis)" if below else reference_label)
        ax.legend(fontsize=8)
    ax.set_ylabel(ylabel)
    _set_title(ax, title)
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def search_progress(scores: Sequence[float], path: Path, *, title: str, ylabel: str,
                    higher_is_better: bool = True) -> Path:
    """Each trial's score in the order the trials finished, with the best-so-far as a step line."""
    fig, ax = plt.subplots(figsize=(7, 4))
    trials = np.arange(1, len(scores) + 1)
    best = np.maximum.accumulate(scores) if higher_is_better else np.minimum.accumulate(scores)
    ax.scatter(trials, scores, color="C0", zorder=3, label="trial")
    ax.step(trials, best, where="post", color="C3", label="best so far")
    ax.set_xlabel("trial (in the order it finished)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(ylabel)
    _set_title(ax, title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def curves(series: dict[str, Sequence[float]], path: Path, *, title: str, xlabel: str, ylabel: str,
           x: Sequence[float] | None = None, log_y: bool = False, marker: str | None = None) -> Path:
    """One line per named series against a shared x (default 1, 2, ...: epochs or layers)."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for i, (name, values) in enumerate(series.items()):
        xs = list(x) if x is not None else list(range(1, len(values) + 1))
        ax.plot(xs[:len(values)], values, color=f"C{i % 10}", marker=marker, ms=4, label=name)
    ax.set_xlabel(xlabel)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(ylabel)
    if log_y:
        ax.set_yscale("log")
    _set_title(ax, title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def decision_boundaries(points: np.ndarray, labels: np.ndarray, lines: dict[str, tuple[Sequence[float], float]],
                        path: Path, *, title: str) -> Path:
    """2-D points coloured by class, and per model the line kernel · (x1, x2) + bias = 0 it separates on."""
    points, labels = np.asarray(points, dtype=float), np.asarray(labels)
    fig, ax = plt.subplots(figsize=(5.8, 5.2))
    for cls, colour in ((0, "C0"), (1, "C1")):
        mine = points[labels == cls]
        ax.scatter(mine[:, 0], mine[:, 1], s=12, color=colour, alpha=0.6, label=f"class {cls}")
    lo, hi = points.min(axis=0) - 0.5, points.max(axis=0) + 0.5
    x1 = np.linspace(lo[0], hi[0], 2)
    for i, (name, (kernel, bias)) in enumerate(lines.items()):
        w1, w2 = kernel
        if abs(w2) > 1e-12:
            ax.plot(x1, -(w1 * x1 + bias) / w2, color=f"C{i + 2}", lw=2, label=name)
        else:  # a vertical boundary x1 = -bias / w1
            ax.axvline(-bias / w1, color=f"C{i + 2}", lw=2, label=name)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("feature x1")
    ax.set_ylabel("feature x2")
    _set_title(ax, title)
    ax.legend(fontsize=8)
    return _save(fig, path)


def grouped_bars(groups: Sequence[str], series: dict[str, Sequence[float]], path: Path, *, title: str,
                 ylabel: str) -> Path:
    """Bars side by side within each group, one colour per series (e.g. raw vs Keras per model)."""
    fig, ax = plt.subplots(figsize=(max(5, 1.4 * len(groups) + 2), 4))
    width = 0.8 / max(len(series), 1)
    for i, (name, values) in enumerate(series.items()):
        positions = np.arange(len(groups)) + (i - (len(series) - 1) / 2) * width
        ax.bar(positions, values, width, label=name, color=f"C{i % 10}")
    ax.set_xticks(range(len(groups)), groups)
    ax.set_ylabel(ylabel)
    _set_title(ax, title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def trajectories(function, paths: dict[str, np.ndarray], minimum: Sequence[float], window: Sequence[float],
                 path: Path, *, title: str) -> Path:
    """Optimizer paths (each an (n, 2) array of points) drawn over log-spaced contours of f(x, y).

    `window` is (x0, x1, y0, y1); a path that leaves it is cut off at the frame; ★ marks the minimum.
    """
    x0, x1, y0, y1 = window
    xs, ys = np.meshgrid(np.linspace(x0, x1, 300), np.linspace(y0, y1, 300))
    zs = np.asarray(function(xs, ys), dtype=float)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    levels = np.logspace(np.log10(max(zs.min(), 1e-3)), np.log10(zs.max()), 25)
    ax.contour(xs, ys, zs, levels=levels, cmap="Greys", linewidths=0.6, norm=matplotlib.colors.LogNorm())
    for i, (name, points) in enumerate(paths.items()):
        points = np.asarray(points, dtype=float)
        ax.plot(points[:, 0], points[:, 1], color=f"C{i % 10}", lw=1.3, label=name)
        ax.plot(points[-1, 0], points[-1, 1], "o", color=f"C{i % 10}", ms=4)
    if paths:
        start = np.asarray(next(iter(paths.values())), dtype=float)[0]
        ax.plot(start[0], start[1], "ks", ms=6, label="start")
    ax.plot(*minimum, marker="*", color="gold", mec="black", ms=14, ls="none", label="minimum")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="best")
    return _save(fig, path)


def error_by_scale(scales: Sequence[float], errors: dict[str, Sequence[float]], path: Path, *, title: str) -> Path:
    """Log-log error per method as an input scale grows; a NaN (a method that broke) ends its line."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    floor = 1e-12  # an exact match (error 0) is drawn at the floor, not dropped by the log axis
    for i, (name, values) in enumerate(errors.items()):
        ax.plot(scales, [max(v, floor) if v == v else np.nan for v in values], marker="o", color=f"C{i}", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("largest |logit|")
    ax.set_ylabel("max |softmax − tf.nn.softmax|")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def predicted_vs_true(y_true: Sequence[float], y_pred: Sequence[float], path: Path, *, title: str,
                      unit: str) -> Path:
    """Each row's prediction against its target; points on the diagonal are exact."""
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    fig, ax = plt.subplots(figsize=(5.5, 5.2))
    lo, hi = float(min(y_true.min(), y_pred.min())), float(max(y_true.max(), y_pred.max()))
    ax.plot([lo, hi], [lo, hi], color="C3", ls="--", label="prediction = target")
    ax.scatter(y_true, y_pred, s=14, alpha=0.7, color="C0", label="test row")
    ax.set_xlabel(f"target ({unit})")
    ax.set_ylabel(f"prediction ({unit})")
    _set_title(ax, title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def fitted_curves(curves: dict[str, tuple[Sequence[float], Sequence[float]]],
                  points: tuple[Sequence[float], Sequence[float]], truth: tuple[Sequence[float], Sequence[float]],
                  path: Path, *, title: str, xlabel: str, ylabel: str, columns: int = 4) -> Path:
    """Small multiples: per variant its fitted curve over the training points and the true function."""
    n = max(len(curves), 1)
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, min(columns, n), figsize=(3.2 * min(columns, n), 2.8 * rows),
                             sharex=True, sharey=True, squeeze=False)
    for ax, (name, (x, y)) in zip(axes.flat, curves.items()):
        ax.plot(*truth, color="C2", lw=1.5, label="true function")
        ax.scatter(*points, s=10, color="black", zorder=3, label="training points")
        ax.plot(x, y, color="C3", lw=1.5, label="net")
        ax.set_title(name, fontsize=9)
        ax.grid(alpha=0.3)
    for ax in axes.flat[n:]:
        ax.axis("off")
    for ax in axes[-1]:
        ax.set_xlabel(xlabel)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(title)
    return _save(fig, path)


def uncertainty_band(x: Sequence[float], mean: Sequence[float], std: Sequence[float],
                     points: tuple[Sequence[float], Sequence[float]], truth: tuple[Sequence[float], Sequence[float]],
                     path: Path, *, title: str, xlabel: str, ylabel: str) -> Path:
    """A predictive mean with a ±2 standard-deviation band, over the training points and the truth."""
    x, mean, std = (np.asarray(v, dtype=float) for v in (x, mean, std))
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.fill_between(x, mean - 2 * std, mean + 2 * std, color="C0", alpha=0.25, label="mean ± 2 std")
    ax.plot(x, mean, color="C0", lw=1.5, label="predictive mean")
    ax.plot(*truth, color="C2", lw=1.2, ls="--", label="true function")
    ax.scatter(*points, s=12, color="black", zorder=3, label="training points")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _set_title(ax, title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def image_grid(images: Sequence, captions: Sequence[str], path: Path, *, title: str, columns: int = 8) -> Path:
    """Grey images in a grid, each with a caption underneath (e.g. 'true C, predicted G')."""
    n = max(len(images), 1)
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(1.5 * columns, 1.75 * rows + 0.6), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, caption in zip(axes.flat, images, captions):
        ax.imshow(np.asarray(image), cmap="gray_r", vmin=0, vmax=255)
        ax.set_title(caption, fontsize=7)
    fig.suptitle(title)
    return _save(fig, path)


def forecast(months: Sequence[str], values: Sequence[float], forecast_months: Sequence[str],
             forecasts: dict[str, Sequence[float]], path: Path, *, title: str, ylabel: str) -> Path:
    """The true series (black) and each named forecast of its last months, with the forecast region shaded."""
    fig, ax = plt.subplots(figsize=(8, 4.2))
    where = {month: i for i, month in enumerate(months)}
    start = where[forecast_months[0]]
    ax.axvspan(start - 0.5, len(months) - 0.5, color="0.92", label="test months")
    ax.plot(range(len(months)), values, color="black", lw=2, label="truth")
    for i, (name, predicted) in enumerate(forecasts.items()):
        ax.plot([where[m] for m in forecast_months], predicted, color=f"C{i}", marker="o", ms=3, label=name)
    ticks = range(0, len(months), 6)
    ax.set_xticks(list(ticks), [months[t] for t in ticks], rotation=45, ha="right", fontsize=8)
    ax.set_xlabel("month")
    ax.set_ylabel(ylabel)
    _set_title(ax, title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def segmentation_panels(images: Sequence, truths: Sequence, predictions: Sequence, path: Path, *,
                        title: str) -> Path:
    """One row per example: the input image, the true mask and the predicted mask (white = positive class)."""
    rows = len(images)
    fig, axes = plt.subplots(rows, 3, figsize=(7.5, 2.6 * rows), squeeze=False)
    for row, panels in enumerate(zip(images, truths, predictions)):
        for col, (panel, name) in enumerate(zip(panels, ("input", "true mask", "predicted mask"))):
            axes[row, col].imshow(np.asarray(panel, dtype=float), cmap="gray", vmin=0, vmax=1)
            axes[row, col].set_title(name, fontsize=9)
            axes[row, col].axis("off")
    fig.suptitle(title)
    return _save(fig, path)


def attention_maps(maps: Sequence[tuple[str, dict]], path: Path, *, title: str, columns: int = 3) -> Path:
    """Per (model, example): its attention weights as a heat map, output words down, source words across."""
    rows = -(-len(maps) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.6 * columns, 4.2 * rows), squeeze=False)
    for ax in axes.flat[len(maps):]:
        ax.axis("off")
    for ax, (model, example) in zip(axes.flat, maps):
        weights = np.asarray(example["weights"])
        output = list(example["output"]) + ["[end]"]
        ax.imshow(weights, cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto")
        ax.set_xticks(range(len(example["source"])), example["source"], rotation=60, ha="right", fontsize=8)
        ax.set_yticks(range(len(weights)), output[:len(weights)], fontsize=8)
        ax.set_title(f"{model}: test sentence {example['index']}", fontsize=9)
        ax.set_xlabel("English (source)", fontsize=8)
        ax.set_ylabel("German (output)", fontsize=8)
    fig.suptitle(title)
    return _save(fig, path)


def moving_average(values: Sequence[float], window: int) -> np.ndarray:
    """Mean of the last `window` values at each position (fewer at the start), same length as `values`."""
    values = np.asarray(values, dtype=float)
    sums = np.cumsum(np.concatenate([[0.0], values]))
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(ends - window, 0)
    return (sums[ends] - sums[starts]) / (ends - starts)


def band_curves(series: dict[str, Sequence[Sequence[float]]], path: Path, *, title: str, xlabel: str, ylabel: str,
                smoothing: int = 1, references: dict[str, float] | None = None) -> Path:
    """Per named series, runs of equal length (one per seed, (n_seeds, n_points)): each run smoothed by a
    moving average of `smoothing` points, then the mean over runs as a line and ± one std as a band;
    `references` draws labelled horizontal lines (an optimum, a baseline)."""
    fig, ax = plt.subplots(figsize=(7.5, 4.4))
    for i, (name, runs) in enumerate(series.items()):
        smoothed = np.array([moving_average(run, smoothing) for run in runs])
        mean, std = smoothed.mean(axis=0), smoothed.std(axis=0)
        xs = np.arange(1, smoothed.shape[1] + 1)
        ax.plot(xs, mean, color=f"C{i % 10}", lw=1.4, label=f"{name} ({len(runs)} seed{'s' if len(runs) > 1 else ''})")
        if len(runs) > 1:
            ax.fill_between(xs, mean - std, mean + std, color=f"C{i % 10}", alpha=0.2)
    for j, (label, value) in enumerate((references or {}).items()):
        ax.axhline(value, color="black", ls=("--", ":", "-.")[j % 3], lw=1, label=f"{label} ({value:.4g})")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel + (f", moving average of {smoothing}" if smoothing > 1 else ""))
    _set_title(ax, title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def graph_paths(panels: Sequence[dict], path: Path, *, title: str, columns: int = 3) -> Path:
    """Small multiples of directed graphs, each a dict with `positions` {node: (x, y)}, `edges` [(u, v)],
    `start`, `goal`, `title` and `paths` {label: [nodes]}: every edge in grey, each path drawn over it in
    its colour (the first thick, the next thinner and dashed, so equal paths stay visible)."""
    n = max(len(panels), 1)
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, min(columns, n), figsize=(4.4 * min(columns, n), 4.2 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    styles = (dict(color="C2", lw=5, alpha=0.6, ls="-"), dict(color="C3", lw=1.8, alpha=1.0, ls="--"))
    for ax, panel in zip(axes.flat, panels):
        xy = {int(k): v for k, v in panel["positions"].items()}
        for u, v in panel["edges"]:
            ax.annotate("", xy=xy[v], xytext=xy[u],
                        arrowprops=dict(arrowstyle="-|>", color="0.75", lw=0.6, shrinkA=4, shrinkB=4))
        points = np.array(list(xy.values()))
        ax.scatter(points[:, 0], points[:, 1], s=14, color="0.4", zorder=3)
        for (label, nodes), style in zip(panel["paths"].items(), styles):
            line = np.array([xy[int(node)] for node in nodes])
            ax.plot(line[:, 0], line[:, 1], zorder=4, label=label, **style)
        for node, marker, name in ((panel["start"], "s", "start"), (panel["goal"], "*", "goal")):
            ax.plot(*xy[int(node)], marker=marker, color="black", ms=11 if marker == "*" else 8, ls="none",
                    zorder=5, label=name)
        ax.set_title(panel["title"], fontsize=9)
    axes.flat[0].legend(fontsize=7, loc="best")
    fig.suptitle(title)
    return _save(fig, path)


def grid_policies(panels: Sequence[dict], path: Path, *, title: str, value_label: str) -> Path:
    """Grid worlds side by side, each a dict with `values` (rows, cols) as a heat map, `arrows` (rows, cols)
    of (dx, dy) per cell ((0, 0): no arrow), `marks` {(row, col): letter} for special cells (S, G, H, cliff)
    and `title`. One idea: where the values are high and which way the policy goes there."""
    fig, axes = plt.subplots(len(panels), 1, figsize=(1.0 + 0.62 * np.shape(panels[0]["values"])[1],
                                                     0.9 + 0.66 * np.shape(panels[0]["values"])[0] * len(panels)),
                             squeeze=False)
    for ax, panel in zip(axes[:, 0], panels):
        values = np.asarray(panel["values"], dtype=float)
        image = ax.imshow(values, cmap="viridis")
        arrows = np.asarray(panel["arrows"], dtype=float)
        rows, cols = np.nonzero(np.abs(arrows).sum(axis=2))
        ax.quiver(cols, rows, arrows[rows, cols, 0], -arrows[rows, cols, 1], color="white", scale=1.2,
                  scale_units="xy", angles="xy", width=0.008, pivot="middle")
        for (r, c), letter in panel.get("marks", {}).items():
            ax.text(c, r, letter, ha="center", va="center", fontsize=9, fontweight="bold", color="red")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(panel["title"], fontsize=9)
        fig.colorbar(image, ax=ax, label=value_label, fraction=0.03)
    fig.suptitle(title)
    return _save(fig, path)


def schema_diagram(tables: Sequence[dict], path: Path, *, title: str, highlight: Sequence[str] = ()) -> Path:
    """Tables as boxes (name, then one line per column: PK primary key, FK foreign key, its type), laid out
    in columns, with an arrow from each foreign key (FK) to the table it refers to. `tables` are
    `reports.schema.Table.as_dict()`s; columns named in `highlight` ("table.column") are drawn in red.
    """
    per_row = min(len(tables), 3)
    rows = -(-len(tables) // per_row)
    width, line = 3.6, 0.22
    heights = [(len(t["columns"]) + 1.6) * line for t in tables]
    row_height = [max(heights[r * per_row:(r + 1) * per_row]) + 0.6 for r in range(rows)]
    fig, ax = plt.subplots(figsize=(per_row * (width + 0.9) + 0.4, sum(row_height) + 0.9))
    anchors: dict[str, tuple[float, float, float]] = {}   # table -> (x, top, height)
    rows_at: dict[tuple[str, str], float] = {}     # (table, column) -> y of its line
    top = sum(row_height)
    for i, table in enumerate(tables):
        r, c = divmod(i, per_row)
        x, y = c * (width + 0.9), top - sum(row_height[:r])
        height = heights[i]
        anchors[table["name"]] = (x, y, height)
        ax.add_patch(matplotlib.patches.FancyBboxPatch((x, y - height), width, height, boxstyle="round,pad=0.02",
                                                       fc="#f4f6fb", ec="#34495e", lw=1.2))
        ax.add_patch(matplotlib.patches.Rectangle((x, y - 1.3 * line), width, 1.3 * line, fc="#34495e"))
        ax.text(x + 0.1, y - 0.65 * line, table["name"], color="white", weight="bold", va="center", fontsize=9)
        foreign = {f["column"]: f["table"] for f in table["foreign_keys"]}
        for j, column in enumerate(table["columns"]):
            marks = ("PK " if column["primary_key"] else "") + ("FK " if column["name"] in foreign else "")
            label = f"{marks}{column['name']}" + (f" → {foreign[column['name']]}" if column["name"] in foreign else "")
            colour = "#c0392b" if f"{table['name']}.{column['name']}" in highlight else "black"
            yy = y - (j + 1.9) * line
            rows_at[(table["name"], column["name"])] = yy
            ax.text(x + 0.1, yy, label, fontsize=7, va="center", color=colour)
            ax.text(x + width - 0.1, yy, column["type"].lower(), fontsize=6.5, va="center", ha="right", color="#7f8c8d")
    for table in tables:
        x, y, _ = anchors[table["name"]]
        for key in table["foreign_keys"]:
            if key["table"] not in anchors or key["table"] == table["name"]:
                continue
            tx, ty, th = anchors[key["table"]]
            if tx == x:   # the same column of boxes: from this box's top to the bottom of the one above
                start, end = (x + width / 2, y), (tx + width / 2, ty - th)
            else:         # from the foreign-key column's line to the referred table's title bar
                start = (x if tx < x else x + width, rows_at[(table["name"], key["column"])])
                end = (tx + width if tx < x else tx, ty - 0.65 * line)
            ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "->", "color": "#2980b9", "lw": 1.2,
                                                              "alpha": 0.8, "connectionstyle": "arc3,rad=0.1"})
    ax.set_xlim(-0.6, per_row * (width + 0.9))
    ax.set_ylim(-0.2, top + 0.2)
    ax.axis("off")
    _set_title(ax, title)
    return _save(fig, path)


GUIDES = {"O(1)": lambda n: np.ones_like(n), "O(log n)": np.log2, "O(n)": lambda n: n}


def complexity(timings: dict[str, dict[str, Sequence[float]]], operations: Sequence[str], path: Path, *,
               title: str, labels: dict[str, str] | None = None) -> Path:
    """One log-log panel per operation: seconds per call against N for each store (`timings[store]` has
    "n" and one list per operation), with the growth laws O(1), O(log n), O(n) drawn as grey guides through
    the panel's median first point, so a measured line can be read against the law it should follow."""
    fig, axes = plt.subplots(1, len(operations), figsize=(5.2 * len(operations), 4.6), squeeze=False)
    for ax, operation in zip(axes[0], operations):
        firsts = []
        for i, (name, found) in enumerate(timings.items()):
            ns, seconds = np.asarray(found["n"], float), np.asarray(found[operation], float)
            ax.loglog(ns, seconds, marker="o", ms=4, color=f"C{i % 10}", label=(labels or {}).get(name, name))
            firsts.append(seconds[0])
        ns = np.asarray(next(iter(timings.values()))["n"], float)
        anchor = float(np.median(firsts))
        for style, (law, grow) in zip(("-", "--", ":"), GUIDES.items()):
            ax.loglog(ns, anchor * grow(ns) / grow(ns[:1]), color="grey", ls=style, lw=1, alpha=0.8)
            ax.annotate(law, (ns[-1], anchor * grow(ns[-1:])[0] / grow(ns[:1])[0]), fontsize=8, color="grey",
                        xytext=(3, 0), textcoords="offset points", va="center")
        ax.set_xlabel("N records")
        ax.set_ylabel("seconds per call")
        ax.set_title(operation, fontsize=10)
        ax.grid(alpha=0.3, which="both")
    handles, names = axes[0][0].get_legend_handles_labels()
    axes[0][-1].legend(handles, names, fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.suptitle(textwrap.fill(title, 150), fontsize=11)
    return _save(fig, path)


def labelled_scatter(points: dict[str, tuple[Sequence[float], Sequence[float]]], path: Path, *, title: str,
                     xlabel: str, ylabel: str, log_x: bool = False) -> Path:
    """One colour per group of (x, y) points."""
    fig, ax = plt.subplots(figsize=(7, 4.4))
    for i, (name, (xs, ys)) in enumerate(points.items()):
        ax.scatter(xs, ys, s=22, color=f"C{i % 10}", label=name, alpha=0.8)
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _set_title(ax, title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def piano_rolls(panels: Sequence[tuple[str, np.ndarray]], path: Path, *, title: str,
                marker: float | None = None, xlabel: str = "time (quarter notes)") -> Path:
    """One piano roll per panel, stacked with a shared time axis: each note (pitch, start, end) a bar
    from start to end at its pitch (MIDI number); `marker` draws a line (e.g. where the seed phrase ends)."""
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 1.9 * len(panels) + 0.6), sharex=True, squeeze=False)
    for i, (ax, (name, notes)) in enumerate(zip(axes[:, 0], panels)):
        notes = np.asarray(notes, dtype=float).reshape(-1, 3)
        ax.barh(notes[:, 0], notes[:, 2] - notes[:, 1], left=notes[:, 1], height=0.8, color=f"C{i % 10}")
        if marker is not None:
            ax.axvline(marker, color="k", ls="--", lw=1)
        ax.set_ylabel("pitch (MIDI)")
        ax.set_title(name, fontsize=9, loc="left")
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel(xlabel)
    fig.suptitle(textwrap.fill(title, 100), fontsize=11)
    return _save(fig, path)


def histograms(series: dict[str, Sequence[float]], bins: Sequence[float], path: Path, *, title: str,
               xlabel: str, ylabel: str = "share of notes") -> Path:
    """Normalised histograms (share of values per bin) drawn as outlines, one colour per series, so
    several distributions read on one axis."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for i, (name, values) in enumerate(series.items()):
        values = np.asarray(values, dtype=float)
        weights = np.full(len(values), 1.0 / max(len(values), 1))
        ax.hist(values, bins=bins, weights=weights, histtype="step", lw=1.8, color=f"C{i % 10}",
                label=f"{name} ({len(values):,})")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _set_title(ax, title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def waveform_panels(panels: Sequence[tuple[str, np.ndarray]], rate: int, path: Path, *, title: str,
                    columns: int = 3) -> Path:
    """One waveform per panel (amplitude against seconds), in a grid with a shared amplitude axis."""
    rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.4 * columns, 2.0 * rows + 0.7), sharey=True, squeeze=False)
    for ax, (name, wave) in zip(axes.flat, panels):
        ax.plot(np.arange(len(wave)) / rate, wave, lw=0.6, color="C0")
        ax.set_title(name, fontsize=9, loc="left")
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("time (s)")
    for ax in axes[:, 0]:
        ax.set_ylabel("amplitude")
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    fig.suptitle(textwrap.fill(title, 100), fontsize=11)
    return _save(fig, path)


def spectrogram_panels(panels: Sequence[tuple[str, np.ndarray]], path: Path, *, title: str, seconds_per_frame: float,
                       band_hz: Sequence[float], colour_label: str = "power (dB)", columns: int = 3) -> Path:
    """One spectrogram (bins, frames) per panel as an image: time across, band up (labelled by the band's
    centre frequency in Hz), colour the value; one colour scale for all panels so they compare."""
    rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.4 * columns, 2.6 * rows + 0.9), squeeze=False)
    fig.subplots_adjust(hspace=0.5, wspace=0.3)
    low = min(float(np.min(p)) for _, p in panels)
    high = max(float(np.max(p)) for _, p in panels)
    ticks = np.linspace(0, len(band_hz) - 1, 5).round().astype(int)
    image = None
    for ax, (name, spectrogram) in zip(axes.flat, panels):
        frames = spectrogram.shape[1]
        image = ax.imshow(spectrogram, origin="lower", aspect="auto", cmap="magma", vmin=low, vmax=high,
                          extent=(0, frames * seconds_per_frame, -0.5, len(band_hz) - 0.5))
        ax.set_yticks(ticks, [f"{band_hz[t]:.0f}" for t in ticks], fontsize=7)
        ax.set_title(name, fontsize=9, loc="left")
    for ax in axes[-1]:
        ax.set_xlabel("time (s)")
    for ax in axes[:, 0]:
        ax.set_ylabel("mel band centre (Hz)")
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    fig.suptitle(textwrap.fill(title, 100), fontsize=11)
    fig.colorbar(image, ax=axes, label=colour_label, shrink=0.8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)  # colorbar over several axes: tight_layout would warn and squeeze it
    plt.close(fig)
    return path


def mean_spread_panels(panels: dict[str, dict[str, tuple[Sequence[float], Sequence[float], Sequence[float]]]],
                       path: Path, *, title: str, xlabel: str, ylabel: str, log_x: bool = False) -> Path:
    """One panel per name (e.g. a task), in each one line per series: (x, mean, spread) drawn as the mean
    with ± spread error bars (e.g. one std over seeds)."""
    n = max(len(panels), 1)
    fig, axes = plt.subplots(1, n, figsize=(5.2 * n, 4.3), squeeze=False, sharey=True)
    for ax, (panel, series) in zip(axes[0], panels.items()):
        for i, (name, (x, mean, spread)) in enumerate(series.items()):
            ax.errorbar(x, mean, yerr=spread, color=f"C{i % 10}", marker="o", ms=4, capsize=3, lw=1.4, label=name)
        if log_x:
            ax.set_xscale("log")
        ax.set_xlabel(xlabel)
        ax.set_title(panel, fontsize=10)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    axes[0, 0].set_ylabel(ylabel)
    fig.suptitle(title)
    return _save(fig, path)


def picture_panels(pictures: Sequence[tuple[str, np.ndarray]], path: Path, *, title: str) -> Path:
    """Colour pictures (uint8 (H, W, 3)) side by side, each with its caption (e.g. content, style, result)."""
    fig, axes = plt.subplots(1, max(len(pictures), 1), figsize=(4 * max(len(pictures), 1), 4.4), squeeze=False)
    for ax, (caption, picture) in zip(axes[0], pictures):
        ax.imshow(np.asarray(picture))
        ax.set_title(caption, fontsize=10)
        ax.axis("off")
    fig.suptitle(title)
    return _save(fig, path)
