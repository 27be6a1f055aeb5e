"""Convolutional classifiers in the AlexNet habit: conv-pool blocks whose kernels shrink with depth."""
from __future__ import annotations

from typing import Sequence

import keras
from keras import layers


def build_conv_net(input_shape: Sequence[int], n_classes: int, *, filters: Sequence[int] = (32, 64),
                   kernel_sizes: Sequence[int] = (5, 3), dense_units: int = 128, dropout: float = 0.3,
                   batch_norm: bool = False, convs_per_block: int = 1, block_dropout: float = 0.0,
                   preprocessing: Sequence[layers.Layer] = (), precision: str | None = None,
                   name: str = "conv_net") -> keras.Model:
    """[preprocessing] -> [Conv2D(f, k, same, relu) -> (BatchNorm)] x convs_per_block -> MaxPool2D(2)
    -> (Dropout(block_dropout)) per block -> Flatten -> Dense -> (Dropout(dropout)) -> softmax.

    `precision`: a Keras dtype policy for the layers after the preprocessing, e.g. "mixed_bfloat16"
    (weights kept in float32, arithmetic in bfloat16: about twice as fast on a CPU with AVX-512 BF16,
    slower on one without); the softmax stays float32, so probabilities and the loss are not rounded
    to bfloat16's 8 bits of mantissa. None: the global policy (float32).

    Block i uses `filters[i]` and `kernel_sizes[i]` (the last kernel size repeats if the list is short).
    Input (batch, H, W) or (batch, H, W, C); a channel axis is added to grey images before the
    `preprocessing` layers (e.g. Normalization, RandomFlip: Keras runs augmentation only in training).
    Pooling stops once the feature map is 1 pixel wide, so small inputs (8x8 digits) still build.
    """
    if len(filters) < 1:
        raise ValueError(f"Expected at least one conv block. Received: filters={list(filters)}")
    shape = tuple(input_shape)
    inputs = keras.Input(shape=shape)
    x = layers.Reshape(shape + (1,))(inputs) if len(shape) == 2 else inputs
    for layer in preprocessing:
        x = layer(x)
    size = min(shape[0], shape[1])
    for i, f in enumerate(filters):
        k = kernel_sizes[min(i, len(kernel_sizes) - 1)]
        for j in range(convs_per_block):
            suffix = f"{i + 1}" if convs_per_block == 1 else f"{i + 1}_{j + 1}"
            x = layers.Conv2D(f, k, padding="same", activation=None if batch_norm else "relu",
                              name=f"conv_{suffix}", dtype=precision)(x)
            if batch_norm:
                x = layers.BatchNormalization(dtype=precision)(x)
                x = layers.Activation("relu", dtype=precision)(x)
        if size >= 2:
            x = layers.MaxPooling2D(2, name=f"pool_{i + 1}", dtype=precision)(x)
            size //= 2
        if block_dropout:
            x = layers.Dropout(block_dropout, name=f"pool_{i + 1}_dropout", dtype=precision)(x)
    x = layers.Flatten(name="flatten", dtype=precision)(x)
    if dense_units:
        x = layers.Dense(dense_units, activation="relu", name="dense", dtype=precision)(x)
    if dropout:
        x = layers.Dropout(dropout, name="head_dropout", dtype=precision)(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="classes",
                           dtype="float32" if precision else None)(x)
    return keras.Model(inputs, outputs, name=name)


def conv_param_count(input_shape: Sequence[int], n_classes: int, *, filters: Sequence[int],
                     kernel_sizes: Sequence[int] = (5, 3), dense_units: int = 128, batch_norm: bool = False,
                     convs_per_block: int = 1) -> int:
    """The parameter count of `build_conv_net` with these arguments (and no preprocessing layers), by
    arithmetic (no model is built).

    Conv2D: (k·k·c_in + 1)·f; BatchNormalization: 4·f (γ, β and the two moving statistics, which
    Keras counts though they are not trained); MaxPool2D(2) halves H and W (floor) while both are ≥ 2;
    Dense: (n_in + 1)·n_out.
    """
    shape = tuple(input_shape)
    h, w, c = shape[0], shape[1], shape[2] if len(shape) == 3 else 1
    total = 0
    for i, f in enumerate(filters):
        k = kernel_sizes[min(i, len(kernel_sizes) - 1)]
        for _ in range(convs_per_block):
            total += (k * k * c + 1) * f + (4 * f if batch_norm else 0)
            c = f
        if min(h, w) >= 2:
            h, w = h // 2, w // 2
    flat = h * w * c
    if dense_units:
        total += (flat + 1) * dense_units
        flat = dense_units
    return total + (flat + 1) * n_classes
