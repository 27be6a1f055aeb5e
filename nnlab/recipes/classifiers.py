"""Training recipes shared by the image-classification lessons: the Keras one and the baseline."""
from __future__ import annotations

import keras
import numpy as np

from keras_models.conv import build_conv_net
from keras_models.training import evaluate_splits, fit_classifier, make_optimizer
from nnlab.data.images import ImageClasses
from nnlab.runner import Outcome


def keras_outcome(model: keras.Model, data: ImageClasses, *, optimizer: str | keras.optimizers.Optimizer,
                  epochs: int, batch_size: int, label: str, patience: int | None = None,
                  lr_patience: int | None = None, learning_rate: float | None = None, xla: bool = True,
                  flip_tta: bool = False) -> Outcome:
    """Fit `model` on data.train (validating on data.val), evaluate on all splits, keep test predictions.

    `xla=False` skips XLA compilation, whose seconds per model a 2-epoch quick run never earns back.
    `flip_tta`: every split is scored on the mean prediction of each image and its mirror image.
    """
    fit = fit_classifier(model, data.x_train, data.y_train, data.x_val, data.y_val, optimizer=optimizer,
                         epochs=epochs, batch_size=batch_size, label=label, patience=patience,
                         lr_patience=lr_patience, learning_rate=learning_rate,
                         jit_compile="auto" if xla else False)
    metrics, predictions = evaluate_splits(model, {"train": (data.x_train, data.y_train),
                                                   "val": (data.x_val, data.y_val),
                                                   "test": (data.x_test, data.y_test)}, flip=flip_tta)
    val = fit.history.get("val_accuracy", [])
    info = {"parameters": int(model.count_params()), "seconds_per_epoch": fit.seconds_per_epoch,
            "epochs_run": fit.epochs_run, "best_epoch": int(np.argmax(val)) + 1 if val else None}
    return Outcome(metrics, fit.history, info,
                   {"test_pred": predictions["test"], "test_true": data.y_test})


def majority_outcome(data: ImageClasses) -> Outcome:
    """The baseline every table starts with: always predict the most common training class."""
    majority = int(np.bincount(data.y_train).argmax())
    metrics = {split: {"accuracy": float(np.mean(y == majority))}
               for split, y in (("train", data.y_train), ("val", data.y_val), ("test", data.y_test))}
    return Outcome(metrics, info={"parameters": 0, "majority_class": data.class_names[majority]},
                   artifacts={"test_pred": np.full_like(data.y_test, majority), "test_true": data.y_test})


def conv_hypermodel(hp, data: ImageClasses) -> keras.Model:
    """Keras Tuner search space of the conv-pool CNNs: blocks, filters, dense width, dropout, batch norm,
    optimizer and learning rate; a compiled model."""
    blocks = hp.Int("blocks", 1, 3)
    base = hp.Choice("filters", [16, 32, 64])
    model = build_conv_net(data.input_shape, data.n_classes, filters=[base * 2 ** i for i in range(blocks)],
                           kernel_sizes=(5, 3), dense_units=hp.Choice("dense", [64, 128, 256]),
                           dropout=hp.Float("dropout", 0.0, 0.5, step=0.1), batch_norm=hp.Boolean("batch_norm"))
    optimizer = make_optimizer(hp.Choice("optimizer", ["adam", "rmsprop"]),
                               hp.Float("learning_rate", 1e-4, 1e-2, sampling="log"))
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
