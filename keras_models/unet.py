"""U-Net for binary segmentation (Ronneberger et al. 2015), its BCE + Dice loss and overlap metrics."""
from __future__ import annotations

from typing import Sequence

import keras
from keras import layers, ops


def conv_block(x, filters: int, name: str):
    """Two 3x3 same-padded ReLU convolutions: the unit U-Net repeats at every level."""
    x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"{name}_conv1")(x)
    return layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"{name}_conv2")(x)


def build_unet(input_shape: Sequence[int], depth: int = 3, base_filters: int = 16, name: str = "unet") -> keras.Model:
    """(batch, H, W, C) → per-pixel probability (batch, H, W, 1) of the positive class.

    `depth` poolings on the way down, filters doubling from `base_filters` at each level; on the way
    up, a 2x2 transposed convolution and the skip connection of the same level concatenated.
    H and W must be divisible by 2**depth.
    """
    height, width = input_shape[0], input_shape[1]
    if height % 2 ** depth or width % 2 ** depth:
        raise ValueError(f"Expected H and W divisible by 2**depth = {2 ** depth}. Received: {height}x{width}")
    inputs = keras.Input(shape=tuple(input_shape))
    skips, x = [], inputs
    for level in range(depth):
        x = conv_block(x, base_filters * 2 ** level, f"down{level}")
        skips.append(x)
        x = layers.MaxPooling2D(2, name=f"pool{level}")(x)
    x = conv_block(x, base_filters * 2 ** depth, "bottom")
    for level in reversed(range(depth)):
        x = layers.Conv2DTranspose(base_filters * 2 ** level, 2, strides=2, name=f"up{level}")(x)
        x = layers.Concatenate(name=f"skip{level}")([x, skips[level]])
        x = conv_block(x, base_filters * 2 ** level, f"dec{level}")
    outputs = layers.Conv2D(1, 1, activation="sigmoid", name="mask")(x)
    return keras.Model(inputs, outputs, name=name)


def dice_coefficient(y_true, y_pred, smooth: float = 1.0):
    """Soft Dice 2|A∩B| / (|A| + |B|) over each image's pixels, averaged over the batch."""
    y_true = ops.cast(y_true, y_pred.dtype)
    axes = (1, 2, 3)
    overlap = ops.sum(y_true * y_pred, axis=axes)
    return ops.mean((2.0 * overlap + smooth) / (ops.sum(y_true, axis=axes) + ops.sum(y_pred, axis=axes) + smooth))


def bce_dice_loss(y_true, y_pred):
    """Binary cross-entropy (per-pixel calibration) + (1 - Dice) (overlap of the whole mask)."""
    bce = ops.mean(keras.losses.binary_crossentropy(ops.cast(y_true, y_pred.dtype), y_pred))
    return bce + 1.0 - dice_coefficient(y_true, y_pred)
