"""Seven activation functions in NumPy, each with its hand-written derivative.

Names, arguments and defaults follow `keras.activations` (so `keras.activations.leaky_relu` has the
same `negative_slope=0.2`, `gelu` the same exact erf form), and tests/test_activations.py checks every
forward value and every derivative against TensorFlow's automatic differentiation.

Every function takes an array `x` of any shape and returns an array of the same shape:
`forward(x)` is f(x) and `derivative(x)` is f'(x), element by element.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import erf


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^-x), computed from e^-|x| so that no exponential overflows."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_derivative(x: np.ndarray) -> np.ndarray:
    """σ'(x) = σ(x)(1 - σ(x)); at most 0.25, the root of vanishing gradients in deep sigmoid nets."""
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh(x: np.ndarray) -> np.ndarray:
    return np.tanh(x)


def tanh_derivative(x: np.ndarray) -> np.ndarray:
    """tanh'(x) = 1 - tanh²(x)."""
    return 1.0 - np.tanh(x) ** 2


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


def relu_derivative(x: np.ndarray) -> np.ndarray:
    """1 where x > 0, else 0 (at x = 0 the subgradient 0, as TensorFlow takes it)."""
    return (x > 0).astype(np.result_type(x, np.float32))


def leaky_relu(x: np.ndarray, negative_slope: float = 0.2) -> np.ndarray:
    return np.where(x > 0, x, negative_slope * x)


def leaky_relu_derivative(x: np.ndarray, negative_slope: float = 0.2) -> np.ndarray:
    """1 where x > 0, else `negative_slope` (TensorFlow's choice at x = 0)."""
    return np.where(x > 0, 1.0, negative_slope).astype(np.result_type(x, np.float32))


def elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """x for x > 0, α(e^x - 1) otherwise; expm1 of min(x, 0) keeps e^x from overflowing for large x."""
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def elu_derivative(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """1 for x > 0, α e^x otherwise."""
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))


def gelu(x: np.ndarray) -> np.ndarray:
    """x Φ(x) with Φ the standard normal CDF, Φ(x) = (1 + erf(x / √2)) / 2 (Keras's exact form)."""
    return x * 0.5 * (1.0 + erf(x / np.sqrt(2.0)))


def gelu_derivative(x: np.ndarray) -> np.ndarray:
    """Φ(x) + x φ(x), with φ(x) = e^(-x²/2) / √(2π) the normal density."""
    cdf = 0.5 * (1.0 + erf(x / np.sqrt(2.0)))
    density = np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)
    return cdf + x * density


def silu(x: np.ndarray) -> np.ndarray:
    """swish / SiLU: x σ(x)."""
    return x * sigmoid(x)


def silu_derivative(x: np.ndarray) -> np.ndarray:
    """σ(x) + x σ(x)(1 - σ(x)) = σ(x)(1 + x(1 - σ(x)))."""
    s = sigmoid(x)
    return s * (1.0 + x * (1.0 - s))


@dataclass(frozen=True)
class Activation:
    """An activation by name: its function and its derivative."""

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray], np.ndarray]


ACTIVATIONS: dict[str, Activation] = {a.name: a for a in (
    Activation("sigmoid", sigmoid, sigmoid_derivative),
    Activation("tanh", tanh, tanh_derivative),
    Activation("relu", relu, relu_derivative),
    Activation("leaky_relu", leaky_relu, leaky_relu_derivative),
    Activation("elu", elu, elu_derivative),
    Activation("gelu", gelu, gelu_derivative),
    Activation("swish", silu, silu_derivative),
)}


def get(name: str) -> Activation:
    """The activation called `name` (one of ACTIVATIONS)."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"Expected an activation in {sorted(ACTIVATIONS)}. Received: {name!r}") from None
