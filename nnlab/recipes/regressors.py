"""Training recipes shared by the regression lessons: a Keras regressor and the two baselines."""
from __future__ import annotations

import keras
import numpy as np

from keras_models.training import fit_model, regression_metrics
from nnlab.data.regression import Regression
from nnlab.runner import Outcome

# The losses the lessons compare, by the name a variant records.
LOSSES = {
    "mse": keras.losses.MeanSquaredError,
    "mae": keras.losses.MeanAbsoluteError,
    "huber": keras.losses.Huber,          # quadratic within 1 k$ of the target, linear beyond: robust to outliers
    "log_cosh": keras.losses.LogCosh,     # log(cosh(error)): ~error²/2 when small, ~|error| when large
}
# What every regressor tracks per epoch besides its loss.
TRACKED_METRICS = ("mae", "rmse")


def make_loss(name: str) -> keras.losses.Loss:
    try:
        return LOSSES[name]()
    except KeyError:
        raise ValueError(f"Expected a loss among {sorted(LOSSES)}. Received: {name!r}") from None


def tracked_metrics() -> list:
    return [keras.metrics.MeanAbsoluteError(name="mae"), keras.metrics.RootMeanSquaredError(name="rmse")]


def split_metrics(predict, data: Regression, loss: str) -> tuple[dict, dict]:
    """Per split: the variant's own loss, MAE, RMSE and R² of `predict(x) -> (N,)`; and the predictions."""
    metrics, predictions = {}, {}
    loss_fn = make_loss(loss)
    for split in ("train", "val", "test"):
        x, y = getattr(data, f"x_{split}"), getattr(data, f"y_{split}")
        pred = np.asarray(predict(x), dtype=np.float32).reshape(-1)
        loss_value = keras.ops.convert_to_numpy(loss_fn(y.reshape(-1, 1), pred.reshape(-1, 1)))
        metrics[split] = {"loss": float(loss_value), **regression_metrics(y, pred)}
        predictions[split] = pred
    return metrics, predictions


def keras_regression_outcome(model: keras.Model, data: Regression, *, loss: str, optimizer: str, epochs: int,
                             batch_size: int, label: str, patience: int | None = None,
                             lr_patience: int | None = None, learning_rate: float | None = None,
                             log_every: int = 1) -> Outcome:
    """Fit a (batch, 1)-output `model` on data.train (validating on data.val) and score every split.

    Without XLA: regression nets here are a few thousand weights, compiled in more time than they train.
    """
    fit = fit_model(model, data.x_train, data.y_train, data.x_val, data.y_val, loss=make_loss(loss),
                    metrics=tracked_metrics(), monitor="val_loss", optimizer=optimizer, epochs=epochs,
                    batch_size=batch_size, label=label, patience=patience, lr_patience=lr_patience,
                    learning_rate=learning_rate, log_every=log_every, jit_compile=False)
    metrics, predictions = split_metrics(lambda x: model.predict(x, batch_size=1024, verbose=0), data, loss)
    val = fit.history.get("val_loss", [])
    info = {"parameters": int(model.count_params()), "seconds_per_epoch": fit.seconds_per_epoch,
            "epochs_run": fit.epochs_run, "best_epoch": int(np.argmin(val)) + 1 if val else None}
    return Outcome(metrics, fit.history, info, {"test_pred": predictions["test"], "test_true": data.y_test})


def mean_outcome(data: Regression) -> Outcome:
    """Baseline: predict the training targets' mean for every row (R² is 0 on train by definition)."""
    mean = float(np.mean(data.y_train))
    metrics, _ = split_metrics(lambda x: np.full(len(x), mean), data, "mse")
    return Outcome(metrics, info={"parameters": 1, "prediction": mean})


def linear_outcome(data: Regression) -> Outcome:
    """Baseline: ordinary least squares on the standardised features (scikit-learn)."""
    from sklearn.linear_model import LinearRegression

    fitted = LinearRegression().fit(data.x_train, data.y_train)
    metrics, predictions = split_metrics(fitted.predict, data, "mse")
    return Outcome(metrics, info={"parameters": int(fitted.coef_.size + 1)},
                   artifacts={"test_pred": predictions["test"], "test_true": data.y_test})
