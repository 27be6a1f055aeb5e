"""Lesson 13 · dropout: dropout and L2 against overfitting, and Monte-Carlo dropout (DLS lesson 7 homework).

What it teaches: a network far larger than its data memorises the noise; dropout (zeroing each hidden
unit with probability p during training, scaling the rest by 1/(1-p)) is one cure, weight decay (L2)
another. On a small noisy 1-D regression set (generated with the seed: y = sin(3x) + x/2 + noise)
the same 3 × 256 ReLU net is trained full-batch with dropout rates 0 … 0.5 after every hidden layer,
then with two L2 strengths instead. Train and validation loss (MSE) per variant; the error against
the noise-free function on a dense grid (*test*); fitted curves per rate; and Monte-Carlo dropout
(Gal & Ghahramani 2016): keeping dropout on at prediction time and averaging many passes gives a mean
and a spread, an uncertainty band that widens away from the data.

Expected full result (bench/dropout): the best dropout rate's validation loss is below the
no-dropout net's (COURSE.md target); the README's lesson table has the last measured figures.

Run: `nnlab run dropout [--quick] [--seed N] [--epochs N]`.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from keras_models.dense import build_dense_net
from nnlab.data.regression import Regression, Standardizer
from nnlab.recipes.regressors import keras_regression_outcome
from nnlab.runner import Outcome, RunOptions, Variant, apply_run_options
from reports.regression import metric_columns, metric_formats

SLUG = "dropout"


@dataclass(frozen=True)
class Config:
    n_train: int = 40              # few points: a 3 x 256 net can pass through every one of them
    n_val: int = 400
    noise_std: float = 0.4
    x_range: float = 2.0           # training and validation x ~ uniform(-x_range, x_range)
    plot_range: float = 3.0        # the curves are drawn a little beyond the data, where nets disagree
    grid_points: int = 301
    hidden: tuple[int, ...] = (256, 256, 256)
    dropout_rates: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
    l2_strengths: tuple[float, ...] = (1e-3, 1e-2)
    epochs: int = 1000
    learning_rate: float = 1e-3
    mc_samples: int = 100          # stochastic passes per Monte-Carlo dropout prediction


def make_config(options: RunOptions) -> Config:
    return apply_run_options(Config(), options, epochs=20, mc_samples=10, n_val=100, grid_points=101)


# ---- data: generated from the seed --------------------------------------------------------------

def true_function(x: np.ndarray) -> np.ndarray:
    return np.sin(3 * x) + 0.5 * x


def load_data(config: Config, options: RunOptions) -> Regression:
    """Noisy training and validation points; the noise-free function on a grid over the data's range is
    the test split. x is standardised with the training points' statistics."""
    rng = np.random.default_rng(options.seed)

    def noisy(n: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.uniform(-config.x_range, config.x_range, size=(n, 1))
        return x, true_function(x[:, 0]) + rng.normal(0, config.noise_std, size=n)

    (x_tr, y_tr), (x_val, y_val) = noisy(config.n_train), noisy(config.n_val)
    x_te = np.linspace(-config.x_range, config.x_range, config.grid_points).reshape(-1, 1)
    scaler = Standardizer.fit(x_tr)
    arrays = (x_tr, y_tr, x_val, y_val, x_te, true_function(x_te[:, 0]))
    digest = hashlib.sha256(b"".join(np.ascontiguousarray(a, dtype=np.float64).tobytes() for a in arrays))
    f32 = np.float32
    return Regression(scaler(x_tr), y_tr.astype(f32), scaler(x_val), y_val.astype(f32), scaler(x_te),
                      arrays[5].astype(f32), scaler, ("x",), dataset="synthetic sin(3x) + x/2 + noise",
                      sha256=digest.hexdigest(), notes=[f"generated with seed {options.seed}: {config.n_train} "
                                                        f"training and {config.n_val} validation points, noise "
                                                        f"std {config.noise_std}; test = the noise-free function"])


# ---- the grid ------------------------------------------------------------------------------------

def grid(config: Config, data: Regression) -> list[Variant]:
    variants = [Variant("dropout", f"dropout-{rate}", {"dropout": rate, "l2": 0.0})
                for rate in config.dropout_rates]
    variants += [Variant("l2", f"l2-{strength:g}", {"dropout": 0.0, "l2": strength})
                 for strength in config.l2_strengths]
    return variants


# ---- training ------------------------------------------------------------------------------------

def train(variant: Variant, data: Regression, config: Config, seed: int) -> Outcome:
    import keras

    p = variant.params
    model = build_dense_net(data.input_shape, 1, config.hidden, dropout=p["dropout"], l2=p["l2"],
                            output_activation=None)
    # full batch: every epoch is one step over all the points, as in the homework
    outcome = keras_regression_outcome(model, data, loss="mse", optimizer="adam", epochs=config.epochs,
                                       batch_size=len(data.y_train), learning_rate=config.learning_rate,
                                       label=variant.name, log_every=max(1, config.epochs // 10))
    x_plot = np.linspace(-config.plot_range, config.plot_range, config.grid_points).reshape(-1, 1)
    z_plot = data.scaler(x_plot)
    outcome.artifacts = {"x": x_plot[:, 0], "fit": model.predict(z_plot, verbose=0)[:, 0],
                         "train_x": data.x_train[:, 0] * data.scaler.std[0] + data.scaler.mean[0],
                         "train_y": data.y_train}
    if p["dropout"]:
        # Monte-Carlo dropout: dropout stays on (training=True), so each pass samples another thinned net
        passes = np.stack([keras.ops.convert_to_numpy(model(z_plot, training=True))[:, 0]
                           for _ in range(config.mc_samples)])
        outcome.artifacts.update(mc_mean=passes.mean(axis=0), mc_std=passes.std(axis=0))
        val_passes = np.stack([keras.ops.convert_to_numpy(model(data.x_val, training=True))[:, 0]
                               for _ in range(config.mc_samples)])
        outcome.metrics["val"]["mc_loss"] = float(np.mean((val_passes.mean(axis=0) - data.y_val) ** 2))
    return outcome


# ---- report --------------------------------------------------------------------------------------

COLUMNS = {"dropout": lambda r: r.params.get("dropout"), "L2": lambda r: r.params.get("l2"),
           **metric_columns(("train", "val", "test"), ("loss", "MAE")),
           "val loss, MC mean": lambda r: r.metric("val", "mc_loss")}
FORMATS = {**metric_formats([c for c in COLUMNS if c not in ("dropout", "L2")], 4),
           "dropout": lambda v: f"{v:g}", "L2": lambda v: f"{v:g}"}


def val_loss():
    from reports.conclusions import Score

    return Score("validation loss (MSE)", lambda r: r.metric("val", "loss"), higher_is_better=False,
                 as_percent=False)


def no_dropout(view):
    return next((r for r in view.experiment("dropout") if r.params.get("dropout") == 0), None)


def best_dropout(view):
    ranked = val_loss().ranked([r for r in view.experiment("dropout") if r.params.get("dropout")])
    return ranked[0] if ranked else None


def report_sections(view) -> list[str]:
    from reports import plots
    from reports.classification import variant_table

    records = view.records
    if not records:
        return ["*No finished variants recorded yet.*"]
    baseline = no_dropout(view)
    others = [r for r in records if r is not baseline]
    parts = ["## Loss per variant\n\nMSE on the noisy training points, on fresh noisy validation points, and "
             "against the noise-free function (*test*). The baseline is the same net without dropout or L2. "
             "*val loss, MC mean*: the validation MSE of the average of the Monte-Carlo dropout passes.",
             variant_table(others, {}, baseline, metric_columns=COLUMNS, formats=FORMATS)]
    path = plots.bars([r.variant for r in records], [r.metric("val", "loss") for r in records],
                      view.figure("val_loss.png"), title="Validation loss per variant (lower is better)",
                      ylabel="validation MSE", reference=baseline.metric("val", "loss") if baseline else None,
                      reference_label="no dropout, no L2")
    parts.append(view.image(path, "validation loss per variant"))
    path = plots.learning_curves({r.variant: r.history for r in records}, view.figure("curves_loss.png"),
                                 metric="loss", title="Loss per epoch: dropout closes the train–validation gap",
                                 ylabel="MSE")
    parts.append(view.image(path, "loss curves"))
    fits = {r.variant: (view.artifact(r, "x"), view.artifact(r, "fit")) for r in records}
    x_any = next(iter(fits.values()))[0]
    truth = (x_any, true_function(np.asarray(x_any)))
    points = tuple(view.artifact(records[0], key) for key in ("train_x", "train_y"))
    path = plots.fitted_curves(fits, points, truth, view.figure("fitted_curves.png"),
                               title="Fitted curve per variant, over the training points and the true function",
                               xlabel="x", ylabel="y")
    parts.append("## Fitted curves\n\n" + view.image(path, "fitted curves per variant"))
    best = best_dropout(view)
    if best is not None:
        path = plots.uncertainty_band(view.artifact(best, "x"), view.artifact(best, "mc_mean"),
                                      view.artifact(best, "mc_std"), points, truth, view.figure("mc_dropout.png"),
                                      title=f"Monte-Carlo dropout ({best.variant}): where the passes disagree",
                                      xlabel="x", ylabel="y")
        parts.append(f"## Monte-Carlo dropout uncertainty of `{best.variant}`\n\n"
                     f"{best.config.get('mc_samples')} passes with dropout on; the band is ±2 standard deviations "
                     f"of the passes.\n\n" + view.image(path, "MC dropout band"))
    return parts


def conclusions(view) -> list[str]:
    from reports.conclusions import describe_trend

    score = val_loss()
    baseline, best = no_dropout(view), best_dropout(view)
    lines = []
    if baseline is not None:
        gap = baseline.metric("val", "loss") - baseline.metric("train", "loss")
        lines.append(f"Without dropout the net reaches train MSE {baseline.metric('train', 'loss'):.4g} but "
                     f"validation MSE {baseline.metric('val', 'loss'):.4g} (gap {gap:.4g}): it fits the noise.")
    trend = describe_trend(view.experiment("dropout"), "dropout", score, "the dropout rate")
    if trend:
        lines.append(trend)
    if best is not None and baseline is not None:
        lines.append(f"The lowest validation loss among the dropout rates is at p = {best.params['dropout']:g}: "
                     f"{score.show(score.get(best))}, against {score.show(score.get(baseline))} without dropout.")
        lines += [verdict.sentence() for verdict in verdicts(view)]
        mc = best.metric("val", "mc_loss")
        lines.append(f"Averaging {best.config.get('mc_samples')} Monte-Carlo passes of `{best.variant}` gives "
                     f"validation MSE {mc:.4g}, {'below' if mc < score.get(best) else 'not below'} its single "
                     f"deterministic pass ({score.show(score.get(best))}).")
    ranked_l2 = score.ranked(view.experiment("l2"))
    if ranked_l2 and best is not None:
        l2 = ranked_l2[0]
        winner = "dropout" if score.get(best) <= score.get(l2) else "L2"
        lines.append(f"The better L2 strength, `{l2.variant}`, reaches {score.show(score.get(l2))}; on this set "
                     f"{winner} regularises better.")
    return lines


def verdicts(view) -> list:
    """The target (COURSE.md): validation loss with the best dropout rate (chosen on validation loss, as the
    homework asks) is below the same net's without dropout. `value` is the best rate's validation MSE minus
    the no-dropout net's: negative meets the target."""
    from reports.conclusions import Verdict

    score = val_loss()
    baseline, best = no_dropout(view), best_dropout(view)
    if baseline is None or best is None:
        return []
    value = score.get(best) - score.get(baseline)
    shown = (f"{score.show(score.get(best))} at p = {best.params['dropout']:g} against "
             f"{score.show(score.get(baseline))} without dropout")
    return [Verdict("the best rate's validation loss below the no-dropout net's", value, shown, value < 0,
                    full_run=not view.quick)]
