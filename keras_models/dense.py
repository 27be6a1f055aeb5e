"""Fully connected classifiers and the arithmetic of their parameter counts."""
from __future__ import annotations

import math
from typing import Sequence

import keras
from keras import layers


def build_dense_net(input_shape: Sequence[int], n_classes: int, hidden: Sequence[int], *,
                    activation: str = "relu", dropout: float = 0.0, output_activation: str | None = "softmax",
                    name: str = "dense_net") -> keras.Model:
    """Flatten -> [Dense(h, activation) -> Dropout]* -> Dense(n_classes, output_activation).

    A net with `len(hidden) + 1` Dense layers; the course counts these as its "layers", so a
    "2-layer net" has one hidden layer. Input: (batch, *input_shape) floats; output: class probabilities,
    or with `output_activation=None` n_classes real values (a regression head, e.g. a forecast).
    """
    inputs = keras.Input(shape=tuple(input_shape))
    x = layers.Flatten()(inputs)
    for i, units in enumerate(hidden):
        x = layers.Dense(units, activation=activation, name=f"hidden_{i + 1}")(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(n_classes, activation=output_activation, name="classes")(x)
    return keras.Model(inputs, outputs, name=name)


def dense_param_count(n_in: int, hidden: Sequence[int], n_out: int) -> int:
    """Weights + biases of a dense chain n_in -> hidden... -> n_out."""
    sizes = [n_in, *hidden, n_out]
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))


def width_for_budget(n_in: int, n_out: int, n_layers: int, budget: int) -> int:
    """Hidden width w so that `n_layers` Dense layers (n_layers - 1 hidden, all width w) have about
    `budget` parameters.

    With k = n_layers - 1 hidden layers the count is
        (n_in + 1) w + (k - 1)(w + 1) w + (w + 1) n_out,
    a quadratic in w; we take its positive root and then the better of the two integers around it.
    """
    if n_layers < 2:
        raise ValueError(f"Expected n_layers >= 2 (at least one hidden layer). Received: {n_layers}")
    k = n_layers - 1
    a, b, c = k - 1, n_in + 1 + (k - 1) + n_out, n_out - budget
    root = -c / b if a == 0 else (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)
    candidates = {max(1, math.floor(root)), max(1, math.ceil(root))}
    return min(candidates, key=lambda w: abs(dense_param_count(n_in, [w] * k, n_out) - budget))
