"""The seed lesson's task as a Gymnasium environment: the cheapest way through a weighted directed graph.

The agent stands on a node and chooses the next node along an outgoing edge; each move costs the edge's
weight. With rewards r = −weight and no discount (γ = 1) the return of an episode that reaches the goal
is minus the length of the path walked, so the policy that maximises the return is the shortest path:
what Q-learning finds must equal Dijkstra's answer.

    state        the node the agent is on, Discrete(n)
    action       the node to move to, Discrete(n); only along an edge (`allowed[s, a]`), else ValueError
    reward       −weight(s, a); + `goal_reward` on arriving at the goal; + `dead_end_reward` on arriving at
                 a dead end (a node with no outgoing edge)
    terminated   on arriving at the goal or at a dead end (there is nowhere to go from it)
    truncated    after `max_steps` moves (a graph has cycles: without a limit an episode may never end)

A graph in which the goal cannot be reached from the start is refused when the environment is made,
with one line saying so, instead of producing episodes that can only time out.
"""
from __future__ import annotations

from collections import deque

import gymnasium
import numpy as np
from gymnasium import spaces


def nodes_reaching(allowed: np.ndarray, target: int) -> set[int]:
    """Every node with a directed path to `target` (itself included): breadth-first search backwards."""
    found, queue = {target}, deque([target])
    while queue:
        node = queue.popleft()
        for source in np.flatnonzero(allowed[:, node]):
            if int(source) not in found:
                found.add(int(source))
                queue.append(int(source))
    return found


class GraphWorld(gymnasium.Env):
    """Walk a weighted directed graph from `start` to `goal`.

    `weights` is the (n, n) matrix of edge weights, weights[i, j] > 0 for an edge i → j and +inf where
    there is none. `dead_end_reward` defaults to −(sum of every edge weight + 1), worse than any path
    can cost, so a dead end is never the better choice; `max_steps` defaults to 4 n.
    """

    metadata = {"render_modes": []}

    def __init__(self, weights: np.ndarray, start: int, goal: int, *, goal_reward: float = 0.0,
                 dead_end_reward: float | None = None, max_steps: int | None = None):
        weights = np.asarray(weights, dtype=float)
        n = len(weights)
        if weights.ndim != 2 or weights.shape != (n, n):
            raise ValueError(f"Expected a square matrix of edge weights. Received: shape {weights.shape}")
        if not (0 <= start < n and 0 <= goal < n) or start == goal:
            raise ValueError(f"Expected two different nodes among 0..{n - 1}. Received: start {start}, goal {goal}")
        finite = np.isfinite(weights)
        if np.any(weights[finite] <= 0):
            raise ValueError(f"Expected positive edge weights (inf for no edge). Received: smallest "
                             f"{weights[finite].min():g}")
        self.weights, self.start, self.goal = weights, int(start), int(goal)
        self.allowed = finite.copy()
        self.allowed[goal] = False  # the goal ends the episode: nothing is chosen there
        if self.start not in nodes_reaching(self.allowed, self.goal):
            raise ValueError(f"Expected a graph with a path from the start node {start} to the goal {goal}. "
                             f"Received: a graph with none, so no episode could ever reach the goal")
        self.dead_ends = frozenset(int(s) for s in np.flatnonzero(~self.allowed.any(axis=1)) if s != goal)
        self.goal_reward = float(goal_reward)
        self.dead_end_reward = float(-(weights[finite].sum() + 1) if dead_end_reward is None else dead_end_reward)
        self.max_steps = int(max_steps or 4 * n)
        self.observation_space = spaces.Discrete(n)
        self.action_space = spaces.Discrete(n)
        self.node, self.steps = self.start, 0

    @property
    def n_nodes(self) -> int:
        return len(self.weights)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.node, self.steps = self.start, 0
        return self.node, {}

    def step(self, action):
        action = int(action)
        if not self.allowed[self.node, action]:
            raise ValueError(f"Expected a move along an edge out of node {self.node} (to one of "
                             f"{np.flatnonzero(self.allowed[self.node]).tolist()}). Received: action {action}")
        reward = -self.weights[self.node, action]
        self.node, self.steps = action, self.steps + 1
        terminated = action == self.goal or action in self.dead_ends
        if action == self.goal:
            reward += self.goal_reward
        elif action in self.dead_ends:
            reward += self.dead_end_reward
        truncated = not terminated and self.steps >= self.max_steps
        return action, float(reward), terminated, truncated, {}

    def follow(self, policy: np.ndarray) -> tuple[list[int], bool]:
        """The path a deterministic policy (next node per node) walks from the start, and whether it reaches
        the goal; it stops at the goal, at a dead end, or when it would revisit a node (a loop)."""
        path, seen = [self.start], {self.start}
        while path[-1] != self.goal:
            step = int(policy[path[-1]])
            if step < 0 or not self.allowed[path[-1], step] or step in seen:
                return path, False
            path.append(step)
            seen.add(step)
        return path, True

    def path_length(self, path: list[int]) -> float:
        """Sum of the edge weights along `path` (a list of nodes)."""
        return float(sum(self.weights[a, b] for a, b in zip(path, path[1:])))
