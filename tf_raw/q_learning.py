"""Tabular reinforcement learning in NumPy: the Q-learning and SARSA updates, ε-greedy action choice,
value iteration, and the loop that plays one episode of a Gymnasium environment.

Notation: Q is a float array (n_states, n_actions), Q[s, a] the expected return of taking action a in
state s and acting well afterwards. An environment has the Gymnasium API: `reset(seed=) -> (state, info)`
and `step(action) -> (state, reward, terminated, truncated, info)`. Where an environment forbids actions
in some states (a graph's missing edges), `allowed` (n_states, n_actions) bool masks them: they are never
chosen and never enter max_a Q.

The two temporal-difference targets the lesson compares (Sutton & Barto, ch. 6):
    Q-learning  y = r + γ max_a' Q[s', a']      the value of acting greedily next (off-policy)
    SARSA       y = r + γ Q[s', a']             a' the action the agent will really take (on-policy)
and both move Q[s, a] a step α towards y:  Q[s, a] ← Q[s, a] + α (y − Q[s, a]).
When s' is terminal there is nothing after it: y = r.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

METHODS = ("q-learning", "sarsa")


def masked_max(q_row: np.ndarray, allowed_row: np.ndarray | None = None) -> float:
    """max_a Q[s, a] over the allowed actions; 0 when none is allowed (a dead end has no future)."""
    if allowed_row is None:
        return float(q_row.max())
    return float(q_row[allowed_row].max()) if allowed_row.any() else 0.0


def q_learning_target(q: np.ndarray, reward: float, next_state: int, terminated: bool, gamma: float,
                      allowed: np.ndarray | None = None) -> float:
    """y = r + γ max_a' Q[s', a'], or r when s' is terminal."""
    if terminated:
        return float(reward)
    return float(reward) + gamma * masked_max(q[next_state], None if allowed is None else allowed[next_state])


def sarsa_target(q: np.ndarray, reward: float, next_state: int, next_action: int, terminated: bool,
                 gamma: float) -> float:
    """y = r + γ Q[s', a'] with a' the action chosen in s', or r when s' is terminal."""
    if terminated:
        return float(reward)
    return float(reward) + gamma * float(q[next_state, next_action])


def td_update(q: np.ndarray, state: int, action: int, target: float, alpha: float) -> float:
    """Q[s, a] ← Q[s, a] + α (y − Q[s, a]) in place; returns the TD error y − Q[s, a] before the step."""
    error = target - q[state, action]
    q[state, action] += alpha * error
    return float(error)


def epsilon_greedy(q_row: np.ndarray, epsilon: float, rng: np.random.Generator,
                   allowed_row: np.ndarray | None = None) -> int:
    """With probability ε a uniformly random allowed action, otherwise a best one (ties broken at random,
    so a table of equal values is explored evenly rather than always along action 0)."""
    actions = np.arange(len(q_row)) if allowed_row is None else np.flatnonzero(allowed_row)
    if len(actions) == 0:
        raise ValueError("Expected a state with at least one allowed action. Received: a state with none "
                         "(a dead end must end the episode before an action is asked for)")
    if rng.random() < epsilon:
        return int(rng.choice(actions))
    values = q_row[actions]
    return int(rng.choice(actions[values == values.max()]))


def greedy_actions(q: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
    """argmax_a Q[s, a] per state, (n_states,) int; the first best action on ties (deterministic), and
    -1 for a state with no allowed action."""
    if allowed is None:
        return q.argmax(axis=1)
    masked = np.where(allowed, q, -np.inf)
    return np.where(allowed.any(axis=1), masked.argmax(axis=1), -1)


class TabularAgent:
    """A Q-table and the rule that learns it: Q-learning or SARSA, ε-greedy behaviour.

    `alpha` and `epsilon` are attributes so a training loop can change them between episodes
    (a decaying exploration rate); `rng` draws every random choice, so a seed fixes the run.
    """

    def __init__(self, n_states: int, n_actions: int, *, method: str = "q-learning", alpha: float = 0.5,
                 gamma: float = 1.0, epsilon: float = 0.1, allowed: np.ndarray | None = None, seed: int = 0,
                 initial_q: float = 0.0):
        if method not in METHODS:
            raise ValueError(f"Expected method in {METHODS}. Received: {method!r}")
        if allowed is not None and allowed.shape != (n_states, n_actions):
            raise ValueError(f"Expected allowed of shape {(n_states, n_actions)}. Received: {allowed.shape}")
        self.method, self.alpha, self.gamma, self.epsilon = method, alpha, gamma, epsilon
        self.allowed = allowed
        self.q = np.full((n_states, n_actions), float(initial_q))
        self.rng = np.random.default_rng(seed)

    def act(self, state: int, explore: bool = True) -> int:
        """ε-greedy while learning; the deterministic greedy action otherwise."""
        allowed_row = None if self.allowed is None else self.allowed[state]
        if explore:
            return epsilon_greedy(self.q[state], self.epsilon, self.rng, allowed_row)
        return int(greedy_actions(self.q[state][None], None if allowed_row is None else allowed_row[None])[0])

    def learn(self, state: int, action: int, reward: float, next_state: int, next_action: int | None,
              terminated: bool) -> float:
        """One TD update of Q[state, action]; SARSA needs `next_action`, Q-learning ignores it."""
        if self.method == "sarsa":
            target = sarsa_target(self.q, reward, next_state, next_action, terminated, self.gamma)
        else:
            target = q_learning_target(self.q, reward, next_state, terminated, self.gamma, self.allowed)
        return td_update(self.q, state, action, target, self.alpha)

    def greedy_policy(self) -> np.ndarray:
        return greedy_actions(self.q, self.allowed)


@dataclass
class Episode:
    """What one episode gave: the sum of rewards, the number of steps, and whether it ended in a
    terminal state (False when it was cut off: the environment's time limit or `max_steps`)."""

    total_reward: float
    steps: int
    terminated: bool


def play_episode(env, agent: TabularAgent, *, learn: bool = True, explore: bool | None = None,
                 seed: int | None = None, max_steps: int = 10_000) -> Episode:
    """Play one episode of `env`, updating the agent's Q after every step when `learn`; actions are
    ε-greedy when `explore` (by default: while learning), greedy otherwise (ε = 1 without learning is
    the random policy).

    The order of choices follows Sutton & Barto: SARSA picks a' in s' before updating Q[s, a] (its
    target needs it); Q-learning updates first and then picks a' from the updated table. `max_steps`
    cuts off an environment without a time limit (cut off is not terminal: its value is bootstrapped).
    """
    explore = learn if explore is None else explore
    state, _ = env.reset(seed=seed)
    action = agent.act(state, explore=explore)
    total, steps, terminated = 0.0, 0, False
    for steps in range(1, max_steps + 1):
        next_state, reward, terminated, truncated, _ = env.step(action)
        total += float(reward)
        ends = terminated or truncated or steps == max_steps
        if learn and agent.method == "sarsa":
            next_action = None if terminated else agent.act(next_state, explore=explore)
            agent.learn(state, action, reward, next_state, next_action, terminated)
        else:
            if learn:
                agent.learn(state, action, reward, next_state, None, terminated)
            next_action = None if ends else agent.act(next_state, explore=explore)
        if ends:
            break
        state, action = next_state, next_action
    return Episode(total, steps, bool(terminated))


# ---- value iteration: the exact answer the learners are judged against ------------------------------

def transition_arrays(transitions: dict, n_states: int, n_actions: int) -> tuple[np.ndarray, np.ndarray]:
    """Gymnasium's toy-text model P[s][a] = [(probability, next_state, reward, terminated), ...] as arrays:
    expected reward R (S, A) = Σ p r, and continuation T (S, A, S) = Σ p [not terminated] at s'
    (a terminal outcome adds its reward and nothing after it)."""
    rewards = np.zeros((n_states, n_actions))
    continuation = np.zeros((n_states, n_actions, n_states))
    for s in range(n_states):
        for a in range(n_actions):
            for probability, next_state, reward, terminated in transitions[s][a]:
                rewards[s, a] += probability * reward
                if not terminated:
                    continuation[s, a, next_state] += probability
    return rewards, continuation


@dataclass
class ValueIterationResult:
    values: np.ndarray      # V*(s), (n_states,)
    q: np.ndarray           # Q*(s, a) = R(s, a) + γ Σ_s' T(s, a, s') V*(s'), (n_states, n_actions)
    policy: np.ndarray      # argmax_a Q*(s, a), (n_states,)
    iterations: int


def value_iteration(transitions: dict, n_states: int, n_actions: int, gamma: float, *, tolerance: float = 1e-10,
                    max_iterations: int = 100_000) -> ValueIterationResult:
    """Bellman's optimality update V(s) ← max_a [R(s, a) + γ Σ_s' T(s, a, s') V(s')] until no value moves
    by more than `tolerance`. `transitions` is Gymnasium's P table (see `transition_arrays`); with γ = 1
    it converges when every policy worth following ends (the toy-text worlds' goals and holes)."""
    rewards, continuation = transition_arrays(transitions, n_states, n_actions)
    values = np.zeros(n_states)
    for iteration in range(1, max_iterations + 1):
        q = rewards + gamma * continuation @ values
        updated = q.max(axis=1)
        change = np.max(np.abs(updated - values))
        values = updated
        if change < tolerance:
            break
    else:
        raise ValueError(f"Expected value iteration to converge within {max_iterations} iterations. Received: "
                         f"a last change of {change:.3g} (γ = {gamma}: is there a loop that never ends?)")
    q = rewards + gamma * continuation @ values
    return ValueIterationResult(values, q, q.argmax(axis=1), iteration)
