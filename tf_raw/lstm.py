"""An LSTM cell and layer in NumPy: forward pass and backpropagation through time (BPTT).

Same weight layout and gate order as `keras.layers.LSTM`, so weights can be copied across:
kernel (n_inputs, 4u), recurrent_kernel (u, 4u), bias (4u,), each split into the gates
i (input), f (forget), c (candidate), o (output), in that order. One step, x_t: (batch, n_inputs):

    z   = x_t K + h_{t-1} R + b                  z: (batch, 4u) = [z_i | z_f | z_c | z_o]
    i = σ(z_i),  f = σ(z_f),  g = tanh(z_c),  o = σ(z_o)
    c_t = f ⊙ c_{t-1} + i ⊙ g
    h_t = o ⊙ tanh(c_t)

Backward through one step, given dh_t and dc_t (what the later steps and the loss send back):

    do = dh_t ⊙ tanh(c_t)
    dc = dc_t + dh_t ⊙ o ⊙ (1 - tanh²(c_t))
    di = dc ⊙ g,   df = dc ⊙ c_{t-1},   dg = dc ⊙ i,   dc_{t-1} = dc ⊙ f
    dz = [di ⊙ i(1-i) | df ⊙ f(1-f) | dg ⊙ (1-g²) | do ⊙ o(1-o)]
    dK += x_tᵀ dz,  dR += h_{t-1}ᵀ dz,  db += Σ_batch dz,  dx_t = dz Kᵀ,  dh_{t-1} = dz Rᵀ

The forget gate's path c_{t-1} → c_t is multiplied only by f, not by a weight matrix and a squashing
derivative: that is why gradients survive many more steps through an LSTM than through a SimpleRNN.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@dataclass
class StepCache:
    """What one step keeps for its backward pass."""

    x: np.ndarray
    h_prev: np.ndarray
    c_prev: np.ndarray
    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray
    tanh_c: np.ndarray


class LSTMCell:
    """One LSTM step with Keras's weights: kernel (n_inputs, 4u), recurrent_kernel (u, 4u), bias (4u,)."""

    def __init__(self, kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray):
        units = recurrent_kernel.shape[0]
        if recurrent_kernel.shape != (units, 4 * units) or kernel.shape[1] != 4 * units or bias.shape != (4 * units,):
            raise ValueError(f"Expected kernel (n, 4u), recurrent_kernel (u, 4u), bias (4u,). Received: "
                             f"{kernel.shape}, {recurrent_kernel.shape}, {bias.shape}")
        self.kernel, self.recurrent_kernel, self.bias = kernel, recurrent_kernel, bias
        self.units = units

    def forward(self, x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray):
        """(h_t, c_t, cache) from x_t (batch, n_inputs) and the previous (batch, u) states."""
        z = x @ self.kernel + h_prev @ self.recurrent_kernel + self.bias
        z_i, z_f, z_c, z_o = np.split(z, 4, axis=1)
        i, f, g, o = sigmoid(z_i), sigmoid(z_f), np.tanh(z_c), sigmoid(z_o)
        c = f * c_prev + i * g
        tanh_c = np.tanh(c)
        return o * tanh_c, c, StepCache(x, h_prev, c_prev, i, f, g, o, tanh_c)

    def backward(self, dh: np.ndarray, dc_next: np.ndarray, cache: StepCache, grads: dict[str, np.ndarray]):
        """(dx_t, dh_{t-1}, dc_{t-1}); adds this step's weight gradients into `grads`."""
        s = cache
        do = dh * s.tanh_c
        dc = dc_next + dh * s.o * (1.0 - s.tanh_c ** 2)
        di, df, dg = dc * s.g, dc * s.c_prev, dc * s.i
        dz = np.concatenate([di * s.i * (1 - s.i), df * s.f * (1 - s.f), dg * (1 - s.g ** 2),
                             do * s.o * (1 - s.o)], axis=1)
        grads["kernel"] += s.x.T @ dz
        grads["recurrent_kernel"] += s.h_prev.T @ dz
        grads["bias"] += dz.sum(axis=0)
        return dz @ self.kernel.T, dz @ self.recurrent_kernel.T, dc * s.f


class LSTM:
    """keras.layers.LSTM(units, return_sequences) in NumPy; zero initial states, like Keras's default.

    forward: x (batch, T, n_inputs) → h_T (batch, u), or every h_t (batch, T, u) with return_sequences.
    backward: the gradient of the loss with respect to that output → dx (batch, T, n_inputs) and
    {"kernel", "recurrent_kernel", "bias"} gradients, by BPTT over the steps of the last forward call.
    """

    def __init__(self, kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray, *,
                 return_sequences: bool = False):
        self.cell = LSTMCell(kernel, recurrent_kernel, bias)
        self.return_sequences = return_sequences
        self._caches: list[StepCache] = []

    @property
    def weights(self) -> dict[str, np.ndarray]:
        return {"kernel": self.cell.kernel, "recurrent_kernel": self.cell.recurrent_kernel, "bias": self.cell.bias}

    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.ndim != 3 or x.shape[2] != self.cell.kernel.shape[0]:
            raise ValueError(f"Expected inputs (batch, steps, {self.cell.kernel.shape[0]}). Received: {x.shape}")
        batch, steps, _ = x.shape
        h = np.zeros((batch, self.cell.units), dtype=x.dtype)
        c = np.zeros_like(h)
        self._caches, outputs = [], []
        for t in range(steps):
            h, c, cache = self.cell.forward(x[:, t], h, c)
            self._caches.append(cache)
            outputs.append(h)
        return np.stack(outputs, axis=1) if self.return_sequences else h

    def backward(self, d_output: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        grads = {name: np.zeros_like(w) for name, w in self.weights.items()}
        steps = len(self._caches)
        dx = np.zeros((d_output.shape[0], steps, self.cell.kernel.shape[0]), dtype=d_output.dtype)
        dh_next = np.zeros((d_output.shape[0], self.cell.units), dtype=d_output.dtype)
        dc_next = np.zeros_like(dh_next)
        for t in reversed(range(steps)):
            # the loss reaches h_t directly (its own output) and through h_t's effect on step t+1
            dh = dh_next + (d_output[:, t] if self.return_sequences else (d_output if t == steps - 1 else 0.0))
            dx[:, t], dh_next, dc_next = self.cell.backward(dh, dc_next, self._caches[t], grads)
        return dx, grads
