"""Neural style transfer (Gatys, Ecker & Bethge, "A Neural Algorithm of Artistic Style", 2015) in TF ops:
the losses written by hand and the loop that optimises the picture itself.

A frozen convolutional network (the *extractor*) maps a picture to feature maps F of shape (B, H, W, C).
The picture x is changed, not the network, to lower

    L(x) = a · content(x) + b · style(x) + c · tv(x)

    content(x) = mean over h, w, c of (F_l(x) − F_l(p))²                  one layer l, p the content picture
    gram(F)    = Fᵀ F / (H·W): (B, C, C), G_cd = Σ_hw F_hwc F_hwd / (H·W)  which channels fire together
    style(x)   = mean over style layers l of mean over c, d of (gram(F_l(x)) − gram(F_l(s)))²   s the style
    tv(x)      = (Σ |x[i+1, j] − x[i, j]| + Σ |x[i, j+1] − x[i, j]|) / (H·W)   per pixel, over channels too

The Gram matrix forgets where a feature fired and keeps how strongly features co-occur: the texture,
not the layout. Total variation keeps neighbouring pixels close (less high-frequency noise).
The optimiser is tf_raw's own Adam, on pixel values in 0..255, clipped back into that range every step.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import tensorflow as tf

from tf_raw.optimizers import Adam


def gram_matrix(features: tf.Tensor) -> tf.Tensor:
    """(B, H, W, C) feature maps -> (B, C, C): Σ over positions of F_c F_d, divided by H·W."""
    shape = tf.shape(features)
    flat = tf.reshape(features, (shape[0], shape[1] * shape[2], shape[3]))       # (B, HW, C)
    positions = tf.cast(shape[1] * shape[2], features.dtype)
    return tf.matmul(flat, flat, transpose_a=True) / positions


def content_loss(features: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
    """Mean squared difference of two feature maps of the same shape: a scalar."""
    return tf.reduce_mean(tf.square(features - target))


def style_loss(features: Sequence[tf.Tensor], target_grams: Sequence[tf.Tensor]) -> tf.Tensor:
    """Mean over layers of the mean squared difference between each layer's Gram matrix and the target's."""
    if len(features) != len(target_grams):
        raise ValueError(f"Expected one target Gram matrix per style layer. Received: {len(features)} layers and "
                         f"{len(target_grams)} targets")
    return tf.add_n([tf.reduce_mean(tf.square(gram_matrix(f) - g)) for f, g in zip(features, target_grams)]) \
        / float(len(features))


def total_variation(images: tf.Tensor) -> tf.Tensor:
    """(B, H, W, C) -> (B,): Σ |vertical neighbours' difference| + Σ |horizontal ones'| (tf.image.total_variation)."""
    down = tf.abs(images[:, 1:, :, :] - images[:, :-1, :, :])
    right = tf.abs(images[:, :, 1:, :] - images[:, :, :-1, :])
    return tf.reduce_sum(down, axis=(1, 2, 3)) + tf.reduce_sum(right, axis=(1, 2, 3))


@dataclass(frozen=True)
class StyleWeights:
    content: float = 1.0
    style: float = 1e-2
    tv: float = 1e-4


@dataclass
class StyleResult:
    image: np.ndarray                 # uint8 (H, W, 3)
    losses: dict[str, list[float]]    # "content", "style", "tv" (each already weighted), "total": one per step
    seconds: float


def resize_picture(pixels: np.ndarray, longer_side: int) -> np.ndarray:
    """An RGB uint8 picture resized (antialiased) so its longer side is `longer_side` pixels."""
    height, width = pixels.shape[:2]
    scale = longer_side / max(height, width)
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    resized = tf.image.resize(tf.convert_to_tensor(pixels, tf.float32), size, antialias=True)
    return np.clip(np.rint(resized.numpy()), 0, 255).astype(np.uint8)


Extractor = Callable[[tf.Tensor], Sequence[tf.Tensor]]


def stylize(extractor: Extractor, content: np.ndarray, style: np.ndarray, *, steps: int, learning_rate: float,
            weights: StyleWeights = StyleWeights(), seed: int = 0, init: str = "content",
            on_step: Callable[[int, dict], None] | None = None) -> StyleResult:
    """Optimise a picture of the content's size. `extractor(images)` maps float32 (1, H, W, 3) pixels in
    0..255 (RGB) to [content features, style features of each layer...]. `init`: "content" starts from the
    content picture (plus a little noise), "noise" from uniform noise (every loss then starts high).
    Returns the picture as uint8 and each weighted loss per step."""
    if init not in ("content", "noise"):
        raise ValueError(f"Expected init 'content' or 'noise'. Received: {init!r}")
    content_input = tf.convert_to_tensor(content[None], tf.float32)
    content_target = extractor(content_input)[0]
    target_grams = [gram_matrix(f) for f in extractor(tf.convert_to_tensor(style[None], tf.float32))[1:]]
    rng = np.random.default_rng(seed)
    start = (content_input.numpy() + rng.normal(0.0, 8.0, content_input.shape) if init == "content"
             else rng.uniform(0.0, 255.0, content_input.shape))
    image = tf.Variable(np.clip(start, 0.0, 255.0).astype(np.float32))
    optimizer = Adam(learning_rate)
    optimizer.build([image])
    pixels = float(content.shape[0] * content.shape[1])

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            outputs = extractor(image)
            terms = {"content": weights.content * content_loss(outputs[0], content_target),
                     "style": weights.style * style_loss(outputs[1:], target_grams),
                     "tv": weights.tv * tf.reduce_sum(total_variation(image)) / pixels}
            total = tf.add_n(list(terms.values()))
        optimizer.apply_gradients([(tape.gradient(total, image), image)])
        image.assign(tf.clip_by_value(image, 0.0, 255.0))
        return {**terms, "total": total}

    losses: dict[str, list[float]] = {"content": [], "style": [], "tv": [], "total": []}
    began = time.perf_counter()
    for i in range(steps):
        values = {name: float(value) for name, value in step().items()}
        for name, value in values.items():
            losses[name].append(value)
        if on_step is not None:
            on_step(i, values)
    picture = np.clip(np.rint(image.numpy()[0]), 0, 255).astype(np.uint8)
    return StyleResult(picture, losses, time.perf_counter() - began)
