"""One way to train and evaluate a Keras classifier, shared by every lesson that uses Keras."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Mapping

import keras
import numpy as np

from keras_models.stopping import interruptible_fit

OPTIMIZERS = {
    "sgd": keras.optimizers.SGD,
    "adam": keras.optimizers.Adam,
    "rmsprop": keras.optimizers.RMSprop,
    "adagrad": keras.optimizers.Adagrad,
    "nadam": keras.optimizers.Nadam,
}


def make_optimizer(name: str, learning_rate: float | None = None, **kwargs) -> keras.optimizers.Optimizer:
    """An optimizer by name, with Keras's default learning rate unless one is given."""
    try:
        cls = OPTIMIZERS[name]
    except KeyError:
        raise ValueError(f"Expected an optimizer among {sorted(OPTIMIZERS)}. Received: {name!r}") from None
    if learning_rate is not None:
        kwargs["learning_rate"] = learning_rate
    return cls(**kwargs)


class EpochLog(keras.callbacks.Callback):
    """Prints a line per epoch (or every `every` epochs): the variant, epoch i/n, the logged metrics, seconds."""

    def __init__(self, label: str, epochs: int, stream=None, every: int = 1):
        super().__init__()
        self.label, self.epochs, self.stream, self.every = label, epochs, stream or sys.stdout, every
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)
        if (epoch + 1) % self.every and epoch + 1 != self.epochs:
            return
        shown = "  ".join(f"{k} {v:.4f}" for k, v in sorted((logs or {}).items()) if k != "learning_rate")
        print(f"    {self.label}  epoch {epoch + 1}/{self.epochs}  {shown}  {self.seconds[-1]:.1f}s",
              file=self.stream, flush=True)


@dataclass
class FitResult:
    history: dict[str, list[float]]
    seconds_per_epoch: float
    epochs_run: int


def fit_model(model: keras.Model, x_train, y_train, x_val, y_val, *, loss, metrics: list, monitor: str,
              optimizer: str | keras.optimizers.Optimizer, epochs: int, batch_size: int, label: str,
              patience: int | None = None, lr_patience: int | None = None, learning_rate: float | None = None,
              log_every: int = 1, jit_compile: bool | str = "auto") -> FitResult:
    """Compile with `loss` and `metrics` and fit with per-epoch progress (a line every `log_every` epochs).

    `jit_compile=False` skips XLA: compiling costs seconds per model, more than it saves on tiny nets.

    With `patience`, early stopping watches `monitor` (a val_ metric; Keras infers its direction) and
    restores the best epoch's weights. With `lr_patience`, the learning rate halves whenever val_loss
    has not improved for that many epochs (down to 1e-5): late epochs then take smaller steps instead
    of bouncing around a minimum.
    """
    if isinstance(optimizer, str):
        optimizer = make_optimizer(optimizer, learning_rate)
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics, jit_compile=jit_compile)
    log = EpochLog(label, epochs, every=log_every)
    callbacks: list[keras.callbacks.Callback] = [log]
    if patience:
        callbacks.append(keras.callbacks.EarlyStopping(monitor=monitor, patience=patience,
                                                       restore_best_weights=True))
    if lr_patience:
        callbacks.append(keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5,
                                                           patience=lr_patience, min_lr=1e-5))
    fitted = interruptible_fit(model, x_train, y_train, validation_data=(x_val, y_val), epochs=epochs,
                               batch_size=None if isinstance(x_train, keras.utils.PyDataset) else batch_size,
                               shuffle=True, verbose=0, callbacks=callbacks)
    history = {k: [float(v) for v in values] for k, values in fitted.history.items()}
    return FitResult(history, float(np.median(log.seconds)), len(log.seconds))


def fit_classifier(model: keras.Model, x_train, y_train, x_val, y_val, *, optimizer: str | keras.optimizers.Optimizer,
                   epochs: int, batch_size: int, label: str, patience: int | None = None,
                   lr_patience: int | None = None, learning_rate: float | None = None,
                   jit_compile: bool | str = "auto") -> FitResult:
    """`fit_model` with sparse categorical cross-entropy, accuracy, early stopping on val_accuracy."""
    return fit_model(model, x_train, y_train, x_val, y_val, loss="sparse_categorical_crossentropy",
                     metrics=["accuracy"], monitor="val_accuracy", optimizer=optimizer, epochs=epochs,
                     batch_size=batch_size, label=label, patience=patience, lr_patience=lr_patience,
                     learning_rate=learning_rate, jit_compile=jit_compile)


def one_cycle(peak_rate: float, epochs: int, warmup_epochs: int, examples: int, batch_size: int,
              start_fraction: float = 0.04):
    """The learning rate of a one-cycle schedule over `epochs` of `examples` in batches of `batch_size`: a
    linear warm-up from `start_fraction`·peak to `peak_rate` over `warmup_epochs`, then a cosine down to 0
    at the last step (Keras's own CosineDecay with its warm-up). A fixed budget of steps, no early
    stopping: the schedule itself ends training on a small rate."""
    steps_per_epoch = -(-examples // batch_size)
    steps, warmup_steps = epochs * steps_per_epoch, warmup_epochs * steps_per_epoch
    return keras.optimizers.schedules.CosineDecay(peak_rate * start_fraction, max(1, steps - warmup_steps),
                                                  warmup_target=peak_rate, warmup_steps=warmup_steps)


def predict_classes(model: keras.Model, x, batch_size: int = 1024, flip: bool = False) -> np.ndarray:
    """Class probabilities, (N, n_classes) float32. `flip`: test-time augmentation, the mean of the
    probabilities of each image and of its mirror image (width is axis 2 of (N, H, W[, C]))."""
    probabilities = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    if flip:
        mirrored = np.asarray(model.predict(np.flip(np.asarray(x), axis=2), batch_size=batch_size, verbose=0))
        probabilities = (probabilities + mirrored) / 2
    return probabilities


def classification_metrics(probabilities: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Accuracy and mean cross-entropy of predicted probabilities against integer labels."""
    p_true = np.clip(probabilities[np.arange(len(y)), y], 1e-7, 1.0)
    return {"accuracy": float(np.mean(probabilities.argmax(axis=1) == y)),
            "loss": float(-np.mean(np.log(p_true)))}


def evaluate_splits(model: keras.Model, splits: Mapping[str, tuple], flip: bool = False) -> tuple[dict, dict]:
    """Metrics per split and the predicted classes per split: ({split: metrics}, {split: y_pred});
    `flip` averages each image's prediction with its mirror image's (`predict_classes`)."""
    metrics, predictions = {}, {}
    for split, (x, y) in splits.items():
        probabilities = predict_classes(model, x, flip=flip)
        metrics[split] = classification_metrics(probabilities, y)
        predictions[split] = probabilities.argmax(axis=1)
    return metrics, predictions


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """MAE, RMSE and R² = 1 - SS_res / SS_tot of predictions against targets (both (N,))."""
    residual = np.asarray(y_true, dtype=np.float64) - np.asarray(y_pred, dtype=np.float64)
    total = np.sum((y_true - np.mean(y_true)) ** 2)
    return {"mae": float(np.mean(np.abs(residual))), "rmse": float(np.sqrt(np.mean(residual ** 2))),
            "r2": float(1.0 - np.sum(residual ** 2) / total) if total > 0 else float("nan")}
