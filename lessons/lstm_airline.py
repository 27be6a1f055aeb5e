"""Lesson 14 · lstm-airline: forecasting airline passengers with recurrent networks (GeekBrains L5).

What it teaches: (a) how to forecast a short, trending, seasonal series honestly: a chronological
split (the last 24 months are the test), scaling fitted on the training months only, windows of the
past 12 or 24 months, one-step and 12-step-ahead (recursive) forecasts, and baselines in the same
table (persistence, seasonal-naive, linear trend + month dummies); (b) LSTM, GRU, SimpleRNN and a
dense net on the same windows, several seeds each; (c) what helped (the homework's question): the
same networks on min-max scaled levels, the usual first attempt, against log month-to-month changes;
(d) an LSTM written in NumPy (tf_raw/lstm.py, forward and BPTT) checked against keras.layers.LSTM;
(e) vanishing gradients: the gradient of the loss with respect to each of 100 input steps for
SimpleRNN, LSTM and GRU, at initialisation and after training with and without gradient clipping.

(f) classical peers in the same run, on the same split and the same one-step and 12-step forecasts:
SARIMA(p,1,q)(P,1,Q,12) on the log series, its order chosen by AIC on the training months
(statsmodels), and Holt-Winters exponential smoothing (additive trend and season on the log series,
damped or not by AIC). The network the conclusions set against them is fixed before the run
(`Config.headline`): the series has no validation months to choose one on, and choosing by test RMSE
would let the test months pick the winner.

Data: Box & Jenkins series G, 144 monthly totals 1949-1960 (thousands of passengers).

Expected full result (bench/lstm_airline, bench/peers): the networks' one-step test RMSE about 17-21 on
log changes (target: below seasonal-naive's 50.0), an LSTM on min-max scaled levels about 55; SARIMA
and Holt-Winters beside them (measured: SARIMA (0,1,1)(0,1,1,12) 15.3 beats every network, the headline
`lstm-w12` 18.9 ± 0.9 by 3.6; Holt-Winters 19.9); the NumPy LSTM equals Keras to ~1e-14 (float64,
tolerance 1e-5).

Run: `nnlab run lstm-airline [--quick] [--seed N] [--epochs N]`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from keras_models.stopping import interruptible_fit
from nnlab.data.bundles import Bundle
from nnlab.data.registry import load
from nnlab.recipes.seeds import over_seeds
from nnlab.recipes.peers import PEERS, limited_threads
from nnlab.runner import GRID_ONLY, REPORT_ONLY, Outcome, RunOptions, Variant, apply_run_options

SLUG = "lstm-airline"


@dataclass(frozen=True)
class Config:
    test_months: int = 24
    windows: tuple[int, ...] = (12, 24)        # months of history a model sees
    models: tuple[str, ...] = ("lstm", "gru", "simple_rnn", "dense")
    level_models: tuple[str, ...] = ("lstm", "dense")  # (c): also trained on min-max scaled levels
    units: int = 32
    epochs: int = 200
    batch_size: int = 32
    learning_rate: float = 0.005
    seeds: int = 3
    horizon: int = 12                          # the recursive forecast runs this many months ahead
    grad_steps: int = 100                      # (e): sequence length of the memory task
    grad_samples: int = 1024
    grad_epochs: int = 5
    grad_learning_rate: float = 0.05
    clipnorm: float = 1.0
    # (f) the classical peers' candidate orders, each chosen by AIC on the training months. GRID_ONLY:
    # the peers carry them in their params, so adding the peers retrained no network.
    sarima_orders: tuple = field(default=tuple(
        {"order": [p, 1, q], "seasonal_order": [sp, 1, sq, 12]}
        for p in (0, 1, 2) for q in (0, 1, 2) for sp in (0, 1) for sq in (0, 1)), metadata=GRID_ONLY)
    holt_winters: tuple = field(default=tuple({"trend": True, "damped_trend": d, "seasonal": 12}
                                              for d in (False, True)), metadata=GRID_ONLY)
    # the network set against the peers, fixed before the run (no validation months to choose one on)
    headline: str = field(default="lstm-w12", metadata=REPORT_ONLY)
    headline_peer: str = field(default="sarima", metadata=REPORT_ONLY)


def make_config(options: RunOptions) -> Config:
    return apply_run_options(Config(), options, windows=(12,), level_models=("lstm",), epochs=3, seeds=1,
                             grad_samples=64, grad_epochs=1,
                             sarima_orders=({"order": [0, 1, 1], "seasonal_order": [0, 1, 1, 12]},
                                            {"order": [1, 1, 1], "seasonal_order": [0, 1, 1, 12]}),
                             holt_winters=({"trend": True, "damped_trend": False, "seasonal": 12},))


# ---- data: the series, its split, scaling and windows ---------------------------------------------

@dataclass
class MonthlySeries(Bundle):
    """A monthly series and its chronological split: months [0, n_train) train, the rest test."""

    months: np.ndarray
    values: np.ndarray
    n_train: int

    def details(self) -> dict:
        return {"first_test_month": str(self.months[self.n_train]),
                "sizes": {"train": self.n_train, "test": len(self.values) - self.n_train}}


def load_data(config: Config, options: RunOptions) -> MonthlySeries:
    loaded = load("airline_passengers")
    a = loaded.arrays
    return MonthlySeries(a["months"], a["values"], len(a["values"]) - config.test_months, dataset=loaded.name,
                         sha256=loaded.sha256)


@dataclass(frozen=True)
class Scaling:
    """A transform of the series fitted on the training months only; `forward` maps levels to what a
    model sees, `inverse` maps a predicted value back to a level given the previous month's level.

    "level":    z_t = (v_t - min) / (max - min)                    min, max of the training months
    "log-diff": z_t = (log v_t - log v_{t-1} - mean) / std          mean, std of the training changes
    """

    kind: str
    shift: float
    scale: float

    @property
    def lag(self) -> int:
        """How many leading months have no z (a change needs the month before)."""
        return 1 if self.kind == "log-diff" else 0

    def forward(self, values: np.ndarray) -> np.ndarray:
        if self.kind == "level":
            return (values - self.shift) / self.scale
        return np.concatenate([[np.nan], (np.diff(np.log(values)) - self.shift) / self.scale])

    def inverse(self, z: np.ndarray, previous: np.ndarray) -> np.ndarray:
        if self.kind == "level":
            return z * self.scale + self.shift
        return previous * np.exp(z * self.scale + self.shift)


def fit_scaling(kind: str, train_values: np.ndarray) -> Scaling:
    """Fit on `train_values` alone: the caller passes the training months, so test data cannot leak."""
    if kind == "level":
        return Scaling(kind, float(train_values.min()), float(train_values.max() - train_values.min()))
    if kind == "log-diff":
        changes = np.diff(np.log(train_values))
        return Scaling(kind, float(changes.mean()), float(changes.std()))
    raise ValueError(f"Expected a scaling among ['level', 'log-diff']. Received: {kind!r}")


def windows(z: np.ndarray, width: int, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inputs z[t-width : t] as (n, width, 1) and targets z[t] as (n,), for each month t in `targets`."""
    if len(targets) and (targets.min() < width or targets.max() >= len(z)):
        raise ValueError(f"Expected target months in [{width}, {len(z)}). "
                         f"Received: {targets.min()}..{targets.max()}")
    x = np.stack([z[t - width:t] for t in targets]).astype(np.float32)[..., None]
    return x, z[targets].astype(np.float32)


def train_months(series: MonthlySeries, scaling: Scaling, width: int) -> np.ndarray:
    """Months whose window and target both lie inside the training months (and have a defined z)."""
    return np.arange(width + scaling.lag, series.n_train)


def test_months(series: MonthlySeries) -> np.ndarray:
    return np.arange(series.n_train, len(series.values))


# ---- metrics and baselines -----------------------------------------------------------------------

def forecast_metrics(predicted: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    """RMSE in thousands of passengers and MAPE as a fraction."""
    error = predicted - actual
    return {"rmse": float(np.sqrt(np.mean(error ** 2))), "mape": float(np.mean(np.abs(error) / actual))}


def origins(series: MonthlySeries, horizon: int) -> np.ndarray:
    """Forecast origins covering the test months in blocks of `horizon` (months 120 and 132 here)."""
    return np.arange(series.n_train, len(series.values), horizon)


def baseline_forecasts(name: str, series: MonthlySeries, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """(one-step, recursive `horizon`-step) forecasts of the test months by a rule that needs no training."""
    v, months = series.values, test_months(series)
    if name == "persistence":                  # next month = this month
        block_start = series.n_train + (months - series.n_train) // horizon * horizon
        return v[months - 1], v[block_start - 1]
    if name == "seasonal-naive":               # next month = the same month last year
        return v[months - 12], v[months - 12]
    if name == "trend+months":                 # log v = a + b t + month effect, least squares on the train months
        t = np.arange(len(v))
        design = np.column_stack([t, np.eye(12)[t % 12]])
        coef = np.linalg.lstsq(design[:series.n_train], np.log(v[:series.n_train]), rcond=None)[0]
        fitted = np.exp(design[months] @ coef)
        return fitted, fitted
    raise ValueError(f"Expected a baseline among {BASELINES}. Received: {name!r}")


BASELINES = ("persistence", "seasonal-naive", "trend+months")


# ---- models --------------------------------------------------------------------------------------

def build_forecaster(model: str, width: int, units: int):
    from keras_models.dense import build_dense_net
    from keras_models.recurrent import build_recurrent_net

    if model == "dense":
        return build_dense_net((width, 1), 1, [units], output_activation=None, name="dense_forecaster")
    return build_recurrent_net(model, width, 1, units)


def recursive_forecast(model, series: MonthlySeries, scaling: Scaling, z: np.ndarray, width: int,
                       horizon: int) -> np.ndarray:
    """From each origin, predict `horizon` months feeding each prediction back as the newest input."""
    starts = origins(series, horizon)
    history = np.stack([z[o - width:o] for o in starts]).astype(np.float32)
    levels = series.values[starts - 1]
    forecasts = []
    for _ in range(horizon):
        step = np.asarray(model(history[..., None], training=False))[:, 0]
        levels = scaling.inverse(step, levels)
        forecasts.append(levels)
        history = np.concatenate([history[:, 1:], step[:, None]], axis=1)
    per_origin = np.stack(forecasts, axis=1).reshape(-1)
    return per_origin[:len(test_months(series))]


@dataclass
class Prepared:
    """What a network trains and is tested on: the fitted scaling, the scaled series z and its windows."""

    scaling: Scaling
    z: np.ndarray
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray


def prepare(series: MonthlySeries, scaling_kind: str, width: int) -> Prepared:
    """Scaling fitted on the training months alone; training windows whose inputs and targets are all
    training months; test windows of the true past months before each test month (one-step forecasts)."""
    scaling = fit_scaling(scaling_kind, series.values[:series.n_train])
    z = scaling.forward(series.values)
    x_train, y_train = windows(z, width, train_months(series, scaling, width))
    x_test, _ = windows(z, width, test_months(series))
    return Prepared(scaling, z, x_train, y_train, x_test)


@dataclass
class Forecasts:
    """One trained network's forecasts in passengers: the test months one step and `horizon` steps ahead,
    and its one-step fit of the training months it learned from."""

    one_step: np.ndarray
    ahead: np.ndarray
    train_fit: np.ndarray
    train_actual: np.ndarray
    parameters: int
    loss: list[float]


def train_forecaster(params: dict, series: MonthlySeries, config: Config, seed: int) -> Forecasts:
    import keras

    width = params["window"]
    p = prepare(series, params["scaling"], width)
    keras.utils.set_random_seed(seed)
    model = build_forecaster(params["model"], width, config.units)
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate), loss="mse")
    fitted = interruptible_fit(model, p.x_train, p.y_train, epochs=config.epochs, batch_size=config.batch_size,
                               shuffle=True, verbose=0)

    def levels(x: np.ndarray, months: np.ndarray) -> np.ndarray:
        return p.scaling.inverse(np.asarray(model(x, training=False))[:, 0], series.values[months - 1])

    fit_months = train_months(series, p.scaling, width)
    return Forecasts(levels(p.x_test, test_months(series)),
                     recursive_forecast(model, series, p.scaling, p.z, width, config.horizon),
                     levels(p.x_train, fit_months), series.values[fit_months], model.count_params(),
                     fitted.history["loss"])


# ---- the experiment grid -------------------------------------------------------------------------

def grid(config: Config, data: MonthlySeries) -> list[Variant]:
    variants = [Variant("baseline", name, {"model": name}) for name in BASELINES]
    variants += [Variant("forecast", f"{model}-w{width}", {"model": model, "window": width, "scaling": "log-diff"})
                 for width in config.windows for model in config.models]
    variants += [Variant("scaling", f"{model}-w{config.windows[0]}-level",
                         {"model": model, "window": config.windows[0], "scaling": "level"})
                 for model in config.level_models]
    variants += [Variant(PEERS, "sarima", {"model": "sarima", "candidates": list(config.sarima_orders)}),
                 Variant(PEERS, "holt-winters", {"model": "holt-winters", "candidates": list(config.holt_winters)})]
    variants.append(Variant("twin", "numpy-lstm-vs-keras", {"model": "numpy-lstm"}))
    variants += [Variant("gradients", f"{cell}{'-clipped' if clip else ''}", {"cell": cell, "clipnorm": clip})
                 for cell in ("simple_rnn", "lstm", "gru") for clip in (None, config.clipnorm)]
    return variants


# ---- training ------------------------------------------------------------------------------------

def train(variant: Variant, data: MonthlySeries, config: Config, seed: int) -> Outcome:
    if variant.experiment == "baseline":
        return baseline_outcome(variant.params["model"], data, config)
    if variant.experiment == PEERS:
        return peer_outcome(variant.params, data, config)
    if variant.experiment == "twin":
        return twin_outcome(data, config, seed)
    if variant.experiment == "gradients":
        return gradient_outcome(variant.params, config, seed)
    return forecaster_outcome(variant.params, data, config, seed)


def statespace_model(kind: str, log_values: np.ndarray, settings: dict):
    """A statsmodels state-space model of the log series: SARIMA, or Holt-Winters exponential smoothing
    (additive trend and season on the log, i.e. a multiplicative season on the passengers)."""
    if kind == "sarima":
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        return SARIMAX(log_values, order=settings["order"], seasonal_order=settings["seasonal_order"])
    if kind == "holt-winters":
        from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing

        return ExponentialSmoothing(log_values, trend=settings["trend"], damped_trend=settings["damped_trend"],
                                    seasonal=settings["seasonal"])
    raise ValueError(f"Expected a peer among ['sarima', 'holt-winters']. Received: {kind!r}")


def peer_forecasts(params: dict, series: MonthlySeries, horizon: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """(one-step, recursive `horizon`-step) forecasts of the test months by the candidate with the lowest
    AIC on the training months, and what was chosen.

    The chosen model keeps its fitted parameters and filters the whole series (`apply`): the one-step
    forecast of month t uses the true months before t, as the networks' does; the `horizon`-step one
    starts at the same origins as theirs. exp() of the log forecast is the forecast median.
    """
    import warnings

    log = np.log(series.values)
    fits = []
    with warnings.catch_warnings(), limited_threads():  # convergence chatter of poorer orders: AIC judges them
        warnings.simplefilter("ignore")
        for settings in params["candidates"]:
            fits.append((statespace_model(params["model"], log[:series.n_train], settings).fit(disp=False),
                         settings))
        fitted, chosen = min(fits, key=lambda item: item[0].aic)
        months = test_months(series)
        one_step = fitted.apply(log).get_prediction(start=months[0], end=months[-1]).predicted_mean
        ahead = np.concatenate([fitted.apply(log[:o]).forecast(horizon) for o in origins(series, horizon)])
    info = {"chosen": chosen, "aic": float(fitted.aic), "parameters": int(len(fitted.params)),
            "candidates_tried": [{"settings": s, "aic": float(f.aic)} for f, s in fits]}
    return np.exp(one_step), np.exp(ahead[:len(months)]), info


def peer_outcome(params: dict, series: MonthlySeries, config: Config) -> Outcome:
    one_step, ahead, info = peer_forecasts(params, series, config.horizon)
    outcome = forecast_outcome(one_step, ahead, series)
    outcome.info.update(info)
    return outcome


def baseline_outcome(name: str, series: MonthlySeries, config: Config) -> Outcome:
    return forecast_outcome(*baseline_forecasts(name, series, config.horizon), series)


def forecast_outcome(one_step: np.ndarray, ahead: np.ndarray, series: MonthlySeries) -> Outcome:
    """The test metrics and forecasts of a model with one forecast per test month (no seeds)."""
    actual = series.values[test_months(series)]
    shown = slice(series.n_train - 24, len(series.values))  # two training years before the test, for the plot
    return Outcome({"test": {**forecast_metrics(one_step, actual),
                             **{f"{k}_ahead": v for k, v in forecast_metrics(ahead, actual).items()}}},
                   artifacts={"one_step": one_step.tolist(), "ahead": ahead.tolist(),
                              "months": series.months[shown].tolist(), "values": series.values[shown].tolist()})


def forecaster_outcome(params: dict, series: MonthlySeries, config: Config, seed: int) -> Outcome:
    """The network trained once per seed (`over_seeds`): metrics and forecasts are means over seeds, info
    holds their stds."""
    actual = series.values[test_months(series)]

    def train_one(s: int) -> Outcome:
        run = train_forecaster(params, series, config, s)
        test = {**forecast_metrics(run.one_step, actual),
                **{f"{k}_ahead": v for k, v in forecast_metrics(run.ahead, actual).items()}}
        return Outcome({"test": test, "train": {"rmse": forecast_metrics(run.train_fit, run.train_actual)["rmse"]}},
                       {"loss": run.loss}, {"parameters": run.parameters, "epochs_run": config.epochs},
                       {"one_step": run.one_step, "ahead": run.ahead})

    return over_seeds(train_one, range(seed, seed + config.seeds))


def twin_outcome(series: MonthlySeries, config: Config, seed: int) -> Outcome:
    """tf_raw.lstm.LSTM against keras.layers.LSTM (float64, Keras's initial weights copied across) on the
    test windows: the largest absolute differences of the outputs and of the gradients of Σ output, the
    Keras side differentiated by the backend's own autodiff (keras_models.gradients)."""
    import keras

    from keras_models.gradients import float64, gradients
    from tf_raw.lstm import LSTM

    scaling = fit_scaling("log-diff", series.values[:series.n_train])
    x, _ = windows(scaling.forward(series.values), config.windows[0], test_months(series))
    x = x.astype(np.float64)
    keras.utils.set_random_seed(seed)
    with float64():
        layer = keras.layers.LSTM(config.units, dtype="float64")
        keras_out = keras.ops.convert_to_numpy(layer(x))
        inputs_grad, weight_grads = gradients(layer, x, keras.ops.sum)
    keras_grads = [inputs_grad, *weight_grads]
    raw = LSTM(*(keras.ops.convert_to_numpy(w) for w in layer.weights))
    raw_out = raw.forward(x)
    dx, grads = raw.backward(np.ones_like(raw_out))
    raw_grads = [dx, grads["kernel"], grads["recurrent_kernel"], grads["bias"]]
    diffs = {"output": float(np.max(np.abs(raw_out - keras_out)))}
    for name, mine, theirs in zip(("inputs", "kernel", "recurrent_kernel", "bias"), raw_grads, keras_grads):
        diffs[f"grad_{name}"] = float(np.max(np.abs(mine - theirs)))
    return Outcome({"test": {f"max_diff_{k}": v for k, v in diffs.items()}},
                   info={"windows": len(x), "steps": config.windows[0], "units": config.units})


# ---- (e) vanishing gradients ---------------------------------------------------------------------

def memory_task(n: int, steps: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian noise sequences (n, steps, 1); the label is whether the FIRST value is positive, so the
    answer must be carried across every step: the gradient has to flow back `steps` steps to learn it."""
    x = np.random.default_rng(seed).normal(size=(n, steps, 1)).astype(np.float32)
    return x, (x[:, 0, 0] > 0).astype(np.float32)


def input_gradient_norms(model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """‖∂loss/∂x_t‖ for each step t: the norm over the batch and features of the input gradient."""
    import keras

    from keras_models.gradients import gradients

    def loss(output):
        return keras.ops.mean(keras.losses.binary_crossentropy(y[:, None], output))

    grads, _ = gradients(model, x, loss)
    return np.sqrt(np.sum(grads ** 2, axis=(0, 2)))


def gradient_outcome(params: dict, config: Config, seed: int) -> Outcome:
    import keras

    from keras_models.recurrent import build_recurrent_net

    x, y = memory_task(config.grad_samples, config.grad_steps, seed)
    x_test, y_test = memory_task(max(config.grad_samples // 4, 32), config.grad_steps, seed + 1)
    model = build_recurrent_net(params["cell"], config.grad_steps, 1, config.units, output_activation="sigmoid")
    at_init = input_gradient_norms(model, x_test, y_test)
    # plain SGD with momentum: Adam divides by the gradient's running scale, so clipping would barely act
    optimizer = keras.optimizers.SGD(config.grad_learning_rate, momentum=0.9, clipnorm=params["clipnorm"])
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
    fitted = interruptible_fit(model, x, y, epochs=config.grad_epochs, batch_size=config.batch_size, verbose=0)
    trained = input_gradient_norms(model, x_test, y_test)
    accuracy = float(np.mean((np.asarray(model(x_test, training=False))[:, 0] > 0.5) == y_test))
    metrics = {"test": {"accuracy": accuracy, "first_to_last_init": float(at_init[0] / at_init[-1]),
                        "first_to_last_trained": float(trained[0] / trained[-1])}}
    return Outcome(metrics, {k: [float(v) for v in vals] for k, vals in fitted.history.items()},
                   {"parameters": model.count_params(), "epochs_run": config.grad_epochs},
                   {"norms_init": at_init.tolist(), "norms_trained": trained.tolist()})


# ---- report --------------------------------------------------------------------------------------

def _score(name: str, label: str, as_percent: bool = False):
    from reports.conclusions import Score

    return Score(label, lambda r: r.metric("test", name), higher_is_better=False, as_percent=as_percent)


def scores():
    return {"rmse": _score("rmse", "one-step test RMSE")}


def subscript(n: int) -> str:
    """100 → '₁₀₀', for the step indices of ‖g_t‖."""
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def mean_std(record, name: str, percent: bool = False) -> str:
    """A test metric as 'mean ± std over seeds' (just the value for a baseline or a single seed)."""
    factor, unit = (100, "%") if percent else (1, "")
    shown = f"{factor * record.metric('test', name):.1f}{unit}"
    std = record.info.get(f"test_{name}_std")
    return shown + (f" ± {factor * std:.1f}" if std is not None and len(record.info.get("seeds", [])) > 1 else "")


def forecast_table(records, horizon: int) -> str:
    from reports.tables import count, markdown_table

    rows = []
    for r in records:
        baseline = r.experiment in ("baseline", PEERS)
        kind = "peer" if r.experiment == PEERS else "baseline"
        rows.append({"model": f"*{kind}: {r.variant}*" if baseline else f"`{r.variant}`",
                     "window": r.params.get("window", "–"), "scaling": r.params.get("scaling", "–"),
                     "chosen": chosen_shown(r),
                     "one-step RMSE": mean_std(r, "rmse"), "one-step MAPE": mean_std(r, "mape", True),
                     f"{horizon}-step RMSE": mean_std(r, "rmse_ahead"),
                     f"{horizon}-step MAPE": mean_std(r, "mape_ahead", True),
                     "train RMSE": f"{r.metric('train', 'rmse'):.1f}" if not baseline else "–",
                     "parameters": r.info.get("parameters"), "wall s": f"{r.wall_seconds:.1f}"})
    return markdown_table(rows, formats={"parameters": count})


def chosen_shown(record) -> str:
    """A peer's chosen candidate: SARIMA's (p,d,q)(P,D,Q,s), or Holt-Winters damped or not."""
    chosen = record.info.get("chosen")
    if not chosen:
        return "–"
    if "order" in chosen:
        return f"({','.join(map(str, chosen['order']))})({','.join(map(str, chosen['seasonal_order']))})"
    return "damped trend" if chosen.get("damped_trend") else "trend"


def headline(view):
    """The network set against the peers: `Config.headline`, fixed before the run (never the test's pick)."""
    name = view.setting("headline", Config.headline)
    return next((r for r in view.experiment("forecast") if r.variant == name), None)


def showdown(view):
    """The headline network against `Config.headline_peer` (SARIMA), both fixed before the run, on
    one-step test RMSE; the tie band is the network's std over seeds."""
    from reports.peers import Showdown

    net = headline(view)
    name = view.setting("headline_peer", Config.headline_peer)
    peer = next((r for r in view.experiment(PEERS) if r.variant == name), None)
    if net is None or peer is None:
        return None
    noise = net.info.get("test_rmse_std") if len(net.info.get("seeds", [])) > 1 else None
    return Showdown(net, peer, scores()["rmse"], noise, rule="both fixed before the run; the peer's order "
                    "chosen by AIC on the training months", peer_role="the peer",
                    band="of the network's std over seeds")


def report_sections(view) -> list[str]:
    from reports import plots

    baselines, learned = view.experiment("baseline"), view.experiment("forecast") + view.experiment("scaling")
    peers = view.experiment(PEERS)
    seeds = max((len(r.info.get("seeds", [])) for r in learned), default=0)
    horizon = view.setting("horizon", Config.horizon)
    sections = [
        f"## (a)-(c) Forecasts of the last {view.data_info['sizes']['test']} months: every model against the "
        "baselines\n\n"
        f"First test month {view.data_info.get('first_test_month', '?')}. Networks: mean ± std over {seeds} "
        "seed(s). *log-diff*: the network sees standardised log month-to-month changes and its output is turned "
        "back into a level; *level*: min-max scaled passengers (section (c)). Scaling is fitted on the training "
        f"months only. *{horizon}-step*: from the first test month, and every {horizon} months after it, the "
        f"model's own predictions are fed back for {horizon} months. RMSE is in thousands of passengers.\n\n"
        "(f) *peer* rows: SARIMA and Holt-Winters exponential smoothing (statsmodels) on the log series, each "
        "candidate fitted on the training months and the lowest AIC kept (*chosen*: SARIMA's (p,d,q)(P,D,Q,s)); "
        "with those parameters the model filters the whole series, so its one-step forecast of a test month "
        "uses the true months before it, as the networks' does. *parameters*: a peer's fitted coefficients.\n\n"
        + forecast_table(baselines + peers + learned, horizon)]
    best = headline(view)
    sarima = next((r for r in peers if r.variant == view.setting("headline_peer", Config.headline_peer)), None)
    naive = next((r for r in baselines if r.variant == "seasonal-naive"), None)
    if best is not None and naive is not None:
        months, values = view.artifact(naive, "months"), view.artifact(naive, "values")
        test = months[-len(view.artifact(naive, "one_step")):]
        for kind, title in (("one_step", "one-step (each month from the true past)"),
                            ("ahead", f"{horizon}-step recursive (its own predictions fed back)")):
            lines = {f"{best.variant} (headline network, mean over seeds)": view.artifact(best, kind),
                     "seasonal-naive": view.artifact(naive, kind)}
            if sarima is not None:
                lines[f"{sarima.variant} {chosen_shown(sarima)}"] = view.artifact(sarima, kind)
            path = plots.forecast(months, values, test, lines, view.figure(f"forecast_{kind}.png"),
                                  ylabel="passengers (thousands)", title=f"Test forecasts, {title}")
            sections.append(f"### Forecasts against the truth: {kind.replace('_', '-')}\n\n"
                            + view.image(path, f"{kind} forecast against the truth"))
    sections.append(twin_section(view))
    sections.append(gradient_section(view))
    return sections


def twin_section(view) -> str:
    from reports.tables import markdown_table

    record = next(iter(view.experiment("twin")), None)
    if record is None:
        return "## (d) The NumPy LSTM against keras.layers.LSTM\n\n*Not recorded.*"
    rows = [{"quantity": name.replace("max_diff_", "").replace("grad_", "gradient wrt "),
             "max abs(NumPy − Keras)": f"{value:.2e}"} for name, value in record.metrics["test"].items()]
    return ("## (d) The NumPy LSTM against keras.layers.LSTM\n\n"
            "tf_raw/lstm.py (forward and BPTT) with the weights of a float64 "
            f"keras.layers.LSTM({record.info['units']}) copied in, on the {record.info['windows']} test windows "
            f"of {record.info['steps']} months; gradients of "
            f"Σ output by the {view.run['backend']} backend's autodiff. Tolerance 1e-5.\n\n" + markdown_table(rows))


def gradient_section(view) -> str:
    from reports import plots
    from reports.tables import markdown_table

    records = view.experiment("gradients")
    if not records:
        return "## (e) Vanishing gradients\n\n*Not recorded.*"
    steps = view.setting("grad_steps", Config.grad_steps)
    ratio = f"‖g₁‖/‖g{subscript(steps)}‖"
    rows = [{"cell": f"`{r.variant}`", "clipnorm": r.params.get("clipnorm") or "–",
             f"{ratio} at init": f"{r.metric('test', 'first_to_last_init'):.2e}",
             f"{ratio} trained": f"{r.metric('test', 'first_to_last_trained'):.2e}",
             "memory-task test accuracy": f"{100 * r.metric('test', 'accuracy'):.1f}%"} for r in records]
    unclipped = [r for r in records if not r.params.get("clipnorm")]
    init = plots.curves({r.params["cell"]: view.artifact(r, "norms_init") for r in unclipped},
                        view.figure("gradient_norm_init.png"), log_y=True, xlabel="input time step (1 = oldest)",
                        ylabel="‖∂loss/∂x_t‖",
                        title="At initialisation: how much of the loss reaches each step")
    trained = plots.curves({f"{r.variant}": view.artifact(r, "norms_trained") for r in records},
                           view.figure("gradient_norm_trained.png"), log_y=True,
                           xlabel="input time step (1 = oldest)", ylabel="‖∂loss/∂x_t‖",
                           title="After training, with and without clipping")
    return (f"## (e) Vanishing gradients over {steps} steps\n\n"
            f"A memory task: the label is the sign of the *first* of {steps} noise values, so learning it needs the "
            "gradient of the loss to reach step 1. ‖g_t‖ is the norm of ∂loss/∂x_t over the test batch; "
            f"the ratio {ratio} says how much weaker the signal is at the oldest step than at the newest. "
            "Chance accuracy is 50%.\n\n" + markdown_table(rows) + "\n\n"
            + view.image(init, "gradient norm per step at initialisation") + "\n\n"
            + view.image(trained, "gradient norm per step after training"))


def conclusions(view) -> list[str]:
    from reports.conclusions import experiment_findings
    from reports.peers import peer_lines

    s = scores()
    baselines = {r.variant: r for r in view.experiment("baseline")}
    naive = baselines.get("seasonal-naive")
    best_baseline = next(iter(s["rmse"].ranked(list(baselines.values()))), None)
    lines = experiment_findings("(b) networks on log changes", view.experiment("forecast"), s["rmse"],
                                baseline=naive)
    best = headline(view)
    if best is not None:
        rmse = best.metric("test", "rmse")
        if best_baseline is not None:
            lines.append(f"Headline network (fixed before the run): `{best.variant}`, one-step test RMSE "
                         f"{mean_std(best, 'rmse')} (MAPE {mean_std(best, 'mape', True)}); the best baseline is "
                         f"`{best_baseline.variant}` at {best_baseline.metric('test', 'rmse'):.1f}.")
        lines += peer_lines(view.experiment(PEERS), s["rmse"], "each chosen by AIC on the training months")
        duel = showdown(view)
        if duel is not None:
            lines.append(duel.sentence() + (
                f" {duel.peer.variant} builds the yearly season and the growth in with "
                f"{duel.peer.info.get('parameters', 0)} coefficients; the network has to learn them from "
                f"{view.data_info.get('sizes', {}).get('train', 0)} training months." if duel.verdict == "loses"
                else ""))
        ahead = best.metric("test", "rmse_ahead")
        lines.append(f"Feeding its own predictions back for {view.setting('horizon', Config.horizon)} months, "
                     f"`{best.variant}` reaches RMSE {ahead:.1f}, "
                     f"{ahead / rmse:.2f}× its one-step error"
                     + (": errors compound when the inputs are predictions." if ahead > rmse else "."))
        against_naive = forecast_verdict(view)
        if against_naive is not None:
            lines.append(against_naive.sentence())
    for level in view.experiment("scaling"):
        twin = next((r for r in view.experiment("forecast")
                     if r.params["model"] == level.params["model"] and r.params["window"] == level.params["window"]),
                    None)
        if twin is not None:
            a, b = level.metric("test", "rmse"), twin.metric("test", "rmse")
            spread = level.info.get("test_rmse_std", 0.0) + twin.info.get("test_rmse_std", 0.0)
            verdict = "a tie within the seed spread" if abs(a - b) <= spread else \
                f"{'better' if b < a else 'worse'} by {abs(a - b):.1f}"
            lines.append(f"(c) What helped: `{level.params['model']}` on min-max scaled levels scored RMSE {a:.1f}, on "
                         f"log changes {b:.1f} ({verdict})."
                         + (" The test months lie above the training range, where a network trained on levels has "
                            "never seen a target; changes stay in range." if b < a - spread else ""))
    widths = sorted({r.params["window"] for r in view.experiment("forecast")})
    if len(widths) > 1:
        means = {w: np.mean([r.metric("test", "rmse") for r in view.experiment("forecast") if r.params["window"] == w])
                 for w in widths}
        lines.append("Window length, mean one-step RMSE over the networks: "
                     + ", ".join(f"{w} months {m:.1f}" for w, m in means.items()) + ".")
    equal = twin_verdict(view)
    if equal is not None:
        lines.append("(d) " + equal.sentence())
    grads = {r.variant: r for r in view.experiment("gradients")}
    init = [r for r in grads.values() if not r.params.get("clipnorm")]
    identical = []
    steps = view.setting("grad_steps", Config.grad_steps)
    if init:
        weakest = min(init, key=lambda r: r.metric("test", "first_to_last_init"))
        lines.append(f"(e) At initialisation the gradient reaching step 1, relative to step {steps}: "
                     + ", ".join(f"{r.params['cell']} {r.metric('test', 'first_to_last_init'):.1e}" for r in init)
                     + f"; it vanishes most in `{weakest.params['cell']}`.")
        for r in init:
            clipped = grads.get(f"{r.variant}-clipped")
            if clipped is not None:
                if clipped.metrics == r.metrics:
                    identical.append(r.variant)
                lines.append(f"`{r.variant}` on the {steps}-step memory task: "
                             f"{100 * r.metric('test', 'accuracy'):.1f}% without clipping, "
                             f"{100 * clipped.metric('test', 'accuracy'):.1f}% with clipnorm "
                             f"{clipped.params['clipnorm']} (chance 50%).")
    if identical:
        lines.append(f"With and without clipping, {', '.join(f'`{v}`' for v in identical)} ended identical, so no "
                     "gradient ever exceeded the clipping norm: clipping guards against exploding gradients and does "
                     "nothing for vanishing ones.")
    return [line for line in lines if line]


def verdicts(view) -> list:
    """The targets (COURSE.md): the LSTM's test RMSE below seasonal-naive's (the headline: the network fixed
    before the run, `Config.headline`, on one-step RMSE), and the NumPy LSTM equal to keras.layers.LSTM to
    1e-5. Each is left out when its records are missing (a run with --only)."""
    return [verdict for verdict in (forecast_verdict(view), twin_verdict(view)) if verdict is not None]


def forecast_verdict(view):
    """`value`: the headline network's one-step test RMSE (thousands of passengers), met below seasonal-naive's."""
    from reports.conclusions import Verdict

    best = headline(view)
    naive = next((r for r in view.experiment("baseline") if r.variant == "seasonal-naive"), None)
    if best is None or naive is None:
        return None
    rmse, bar = best.metric("test", "rmse"), naive.metric("test", "rmse")
    return Verdict("headline network's one-step test RMSE below seasonal-naive's", rmse,
                   f"{rmse:.1f}, `{best.variant}`, fixed before the run, against {bar:.1f}", rmse < bar,
                   full_run=not view.quick)


def twin_verdict(view):
    """`value`: the largest |NumPy − Keras| over the outputs and gradients of the twin check."""
    from reports.conclusions import Verdict

    twin = next(iter(view.experiment("twin")), None)
    if twin is None:
        return None
    worst = float(np.max(list(twin.metrics["test"].values())))  # NaN, if any, propagates and fails the check
    within = worst <= 1e-5
    return Verdict("the NumPy LSTM equals keras.layers.LSTM to 1e-5", worst,
                   f"{worst:.1e} at most over outputs and gradients, {'within' if within else 'OUTSIDE'} the "
                   f"1e-5 tolerance", within, full_run=not view.quick)
