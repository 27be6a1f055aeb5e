"""A perceptron and a sigmoid neuron in NumPy: one linear unit, two ways to learn.

Both compute z = x · kernel + bias for inputs x of shape (n, d), kernel (d,), bias a scalar, and
predict class 1 where z > 0 (for the neuron: where σ(z) > 0.5, the same thing). Labels y are 0 or 1.

- `Perceptron` learns by Rosenblatt's rule: for each misclassified sample, move the line towards it,
  kernel += lr (y - ŷ) x. On linearly separable data it stops after finitely many mistakes.
- `Neuron` outputs p = σ(z) and follows the gradient of a loss over the whole training set:
    MSE      L = mean((p - y)²)                       dL/dz = 2 (p - y) p (1 - p) / n
    LogLoss  L = -mean(y log p + (1 - y) log(1 - p))   dL/dz = (p - y) / n
  The factor p (1 - p) ≤ 0.25 is why MSE learns slowly when the neuron is confidently wrong.
"""
from __future__ import annotations

import numpy as np

from tf_raw.activations import sigmoid

LOSSES = ("mse", "logloss")
_EPSILON = 1e-12  # keeps log(p) finite when p rounds to exactly 0 or 1


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    """Binary cross-entropy of probabilities p against labels y, both (n,)."""
    p = np.clip(p, _EPSILON, 1.0 - _EPSILON)
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)))


def mean_squared_error(p: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((p - y) ** 2))


def _check(x: np.ndarray, y: np.ndarray | None = None) -> None:
    if x.ndim != 2:
        raise ValueError(f"Expected inputs of shape (n_samples, n_features). Received: shape {x.shape}")
    if y is not None and (y.shape != (len(x),) or not np.isin(y, (0, 1)).all()):
        raise ValueError(f"Expected labels of shape ({len(x)},) holding 0 and 1. Received: shape {y.shape}, "
                         f"values {np.unique(y)[:5]}")


class Perceptron:
    """Rosenblatt's perceptron: a step function of x · kernel + bias, trained sample by sample.

    `history["errors"]` holds the share of training samples misclassified in each epoch (its loss);
    training stops early after an epoch without mistakes.
    """

    def __init__(self, learning_rate: float = 1.0, epochs: int = 100, seed: int = 0):
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.seed = seed
        self.kernel: np.ndarray | None = None
        self.bias = 0.0
        self.history: dict[str, list[float]] = {"errors": [], "accuracy": []}

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        """z = x · kernel + bias, shape (n,)."""
        return x @ self.kernel + self.bias

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Class 0 or 1 per row of x, shape (n,)."""
        return (self.decision_function(x) > 0).astype(np.int64)

    def fit(self, x: np.ndarray, y: np.ndarray) -> "Perceptron":
        _check(x, y)
        rng = np.random.default_rng(self.seed)
        self.kernel = np.zeros(x.shape[1])
        self.bias = 0.0
        for _ in range(self.epochs):
            mistakes = 0
            for i in rng.permutation(len(x)):
                error = y[i] - int(x[i] @ self.kernel + self.bias > 0)  # -1, 0 or +1
                if error:
                    self.kernel += self.learning_rate * error * x[i]
                    self.bias += self.learning_rate * error
                    mistakes += 1
            self.history["errors"].append(mistakes / len(x))
            self.history["accuracy"].append(float(np.mean(self.predict(x) == y)))
            if mistakes == 0:
                break
        return self


class Neuron:
    """A sigmoid neuron p = σ(x · kernel + bias) trained by full-batch gradient descent on `loss`.

    `history` holds, per epoch, the training loss it minimises ("loss"), both criteria measured on
    the training set ("mse", "logloss", so two neurons can be compared on one scale) and "accuracy".
    """

    def __init__(self, loss: str = "logloss", learning_rate: float = 0.1, epochs: int = 100, seed: int = 0):
        if loss not in LOSSES:
            raise ValueError(f"Expected loss in {LOSSES}. Received: {loss!r}")
        self.loss = loss
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.seed = seed
        self.kernel: np.ndarray | None = None
        self.bias = 0.0
        self.history: dict[str, list[float]] = {"loss": [], "mse": [], "logloss": [], "accuracy": []}

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        """z = x · kernel + bias, shape (n,)."""
        return x @ self.kernel + self.bias

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """p = σ(z): the probability of class 1, shape (n,)."""
        return sigmoid(self.decision_function(x))

    def predict(self, x: np.ndarray) -> np.ndarray:
        return (self.predict_proba(x) > 0.5).astype(np.int64)

    def gradient_of_logit(self, p: np.ndarray, y: np.ndarray) -> np.ndarray:
        """dL/dz per sample, shape (n,), for the neuron's loss (formulas in the module docstring)."""
        if self.loss == "mse":
            return 2.0 * (p - y) * p * (1.0 - p) / len(y)
        return (p - y) / len(y)

    def fit(self, x: np.ndarray, y: np.ndarray) -> "Neuron":
        _check(x, y)
        rng = np.random.default_rng(self.seed)
        # small random start (not zeros) so that the two losses begin from the same, generic point
        self.kernel = rng.normal(0.0, 0.01, x.shape[1])
        self.bias = 0.0
        for _ in range(self.epochs):
            dz = self.gradient_of_logit(self.predict_proba(x), y)
            self.kernel -= self.learning_rate * (x.T @ dz)
            self.bias -= self.learning_rate * float(dz.sum())
            self._record(x, y)
        return self

    def _record(self, x: np.ndarray, y: np.ndarray) -> None:
        p = self.predict_proba(x)
        self.history["mse"].append(mean_squared_error(p, y))
        self.history["logloss"].append(log_loss(p, y))
        self.history["loss"].append(self.history[self.loss][-1])
        self.history["accuracy"].append(float(np.mean((p > 0.5) == y)))
