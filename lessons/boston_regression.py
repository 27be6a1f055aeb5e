"""Lesson 9 · boston-regression: dense regressors on Boston housing (GeekBrains L3).

What it teaches: a neural network for a regression target, and which of its knobs matter. From one
reference net (two hidden layers of 64 ReLU neurons, Adam, mean squared error) the grid changes one
thing at a time:
  layers (1 or 3 hidden layers), neurons (16 or 256 per layer), activation (tanh, ELU),
  optimizer (SGD, RMSprop), loss (MAE, Huber, log-cosh instead of MSE) and dropout;
13 networks in all. Every one tracks MAE and RMSE per epoch (`keras.metrics`), whatever its loss, so
the curves are comparable. One table gives loss, MAE, RMSE and R² on train and test for every
variant, under two baselines: always predicting the training mean, and ordinary least squares.

Data: the course used `sklearn.datasets.load_boston`, which scikit-learn deprecated in 1.0 and removed
in 1.2 (the set has an ethically problematic feature, `B`). This lesson loads the same 506 rows the
way `keras.datasets.boston_housing.load_data()` does: Keras's own file with its pinned sha256 and its
split (shuffle with seed 113, 404 training and 102 test rows). 20% of the training rows are held out
for validation (early stopping). The 13 features are standardised with the mean and standard
deviation of the remaining training rows only, so nothing about the validation or test rows leaks into
the inputs; the target (median value, k$) is kept in its unit, so MAE reads in thousands of dollars.

Expected full result (bench/boston_regression): best test MAE ≤ 2.5 k$ (COURSE.md target); see the
README's lesson table for the last measured figure and wall time.

Run: `nnlab run boston-regression [--quick] [--seed N] [--epochs N]`.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from keras_models.dense import build_dense_net
from nnlab.data.regression import Regression, tabular_regression
from nnlab.recipes.regressors import keras_regression_outcome, linear_outcome, mean_outcome
from nnlab.runner import Outcome, RunOptions, Variant
from reports.regression import metric_columns, metric_formats

SLUG = "boston-regression"
TARGET_TEST_MAE = 2.5  # k$


@dataclass(frozen=True)
class Config:
    epochs: int = 400
    batch_size: int = 16
    patience: int | None = 40          # early stopping on val loss, the best epoch's weights kept
    lr_patience: int | None = 15       # halve the learning rate when val loss stalls
    val_fraction: float = 0.2
    # the reference net every variant changes one thing of
    hidden: tuple[int, ...] = (64, 64)
    activation: str = "relu"
    optimizer: str = "adam"
    loss: str = "mse"
    # what the variants try instead
    depths: tuple[tuple[int, ...], ...] = ((64,), (64, 64, 64))
    widths: tuple[tuple[int, ...], ...] = ((16, 16), (256, 256))
    activations: tuple[str, ...] = ("tanh", "elu")
    optimizers: tuple[str, ...] = ("sgd", "rmsprop")
    learning_rates: tuple[tuple[str, float], ...] = (("sgd", 1e-3),)  # SGD's default 0.01 diverges on MSE in k$²
    losses: tuple[str, ...] = ("mae", "huber", "log_cosh")
    dropout: float = 0.2


def make_config(options: RunOptions) -> Config:
    config = Config()
    if options.quick:  # the data are tiny already; quick means few epochs
        config = replace(config, epochs=3, patience=None, lr_patience=None)
    if options.epochs:
        config = replace(config, epochs=options.epochs)
    return config


# ---- data ----------------------------------------------------------------------------------------

def load_data(config: Config, options: RunOptions) -> Regression:
    return tabular_regression("boston_housing", quick=options.quick, seed=options.seed,
                              val_fraction=config.val_fraction)


# ---- the experiment grid: the reference net, then one change at a time ---------------------------

def _net(config: Config, factor: str, **change) -> Variant:
    params = {"factor": factor, "hidden": list(config.hidden), "activation": config.activation,
              "optimizer": config.optimizer, "loss": config.loss, "dropout": 0.0}
    params.update(change)
    params["learning_rate"] = dict(config.learning_rates).get(params["optimizer"])
    name = "x".join(map(str, params["hidden"])) + f"-{params['activation']}-{params['optimizer']}-{params['loss']}"
    return Variant("variants", name + (f"-dropout{params['dropout']}" if params["dropout"] else ""), params)


def grid(config: Config, data: Regression) -> list[Variant]:
    variants = [Variant("baseline", "train-mean", {"model": "mean"}),
                Variant("baseline", "linear-regression", {"model": "linear"}),
                _net(config, "reference")]
    variants += [_net(config, "layers", hidden=list(h)) for h in config.depths]
    variants += [_net(config, "neurons", hidden=list(h)) for h in config.widths]
    variants += [_net(config, "activation", activation=a) for a in config.activations]
    variants += [_net(config, "optimizer", optimizer=o) for o in config.optimizers]
    variants += [_net(config, "loss", loss=loss) for loss in config.losses]
    variants.append(_net(config, "dropout", dropout=config.dropout))
    return variants


# ---- training ------------------------------------------------------------------------------------

def train(variant: Variant, data: Regression, config: Config, seed: int) -> Outcome:
    p = variant.params
    if p.get("model") == "mean":
        return mean_outcome(data)
    if p.get("model") == "linear":
        return linear_outcome(data)
    model = build_dense_net(data.input_shape, 1, p["hidden"], activation=p["activation"], dropout=p["dropout"],
                            output_activation=None)
    return keras_regression_outcome(model, data, loss=p["loss"], optimizer=p["optimizer"], epochs=config.epochs,
                                    batch_size=config.batch_size, patience=config.patience,
                                    lr_patience=config.lr_patience, learning_rate=p["learning_rate"],
                                    label=variant.name, log_every=25)


# ---- report --------------------------------------------------------------------------------------

FACTORS = {"layers": "the number of hidden layers", "neurons": "the neurons per layer",
           "activation": "the activation", "optimizer": "the optimizer", "loss": "the loss",
           "dropout": "dropout"}
PARAM_COLUMNS = {
    "hidden": lambda r: " × ".join(map(str, r.params.get("hidden", []))) or "–",
    "activation": lambda r: r.params.get("activation", "–"),
    "optimizer": lambda r: r.params.get("optimizer", "–"),
    "loss fn": lambda r: r.params.get("loss", "mse"),
}
METRIC_COLUMNS = metric_columns(("train", "test"))
FORMATS = metric_formats(list(METRIC_COLUMNS))


def test_mae():
    from reports.conclusions import Score

    return Score("test MAE (k$)", lambda r: r.metric("test", "mae"), higher_is_better=False, as_percent=False)


def best_variant(view):
    ranked = test_mae().ranked(view.experiment("variants"))
    return ranked[0] if ranked else None


def report_sections(view) -> list[str]:
    from reports import plots
    from reports.classification import variant_table

    baselines = view.experiment("baseline")
    variants = view.experiment("variants")
    table = variant_table(variants, PARAM_COLUMNS, baselines, metric_columns=METRIC_COLUMNS, formats=FORMATS)
    parts = ["## All variants\n\nThe reference net is `" + (variants[0].variant if variants else "–") + "`; every "
             "other row changes one thing of it. *loss* is each row's own training loss (so it compares rows "
             "of the same loss fn only); MAE and RMSE are in k$, R² = 1 − SS_res/SS_tot. Baselines first.",
             table]
    if variants:
        linear = next((r for r in baselines if r.variant == "linear-regression"), None)
        path = plots.bars([r.variant for r in variants], [r.metric("test", "mae") for r in variants],
                          view.figure("test_mae.png"), title="Test MAE per variant (lower is better)",
                          ylabel="test MAE (k$)", reference=linear.metric("test", "mae") if linear else None,
                          reference_label="baseline: linear regression (least squares)")
        parts.append(view.image(path, "test MAE per variant"))
        curves = {r.variant: r.history for r in variants if r.history}
        path = plots.learning_curves(curves, view.figure("curves_mae.png"), metric="mae",
                                     title="Validation MAE per epoch", ylabel="MAE (k$)")
        parts.append(view.image(path, "MAE learning curves"))
    best = best_variant(view)
    if best is not None:
        y_true, y_pred = view.artifact(best, "test_true"), view.artifact(best, "test_pred")
        path = plots.predicted_vs_true(y_true, y_pred, view.figure("best_predictions.png"),
                                       title=f"{best.variant}: test predictions vs targets", unit="k$")
        parts.append(f"## Best variant: `{best.variant}`\n\n" + view.image(path, "predicted vs true"))
    return parts


def conclusions(view) -> list[str]:
    from reports.conclusions import experiment_findings, target_check

    score = test_mae()
    variants = view.experiment("variants")
    reference = next((r for r in variants if r.params.get("factor") == "reference"), None)
    lines: list[str] = []
    for factor, label in FACTORS.items():
        group = [r for r in variants if r.params.get("factor") == factor]
        if group and reference is not None:
            lines += experiment_findings(f"changing {label}", [reference, *group], score)[:1]
    best = best_variant(view)
    if best is None:
        return lines
    for baseline in view.experiment("baseline"):
        gain = score.get(baseline) - score.get(best)
        lines.append(f"Against the baseline `{baseline.variant}` (test MAE {score.show(score.get(baseline))} k$, "
                     f"R² {baseline.metric('test', 'r2'):.3f}) the best net is {abs(gain):.3g} k$ "
                     f"{'better' if gain > 0 else 'worse'}.")
    lines.append(f"Best of the lesson: `{best.variant}`, test MAE {score.show(score.get(best))} k$, RMSE "
                 f"{best.metric('test', 'rmse'):.3g} k$, R² {best.metric('test', 'r2'):.3f} "
                 f"(train MAE {best.metric('train', 'mae'):.3g} k$).")
    by_val = min(variants, key=lambda r: r.metric("val", "mae"))
    lines.append(f"Picking the best of {len(variants)} by test MAE flatters it; chosen by validation MAE, as a "
                 f"model should be, the pick is `{by_val.variant}` with test MAE {score.show(score.get(by_val))} k$.")
    lines.append(target_check(score.get(best), TARGET_TEST_MAE, score, full_run=not view.quick))
    return lines
