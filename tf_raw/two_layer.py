"""A dense classifier in NumPy with hand-written backpropagation and mini-batch SGD.

The network is the one `keras_models.dense.build_dense_net` builds, with the same weight layout
(kernel (n_in, n_out), bias (n_out,)) and Keras's default initialisation (Glorot-uniform kernels,
zero biases), so weights can be copied across and compared:

    a_0 = x                                   x: (batch, n_inputs)
    z_l = a_{l-1} K_l + b_l,  a_l = f(z_l)    for each hidden layer l = 1 .. L-1
    p   = softmax(a_{L-1} K_L + b_L)          p: (batch, n_classes)
    loss = -mean_i log p[i, y_i]              (sparse categorical cross-entropy)

Backward, with Y the one-hot labels and n the batch size:

    δ_L = (p - Y) / n
    dK_l = a_{l-1}ᵀ δ_l,   db_l = Σ_batch δ_l
    δ_{l-1} = (δ_l K_lᵀ) ⊙ f'(z_{l-1})

With one hidden layer this is the course's "two-layer network"; more hidden layers are the
homework's extra layers.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from tf_raw.activations import get as get_activation

Gradients = list[tuple[np.ndarray, np.ndarray]]  # (dK_l, db_l) per layer, input side first


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of (batch, n_classes) logits; the row maximum is subtracted so e^z cannot overflow."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy(p: np.ndarray, y: np.ndarray) -> float:
    """Mean of -log p[i, y_i] over the batch; p (batch, n_classes), y (batch,) integer labels."""
    return float(-np.mean(np.log(np.maximum(p[np.arange(len(y)), y], 1e-300))))


class DenseNetwork:
    """x (batch, n_inputs) → hidden Dense layers with `activation` → Dense(n_classes) → softmax."""

    def __init__(self, n_inputs: int, hidden: Sequence[int], n_classes: int, *, activation: str = "sigmoid",
                 seed: int = 0, dtype: type = np.float64):
        self.activation = get_activation(activation)
        self.sizes = [n_inputs, *hidden, n_classes]
        rng = np.random.default_rng(seed)
        self.kernels: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        for fan_in, fan_out in zip(self.sizes, self.sizes[1:]):
            limit = np.sqrt(6.0 / (fan_in + fan_out))  # Glorot-uniform, Keras's Dense default
            self.kernels.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(dtype))
            self.biases.append(np.zeros(fan_out, dtype=dtype))

    @property
    def parameters(self) -> int:
        return sum(k.size + b.size for k, b in zip(self.kernels, self.biases))

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
        """Class probabilities (batch, n_classes) and, per layer, its input a_{l-1} and pre-activation z_l."""
        cache = []
        a = x
        for l, (kernel, bias) in enumerate(zip(self.kernels, self.biases)):
            z = a @ kernel + bias
            cache.append((a, z))
            a = z if l == len(self.kernels) - 1 else self.activation.forward(z)
        return softmax(a), cache

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)[0]

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.predict_proba(x).argmax(axis=1)

    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        return cross_entropy(self.predict_proba(x), y)

    def gradients(self, x: np.ndarray, y: np.ndarray) -> tuple[float, Gradients]:
        """The batch loss and d loss / d (kernel, bias) of every layer (formulas in the module docstring)."""
        p, cache = self.forward(x)
        delta = p.copy()
        delta[np.arange(len(y)), y] -= 1.0
        delta /= len(y)
        grads: Gradients = []
        for l in range(len(self.kernels) - 1, -1, -1):
            a_prev, _ = cache[l]
            grads.append((a_prev.T @ delta, delta.sum(axis=0)))
            if l > 0:
                delta = (delta @ self.kernels[l].T) * self.activation.derivative(cache[l - 1][1])
        return cross_entropy(p, y), grads[::-1]

    def sgd_step(self, grads: Gradients, learning_rate: float) -> None:
        """θ ← θ - lr · dθ for every kernel and bias."""
        for l, (d_kernel, d_bias) in enumerate(grads):
            self.kernels[l] -= learning_rate * d_kernel
            self.biases[l] -= learning_rate * d_bias

    def fit(self, x: np.ndarray, y: np.ndarray, *, epochs: int, batch_size: int, learning_rate: float,
            seed: int = 0, validation: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, list[float]]:
        """Mini-batch SGD over shuffled batches; returns the history per epoch.

        History: "loss" and "accuracy" (the training set after the epoch), "val_loss" and "val_accuracy"
        when `validation` is given, and "grad_layer_<l>" = mean |dK_l| over the epoch's batches, the
        gradient magnitude reaching layer l (l = 1 is next to the input).
        """
        rng = np.random.default_rng(seed)
        history: dict[str, list[float]] = {}
        for _ in range(epochs):
            magnitudes = np.zeros(len(self.kernels))
            batches = 0
            order = rng.permutation(len(x))
            for start in range(0, len(x), batch_size):
                batch = order[start:start + batch_size]
                _, grads = self.gradients(x[batch], y[batch])
                magnitudes += [np.abs(d_kernel).mean() for d_kernel, _ in grads]
                batches += 1
                self.sgd_step(grads, learning_rate)
            record = {"loss": self.loss(x, y), "accuracy": float(np.mean(self.predict(x) == y))}
            if validation is not None:
                x_val, y_val = validation
                record |= {"val_loss": self.loss(x_val, y_val),
                           "val_accuracy": float(np.mean(self.predict(x_val) == y_val))}
            record |= {f"grad_layer_{l + 1}": float(m / batches) for l, m in enumerate(magnitudes)}
            for name, value in record.items():
                history.setdefault(name, []).append(value)
        return history
