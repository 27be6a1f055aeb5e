"""Deep Q-learning pieces (Mnih et al., 2015): a Q-network, its replay buffer, and the update's targets.

A Q-network maps an observation (batch, n_observations) to one value per action (batch, n_actions). DQN
learns it like the Q-table of tabular Q-learning, with two changes that keep a network from chasing its
own tail:
  - a replay buffer: updates are made on random minibatches of past transitions, not the last one, so
    consecutive, strongly correlated steps do not dominate a gradient;
  - a target network: the targets y = r + γ max_a' Q_target(s', a') come from a copy of the network
    that is refreshed only every so many updates, so the target does not move with every step.
The loss is the Huber loss of Q(s, a) − y: quadratic near 0, linear beyond 1, so a rare large TD error
cannot blow a gradient up. The update goes through `train_on_batch` with targets that equal the
prediction everywhere but at the action taken, so only Q(s, a) is pulled towards y (backend-neutral).
"""
from __future__ import annotations

from typing import Sequence

import keras
import numpy as np
from keras import layers


def build_q_network(n_observations: int, n_actions: int, hidden: Sequence[int] = (128, 128), *,
                    learning_rate: float = 1e-3, name: str = "q_network") -> keras.Model:
    """Input (batch, n_observations) → [Dense(h, relu)]* → Dense(n_actions, linear) = Q(s, ·); compiled
    with Adam(`learning_rate`) and the Huber loss."""
    inputs = keras.Input(shape=(n_observations,))
    x = inputs
    for i, units in enumerate(hidden):
        x = layers.Dense(units, activation="relu", name=f"hidden_{i + 1}")(x)
    outputs = layers.Dense(n_actions, name="q_values")(x)
    model = keras.Model(inputs, outputs, name=name)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=keras.losses.Huber())
    return model


class ReplayBuffer:
    """A ring buffer of the last `capacity` transitions (s, a, r, s', terminated) as NumPy arrays.

    `terminated` (not the time limit's truncation) is what stops bootstrapping: a CartPole episode cut
    off at 500 steps still had a future, so its last target keeps γ max Q(s').
    """

    def __init__(self, capacity: int, n_observations: int):
        self.states = np.zeros((capacity, n_observations), dtype=np.float32)
        self.next_states = np.zeros((capacity, n_observations), dtype=np.float32)
        self.actions = np.zeros(capacity, dtype=np.int64)
        self.rewards = np.zeros(capacity, dtype=np.float32)
        self.terminated = np.zeros(capacity, dtype=np.float32)
        self.capacity, self.size, self._next = capacity, 0, 0

    def __len__(self) -> int:
        return self.size

    def add(self, state, action: int, reward: float, next_state, terminated: bool) -> None:
        i = self._next
        self.states[i], self.actions[i], self.rewards[i] = state, action, reward
        self.next_states[i], self.terminated[i] = next_state, float(terminated)
        self._next = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size: int, rng: np.random.Generator):
        """A uniform random minibatch: (states, actions, rewards, next_states, terminated)."""
        index = rng.integers(0, self.size, size=batch_size)
        return (self.states[index], self.actions[index], self.rewards[index], self.next_states[index],
                self.terminated[index])


def dqn_targets(next_q: np.ndarray, rewards: np.ndarray, terminated: np.ndarray, gamma: float,
                next_q_online: np.ndarray | None = None) -> np.ndarray:
    """y = r + γ (1 − terminated) Q_target(s', a*) with next_q = Q_target(s', ·) (batch, n_actions), the rest (batch,).

    DQN: a* = argmax_a' Q_target(s', a'), i.e. y uses max_a' Q_target. Double DQN (van Hasselt et al., 2016),
    when `next_q_online` = Q_online(s', ·) is given: the online network picks a*, the target network values
    it, which removes the upward bias of taking the max of noisy estimates."""
    chooser = next_q if next_q_online is None else next_q_online
    chosen = next_q[np.arange(len(next_q)), chooser.argmax(axis=1)]
    return rewards + gamma * (1.0 - terminated) * chosen


def dqn_update(online: keras.Model, target: keras.Model, batch, gamma: float, *, double: bool = False) -> float:
    """One gradient step of the online network on a replay minibatch; returns the Huber loss."""
    states, actions, rewards, next_states, terminated = batch
    both = np.array(online.predict_on_batch(np.concatenate([states, next_states])))  # one call for s and s'
    y, next_online = both[:len(states)], both[len(states):]
    y[np.arange(len(actions)), actions] = dqn_targets(np.asarray(target.predict_on_batch(next_states)), rewards,
                                                      terminated, gamma, next_online if double else None)
    return float(online.train_on_batch(states, y))


def greedy_action(model: keras.Model, state) -> int:
    """argmax_a Q(state, a) for one observation (`predict_on_batch`: the compiled predict function, several
    times faster than an eager call for a single row)."""
    return int(np.argmax(np.asarray(model.predict_on_batch(np.asarray(state, dtype=np.float32)[None]))[0]))
