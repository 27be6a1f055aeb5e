"""Conv2D, twice: on tf.nn.conv2d, and from first principles as patches times a matrix.

A 2D convolution (really a cross-correlation, as in every deep-learning library) slides a
(kh, kw, c_in) window over the input and takes, at each position and for each of the `filters`
outputs, the dot product of the window with that filter:

    y[n, i, j, o] = bias[o] + sum_{a < kh, b < kw, c < c_in} x[n, i*sh + a, j*sw + b, c] * kernel[a, b, c, o]

So if every window is cut out and laid flat as a row of kh*kw*c_in numbers ("patches"), the whole
convolution is one matrix product: patches (n, oh, ow, kh*kw*c_in) @ kernel reshaped (kh*kw*c_in, filters).
`PatchConv2D` computes exactly that; `Conv2D` hands the same sum to tf.nn.conv2d. Tests show both equal.

Shapes (channels last, as Keras): x (batch, H, W, c_in) -> y (batch, oh, ow, filters), with
  padding="valid": oh = floor((H - kh) / sh) + 1 (only windows that fit);
  padding="same":  oh = ceil(H / sh), zeros added around the input, the odd one at the bottom/right.
"""
from __future__ import annotations

import math

import tensorflow as tf

from tf_raw import layer_activations as activations
from tf_raw.layer import Layer

PADDINGS = ("valid", "same")


def pair(value, name: str) -> tuple[int, int]:
    """An int or a pair of ints as a pair, as Keras accepts kernel_size=3 or (3, 3)."""
    pair_ = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair_) != 2 or not all(isinstance(v, int) and v >= 1 for v in pair_):
        raise ValueError(f"Expected {name} to be a positive int or a pair of them. Received: {name}={value!r}")
    return pair_


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """Zeros before/after one spatial axis so that the output has ceil(size / stride) positions."""
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def extract_patches(x: tf.Tensor, kernel_size: tuple[int, int], strides: tuple[int, int],
                    padding: str) -> tf.Tensor:
    """Every (kh, kw, c) window of x laid flat: (batch, H, W, c) -> (batch, oh, ow, kh*kw*c).

    One strided slice per kernel offset (a, b) picks the pixel each window holds at that offset, for
    all windows at once; stacking the kh*kw slices in (a, b) order matches kernel.reshape(-1, filters).
    """
    kh, kw = kernel_size
    sh, sw = strides
    height, width = x.shape[1], x.shape[2]
    if padding == "same":
        x = tf.pad(x, [(0, 0), same_padding(height, kh, sh), same_padding(width, kw, sw), (0, 0)])
        height, width = x.shape[1], x.shape[2]
    oh, ow = (height - kh) // sh + 1, (width - kw) // sw + 1
    if oh < 1 or ow < 1:
        raise ValueError(f"Expected an input at least as large as the kernel {kernel_size}. "
                         f"Received: input of {height}x{width} with padding {padding!r}")
    slices = [x[:, a:a + (oh - 1) * sh + 1:sh, b:b + (ow - 1) * sw + 1:sw, :]
              for a in range(kh) for b in range(kw)]
    patches = tf.stack(slices, axis=3)                     # (batch, oh, ow, kh*kw, c)
    return tf.reshape(patches, [-1, oh, ow, kh * kw * x.shape[3]])


class Conv2D(Layer):
    """y = activation(conv2d(x, kernel) + bias), as keras.layers.Conv2D (channels last, no dilation).

    x (batch, H, W, c_in) -> y (batch, oh, ow, filters); kernel (kh, kw, c_in, filters) glorot_uniform,
    bias (filters,) zeros. The convolution itself is tf.nn.conv2d.
    """

    def __init__(self, filters: int, kernel_size, strides=(1, 1), padding: str = "valid", activation=None,
                 use_bias: bool = True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 name: str | None = None):
        super().__init__(name=name)
        if not isinstance(filters, int) or filters < 1:
            raise ValueError(f"Expected a positive integer for filters. Received: filters={filters!r}")
        padding = padding.lower() if isinstance(padding, str) else padding
        if padding not in PADDINGS:
            raise ValueError(f"Expected padding among {PADDINGS}. Received: padding={padding!r}")
        self.filters = filters
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.strides = pair(strides, "strides")
        self.padding = padding
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def build(self, input_shape: tf.TensorShape) -> None:
        if input_shape.rank != 4 or input_shape[-1] is None:
            raise ValueError(f"Expected input of shape (batch, height, width, channels). "
                             f"Received: shape {input_shape}")
        self.kernel = self.add_weight((*self.kernel_size, input_shape[-1], self.filters),
                                      self.kernel_initializer, "kernel")
        self.bias = self.add_weight((self.filters,), self.bias_initializer, "bias") if self.use_bias else None

    def convolve(self, x: tf.Tensor) -> tf.Tensor:
        return tf.nn.conv2d(x, self.kernel, strides=self.strides, padding=self.padding.upper())

    def call(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        y = self.convolve(x)
        if self.bias is not None:
            y = y + self.bias
        return self.activation(y)


class PatchConv2D(Conv2D):
    """Conv2D computed from first principles: extract_patches(x) @ kernel.reshape(kh*kw*c_in, filters).

    Same arguments, weights and results as Conv2D; slower, because the patches copy each pixel
    kh*kw times, but every step is visible.
    """

    def convolve(self, x: tf.Tensor) -> tf.Tensor:
        patches = extract_patches(x, self.kernel_size, self.strides, self.padding)
        return tf.tensordot(patches, tf.reshape(self.kernel, [-1, self.filters]), axes=1)
