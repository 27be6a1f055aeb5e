"""The raw twins of keras_models' builders: same layers in the same order, so weights copy across.

They return logits (no final softmax): training works from logits (see softmax.py), and
softmax(raw logits) equals the Keras model's output for the same weights.
"""
from __future__ import annotations

from typing import Sequence

from tf_raw.conv import Conv2D
from tf_raw.dense import Dense
from tf_raw.dropout import Dropout
from tf_raw.flatten import Flatten
from tf_raw.pooling import MaxPool2D
from tf_raw.sequential import Sequential


def dense_net(n_classes: int, hidden: Sequence[int], *, dropout: float = 0.0) -> Sequential:
    """Flatten -> [Dense(h, relu) -> Dropout]* -> Dense(n_classes): keras_models.dense.build_dense_net."""
    layers = [Flatten()]
    for units in hidden:
        layers.append(Dense(units, activation="relu"))
        if dropout:
            layers.append(Dropout(dropout))
    layers.append(Dense(n_classes))
    return Sequential(layers, name="raw_dense_net")


def conv_net(n_classes: int, *, filters: Sequence[int] = (32, 64), kernel_sizes: Sequence[int] = (5, 3),
             dense_units: int = 128, dropout: float = 0.3, image_size: int = 28, conv=Conv2D) -> Sequential:
    """[conv(f, k, same, relu) -> MaxPool2D(2)] per block -> Flatten -> Dense(relu) -> Dropout -> Dense.

    keras_models.conv.build_conv_net without batch norm, for (batch, H, W, C) input; pooling stops once
    the map is 1 pixel wide, as there. `conv` is Conv2D or PatchConv2D.
    """
    layers = []
    size = image_size
    for i, f in enumerate(filters):
        layers.append(conv(f, kernel_sizes[min(i, len(kernel_sizes) - 1)], padding="same", activation="relu"))
        if size >= 2:
            layers.append(MaxPool2D(2))
            size //= 2
    layers.append(Flatten())
    if dense_units:
        layers.append(Dense(dense_units, activation="relu"))
    if dropout:
        layers.append(Dropout(dropout))
    layers.append(Dense(n_classes))
    return Sequential(layers, name="raw_conv_net")
