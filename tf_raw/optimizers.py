"""Gradient-descent optimizers written by hand, with keras.optimizers' names, arguments and defaults.

Each update below is the one Keras 3 applies, in the same order of operations, so after the same
gradients the variables agree with keras.optimizers to float32 rounding (tests: 1e-6 over 10 steps).
g is the gradient, lr the learning rate, t the step number counted from 1.

    SGD        v <- v - lr g
    momentum   m <- momentum m - lr g;  v <- v + m                      (SGD(momentum=0.9))
    Nesterov   m <- momentum m - lr g;  v <- v + momentum m - lr g      (SGD(momentum=0.9, nesterov=True))
    Adagrad    a <- a + g^2;  v <- v - lr g / sqrt(a + eps)              (a starts at 0.1)
    RMSprop    s <- rho s + (1 - rho) g^2;  v <- v - lr g / sqrt(s + eps)
    Adam       m <- m + (g - m)(1 - b1);  s <- s + (g^2 - s)(1 - b2);
               v <- v - lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(s) + eps)

The per-variable state (m, a, s) lives in tf.Variables created by `build(variables)`, called by
the first `apply_gradients` if not before; inside a tf.function, build first (tf.function may create
variables only while it traces for the first time).
"""
from __future__ import annotations

from typing import Callable, Iterable, Sequence

import tensorflow as tf


class Optimizer:
    """Shared bookkeeping: the step counter, per-variable state, apply_gradients."""

    slot_names: tuple[str, ...] = ()

    def __init__(self, learning_rate: float):
        if not learning_rate > 0:
            raise ValueError(f"Expected a positive learning_rate. Received: learning_rate={learning_rate!r}")
        self.learning_rate = float(learning_rate)
        self.iterations = tf.Variable(0, dtype=tf.int64, trainable=False, name="iterations")
        self._slots: dict = {}
        self.built = False

    def slot_initial_value(self, slot: str, variable: tf.Variable) -> tf.Tensor:
        return tf.zeros_like(variable)

    def build(self, variables: Sequence[tf.Variable]) -> None:
        for variable in variables:
            self._slots[variable.ref()] = {
                slot: tf.Variable(self.slot_initial_value(slot, variable), trainable=False,
                                  name=f"{variable.name.split(':')[0]}/{slot}")
                for slot in self.slot_names}
        self.built = True

    def apply_gradients(self, grads_and_vars: Iterable[tuple[tf.Tensor, tf.Variable]]) -> None:
        """One update of every variable by its gradient, then iterations += 1."""
        pairs = list(grads_and_vars)
        if not self.built:
            self.build([v for _, v in pairs])
        for gradient, variable in pairs:
            lr = tf.cast(self.learning_rate, variable.dtype)
            self.update_step(tf.cast(gradient, variable.dtype), variable, lr, self._slots[variable.ref()])
        self.iterations.assign_add(1)

    def update_step(self, g: tf.Tensor, v: tf.Variable, lr: tf.Tensor, slots: dict) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Plain, momentum (momentum > 0) or Nesterov (nesterov=True) gradient descent, as keras.optimizers.SGD."""

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False):
        super().__init__(learning_rate)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"Expected momentum in [0, 1]. Received: momentum={momentum!r}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        self.slot_names = ("momentum",) if self.momentum else ()

    def update_step(self, g, v, lr, slots):
        if not self.momentum:
            v.assign_sub(g * lr)
            return
        m = slots["momentum"]
        momentum = tf.cast(self.momentum, v.dtype)
        m.assign(m * momentum - g * lr)
        # Nesterov looks ahead: it steps by where the momentum is about to carry it, not where it was.
        v.assign_add(m * momentum - g * lr if self.nesterov else m)


class Adagrad(Optimizer):
    """Per-coordinate steps that shrink with the sum of that coordinate's squared gradients."""

    slot_names = ("accumulator",)

    def __init__(self, learning_rate: float = 0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.initial_accumulator_value, self.epsilon = float(initial_accumulator_value), float(epsilon)

    def slot_initial_value(self, slot, variable):
        return tf.fill(variable.shape, tf.cast(self.initial_accumulator_value, variable.dtype))

    def update_step(self, g, v, lr, slots):
        a = slots["accumulator"]
        a.assign_add(tf.square(g))
        v.assign_sub(lr * g / tf.sqrt(a + self.epsilon))


class RMSprop(Optimizer):
    """Adagrad with a leaky average (rho) instead of a sum, so steps do not shrink forever."""

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False):
        super().__init__(learning_rate)
        self.rho, self.momentum, self.epsilon, self.centered = float(rho), float(momentum), float(epsilon), centered
        self.slot_names = ("velocity",) + (("momentum",) if self.momentum else ()) \
            + (("average_gradient",) if centered else ())

    def update_step(self, g, v, lr, slots):
        s = slots["velocity"]
        s.assign(self.rho * s + (1 - self.rho) * tf.square(g))
        if self.centered:
            mean = slots["average_gradient"]
            mean.assign(self.rho * mean + (1 - self.rho) * g)
            denominator = s - tf.square(mean) + self.epsilon
        else:
            denominator = s + self.epsilon
        increment = lr * g / tf.sqrt(denominator)
        if self.momentum:
            m = slots["momentum"]
            m.assign(self.momentum * m + increment)
            v.assign_sub(m)
        else:
            v.assign_sub(increment)


class Adam(Optimizer):
    """Momentum (m) with RMSprop's per-coordinate scale (s), both bias-corrected for their zero start."""

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False):
        super().__init__(learning_rate)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = float(beta_1), float(beta_2), float(epsilon), amsgrad
        self.slot_names = ("m", "s") + (("s_max",) if amsgrad else ())

    def update_step(self, g, v, lr, slots):
        t = tf.cast(self.iterations + 1, v.dtype)
        beta_1_power = tf.pow(tf.cast(self.beta_1, v.dtype), t)
        beta_2_power = tf.pow(tf.cast(self.beta_2, v.dtype), t)
        alpha = lr * tf.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        m, s = slots["m"], slots["s"]
        m.assign_add((g - m) * (1 - self.beta_1))
        s.assign_add((tf.square(g) - s) * (1 - self.beta_2))
        if self.amsgrad:
            slots["s_max"].assign(tf.maximum(slots["s_max"], s))
            s = slots["s_max"]
        v.assign_sub(m * alpha / (tf.sqrt(s) + self.epsilon))


# The six optimizers of the lessons, by the names their reports use.
OPTIMIZERS: dict[str, Callable[..., Optimizer]] = {
    "sgd": SGD,
    "momentum": lambda learning_rate=0.01: SGD(learning_rate, momentum=0.9),
    "nesterov": lambda learning_rate=0.01: SGD(learning_rate, momentum=0.9, nesterov=True),
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adam": Adam,
}


def get(name: str, learning_rate: float | None = None) -> Optimizer:
    """An optimizer by lesson name, at Keras's default learning rate unless one is given."""
    try:
        factory = OPTIMIZERS[name]
    except KeyError:
        raise ValueError(f"Expected an optimizer among {sorted(OPTIMIZERS)}. Received: {name!r}") from None
    return factory() if learning_rate is None else factory(learning_rate=learning_rate)
