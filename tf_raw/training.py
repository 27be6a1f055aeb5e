"""Training without Keras: a GradientTape step under tf.function, an evaluation loop, and fit.

One training step, for a batch (x, y):
    forward:  logits = model(x, training=True); loss = mean cross-entropy(y, logits)
    backward: tape.gradient(loss, weights) -- TensorFlow's reverse-mode autodiff of that forward pass
    update:   optimizer.apply_gradients(zip(gradients, weights))
tf.function traces the Python step once into a graph, so later steps run without Python overhead.
`fit` returns history in the results store's format: {metric: [value per epoch]} with the same
keys as keras Model.fit (loss, accuracy, val_loss, val_accuracy).
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import tensorflow as tf

from tf_raw.optimizers import Optimizer
from tf_raw.softmax import softmax, sparse_cross_entropy_from_logits

Loss = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]


def make_train_step(model, optimizer: Optimizer, loss_fn: Loss = sparse_cross_entropy_from_logits,
                    jit_compile: bool = False) -> Callable:
    """A compiled step (x, y) -> (mean loss, number of correct predictions) that updates the model.

    The model and the optimizer are built here, eagerly, because a tf.function must not create
    variables after its first trace.
    """
    if not optimizer.built:
        optimizer.build(model.weights)

    @tf.function(reduce_retracing=True, jit_compile=jit_compile)
    def step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(y, logits)
        gradients = tape.gradient(loss, model.weights)
        optimizer.apply_gradients(zip(gradients, model.weights))
        return loss, correct(y, logits)

    return step


def correct(y: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """How many argmax predictions equal the integer labels, as float32."""
    hits = tf.equal(tf.argmax(logits, axis=-1, output_type=tf.int32), tf.cast(y, tf.int32))
    return tf.reduce_sum(tf.cast(hits, tf.float32))


def make_eval_step(model, loss_fn: Loss = sparse_cross_entropy_from_logits) -> Callable:
    @tf.function(reduce_retracing=True)
    def step(x, y):
        logits = model(x, training=False)
        return loss_fn(y, logits), correct(y, logits)

    return step


def evaluate(model, dataset: tf.data.Dataset, eval_step: Callable | None = None) -> dict[str, float]:
    """Mean loss and accuracy over every sample of `dataset` (batches weighted by their size)."""
    eval_step = eval_step or make_eval_step(model)
    total_loss = total_correct = count = 0.0
    for x, y in dataset:
        loss, hits = eval_step(x, y)
        n = float(tf.shape(y)[0])
        total_loss += float(loss) * n
        total_correct += float(hits)
        count += n
    if not count:
        raise ValueError("Expected a dataset with at least one sample. Received: an empty dataset")
    return {"loss": total_loss / count, "accuracy": total_correct / count}


def predict_probabilities(model, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """softmax of the model's logits for every sample of x, in batches: (N, n_classes) float32."""
    forward = tf.function(lambda batch: softmax(model(batch, training=False)), reduce_retracing=True)
    return np.concatenate([forward(x[i:i + batch_size]).numpy() for i in range(0, len(x), batch_size)])


@dataclass
class FitResult:
    history: dict[str, list[float]]
    seconds_per_epoch: float      # median over epochs, training only (validation excluded)
    seconds_per_step: float       # median epoch time / steps per epoch
    epochs_run: int


def fit(model, optimizer: Optimizer, train: tf.data.Dataset, *, epochs: int, validation: tf.data.Dataset | None = None,
        loss_fn: Loss = sparse_cross_entropy_from_logits, label: str = "raw", stream=None,
        jit_compile: bool = False) -> FitResult:
    """Train for `epochs` passes over `train`, evaluating on `validation` after each; print a line per epoch.

    The training loss/accuracy of an epoch are averaged over its batches as they were trained
    (dropout on, weights moving), which is what Keras reports too.
    """
    stream = stream or sys.stdout
    train_step = make_train_step(model, optimizer, loss_fn, jit_compile)
    eval_step = make_eval_step(model, loss_fn)
    history: dict[str, list[float]] = {}
    seconds, steps = [], 0
    for epoch in range(epochs):
        start = time.perf_counter()
        total_loss = total_correct = count = 0.0
        steps = 0
        for x, y in train:
            loss, hits = train_step(x, y)
            n = float(tf.shape(y)[0])
            total_loss += float(loss) * n
            total_correct += float(hits)
            count += n
            steps += 1
        seconds.append(time.perf_counter() - start)
        metrics = {"loss": total_loss / count, "accuracy": total_correct / count}
        if validation is not None:
            metrics.update({f"val_{k}": v for k, v in evaluate(model, validation, eval_step).items()})
        for key, value in metrics.items():
            history.setdefault(key, []).append(value)
        shown = "  ".join(f"{k} {v:.4f}" for k, v in sorted(metrics.items()))
        print(f"    {label}  epoch {epoch + 1}/{epochs}  {shown}  {seconds[-1]:.1f}s", file=stream, flush=True)
    median = float(np.median(seconds))
    return FitResult(history, median, median / max(steps, 1), epochs)
