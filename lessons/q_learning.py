"""Lesson 22 · q-learning: tabular Q-learning checked against exact answers, then a Keras DQN (NN2-10).

What it teaches: an agent that only sees rewards can learn to act well, and how to tell that it did.
  (a) the seed lesson's task, the shortest path through a weighted graph: an agent with a Q-table, ε-greedy
      exploration, learning rate α and discount γ, rewards = −edge weights (tf_raw/q_learning.py and the
      environment tf_raw/graph_world.py, both from scratch). Its greedy path is compared with Dijkstra's
      (networkx) on random directed graphs of 10-50 nodes with dead ends and cycles; sweeps of α, γ, ε and
      a decaying ε count the episodes until the greedy path is the shortest for good. γ < 1 discounts
      late costs, so the discounted optimum need not be the shortest path: the γ sweep shows it.
  (b) Gymnasium's CliffWalking: Q-learning against SARSA at ε = 0.1 (Sutton & Barto, example 6.6).
      Q-learning learns the optimal path along the cliff edge (return −13) but falls off while exploring;
      SARSA learns the value of what it really does, takes the safer path, and earns more online.
  (c) Gymnasium's slippery FrozenLake 8×8 against the exact optimal policy from value iteration (written
      by hand): success rates of both greedy policies over 1,000 evaluation episodes.
  (d) a DQN in Keras (keras_models/dqn.py: replay buffer, target network, ε schedule, Huber loss, Double
      DQN targets) on CartPole-v1; the best checkpoint's greedy policy is tested over 100 episodes on
      seeds no checkpoint was chosen on.
Every comparison has a baseline: Dijkstra and a random walk on graphs, value iteration and a random
policy in the grid worlds, a random policy on CartPole.

Data: generated, nothing is downloaded: random graphs from fixed seeds, and Gymnasium's bundled
CliffWalking-v1, FrozenLake8x8-v1 and CartPole-v1.

Expected full result (bench/q_learning.py, seed 0, 193 s on 2 shared CPUs): the learned path's length
equals Dijkstra's on all 24 graph × seed runs (target: every graph); CliffWalking greedy return −13 for
Q-learning on every seed (target), −17 for SARSA, which earns more online (−27 vs −48.5); FrozenLake
success 86.7% learned vs 86.5% for value iteration at γ = 0.99 (target: within 5 points); Double DQN greedy
average 500.0 over 100 CartPole-v1 test episodes after 20,000 steps (target ≥ 475; one seed, and DQN is
known to vary between seeds); see the README's lesson table for the last measured figures.

Run: `nnlab run q-learning [--quick] [--seed N] [--only EXPERIMENT]`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nnlab.data.bundles import Bundle
from nnlab.hashing import content_key
from nnlab.runner import GRID_ONLY, REPORT_ONLY, Outcome, RunOptions, Variant, apply_run_options

SLUG = "q-learning"
QUICK_NOTE = "small graphs, few episodes, a tiny DQN run: figures are NOT the lesson's results"

CLIFF_ID, LAKE_ID, CARTPOLE_ID = "CliffWalking-v1", "FrozenLake8x8-v1", "CartPole-v1"
CLIFF_OPTIMUM = -13.0          # Sutton & Barto: 13 steps along the cliff edge at −1 each
CARTPOLE_TARGET = 475.0        # CartPole-v1's reward_threshold, the environment's "solved" bar
LAKE_MARGIN = 0.05             # target: learned success within 5 points of value iteration's
EVAL_SEED, TEST_SEED = 10_000, 20_000   # DQN checkpoints are chosen on one range of seeds, tested on another


@dataclass(frozen=True)
class Config:
    # (a) graphs: one per size, generated from the size's index and the run's seed
    graph_sizes: tuple[int, ...] = (10, 15, 20, 25, 30, 40, 45, 50)
    edges_per_node: int = 3
    dead_end_share: float = 0.1        # of the nodes lose every outgoing edge
    max_weight: int = 9                # edge weights are integers 1..max_weight
    graph_episodes: int = 500
    alpha: float = 0.5                 # the default learner; the sweeps change one knob at a time
    gamma: float = 1.0                 # undiscounted: the return is minus the path length
    epsilon: float = 0.1
    alphas: tuple[float, ...] = field(default=(0.1, 0.5, 1.0), metadata=GRID_ONLY)
    gammas: tuple[float, ...] = field(default=(0.8, 0.9, 0.99, 1.0), metadata=GRID_ONLY)
    epsilons: tuple[float, ...] = field(default=(0.01, 0.1, 0.3), metadata=GRID_ONLY)
    epsilon_end: float = 0.01          # the decaying variant: ε from 1 to this over the first half of the episodes
    seeds: int = 3
    random_walks: int = 100            # per graph, for the random-walk baseline
    # (b) CliffWalking, Sutton & Barto's setting
    cliff_episodes: int = 500
    cliff_alpha: float = 0.5
    cliff_epsilon: float = 0.1
    cliff_max_steps: int = 1_000       # CliffWalking-v1 has no time limit; a greedy loop must still end
    # (c) FrozenLake 8×8, slippery
    lake_episodes: int = 20_000
    lake_alpha: float = 0.2            # decays linearly to lake_alpha_end: the slippery ice makes targets noisy
    lake_alpha_end: float = 0.002
    lake_gamma: float = 0.99
    lake_epsilon_end: float = 0.05     # ε decays from 1 over the first half of the episodes
    lake_eval_episodes: int = 1_000
    # (d) DQN on CartPole
    dqn_steps: int = 60_000            # environment steps at most; stops early once a checkpoint scores 500
    dqn_hidden: tuple[int, ...] = (64, 64)
    dqn_learning_rate: float = 2.5e-4
    dqn_double: bool = True            # Double DQN targets (keras_models.dqn.dqn_targets)
    dqn_gamma: float = 0.99
    dqn_batch: int = 64
    dqn_buffer: int = 100_000         # more than the step budget: nothing is forgotten
    dqn_warmup: int = 1_000            # random steps before the first update
    dqn_epsilon_end: float = 0.05
    dqn_epsilon_steps: int = 20_000    # ε falls linearly from 1 to dqn_epsilon_end over these steps
    dqn_target_every: int = 500        # steps between copies of the online network into the target
    dqn_eval_every: int = 2_500
    dqn_eval_episodes: int = 10        # greedy episodes per checkpoint
    dqn_test_episodes: int = 100
    smoothing: int = field(default=20, metadata=REPORT_ONLY)   # episodes per moving average in the curves


def make_config(options: RunOptions) -> Config:
    return apply_run_options(Config(), options, graph_sizes=(8, 10, 12), graph_episodes=100, alphas=(0.1, 1.0),
                             gammas=(0.9, 1.0), epsilons=(0.1, 0.3), seeds=2, random_walks=20, cliff_episodes=200,
                             lake_episodes=1_000, lake_eval_episodes=100, dqn_steps=600, dqn_warmup=200,
                             dqn_epsilon_steps=400, dqn_target_every=100, dqn_eval_every=300, dqn_eval_episodes=2,
                             dqn_test_episodes=5, smoothing=5)


# ---- data: generated graphs and Gymnasium's environments -------------------------------------------

@dataclass
class GraphTask:
    """One test graph: a networkx DiGraph with integer `weight`s, the start and the goal, and a layout
    for drawing it."""

    name: str
    graph: object
    start: int
    goal: int
    positions: dict

    def world(self):
        """The graph as the agent's environment (tf_raw.graph_world.GraphWorld)."""
        import networkx as nx

        from tf_raw.graph_world import GraphWorld

        n = self.graph.number_of_nodes()
        weights = nx.to_numpy_array(self.graph, nodelist=range(n), weight="weight", nonedge=np.inf)
        return GraphWorld(weights, self.start, self.goal)


def random_graph(n_nodes: int, edges_per_node: int, dead_end_share: float, max_weight: int, seed: int) -> GraphTask:
    """A random directed graph (G(n, m) with m = edges_per_node · n), integer weights 1..max_weight, and
    round(dead_end_share · n) random nodes stripped of their outgoing edges. The start is the node that
    reaches the most others (so the agent has the most to explore), the goal the node it reaches in the
    most hops (the hardest to find); so a path always exists."""
    import networkx as nx

    rng = np.random.default_rng(seed)
    graph = nx.gnm_random_graph(n_nodes, edges_per_node * n_nodes, seed=seed, directed=True)
    for u, v in graph.edges:
        graph[u][v]["weight"] = int(rng.integers(1, max_weight + 1))
    for node in rng.choice(n_nodes, size=max(1, round(dead_end_share * n_nodes)), replace=False):
        graph.remove_edges_from(list(graph.out_edges(int(node))))
    start = max(graph, key=lambda node: (len(nx.descendants(graph, node)), -node))
    hops = nx.single_source_shortest_path_length(graph, start)
    goal = max(hops, key=lambda node: (hops[node], -node))
    positions = {int(k): [float(x), float(y)] for k, (x, y) in nx.kamada_kawai_layout(graph.to_undirected()).items()}
    return GraphTask(f"{n_nodes} nodes", graph, int(start), int(goal), positions)


@dataclass
class QLearningData(Bundle):
    """The test graphs and the Gymnasium environment ids; the sha256 names what defines them (graph
    sizes, seeds and edges; environment ids and the Gymnasium version whose dynamics they have)."""

    graphs: list[GraphTask]
    environments: tuple[str, ...]

    def details(self) -> dict:
        return {"graphs": [{"name": g.name, "nodes": g.graph.number_of_nodes(), "edges": g.graph.number_of_edges(),
                            "dead ends": sum(1 for n in g.graph if g.graph.out_degree(n) == 0 and n != g.goal),
                            "start": g.start, "goal": g.goal} for g in self.graphs],
                "environments": list(self.environments)}


def load_data(config: Config, options: RunOptions) -> QLearningData:
    from importlib import metadata

    graphs = [random_graph(n, config.edges_per_node, config.dead_end_share, config.max_weight,
                           seed=1_000 * options.seed + i) for i, n in enumerate(config.graph_sizes)]
    environments = (CLIFF_ID, LAKE_ID, CARTPOLE_ID)
    digest = content_key(graphs=[sorted((u, v, d["weight"]) for u, v, d in g.graph.edges(data=True)) for g in graphs],
                         goals=[g.goal for g in graphs], environments=environments,
                         gymnasium=metadata.version("gymnasium"))
    sizes = ", ".join(str(n) for n in config.graph_sizes)
    return QLearningData(graphs, environments, sha256=digest,
                         dataset=f"{len(graphs)} random graphs ({sizes} nodes, seed {options.seed}) "
                                 f"+ Gymnasium {', '.join(environments)}")


# ---- the experiment grid -------------------------------------------------------------------------

def learner(config: Config, **changes) -> dict:
    """The graph learner's settings: the Config's defaults with `changes` (epsilon_end: a decaying ε)."""
    return {"method": "q-learning", "alpha": config.alpha, "gamma": config.gamma, "epsilon": config.epsilon,
            "epsilon_end": None, **changes}


def grid(config: Config, data: QLearningData) -> list[Variant]:
    variants = [Variant("graphs", "dijkstra", {"method": "dijkstra"}),
                Variant("graphs", "random-walk", {"method": "random"}),
                Variant("graphs", "q-learning", learner(config))]
    variants += [Variant("alpha", f"alpha-{a:g}", learner(config, alpha=a)) for a in config.alphas]
    variants += [Variant("gamma", f"gamma-{g:g}", learner(config, gamma=g)) for g in config.gammas]
    variants += [Variant("epsilon", f"epsilon-{e:g}", learner(config, epsilon=e)) for e in config.epsilons]
    variants.append(Variant("epsilon", "epsilon-decay", learner(config, epsilon=1.0, epsilon_end=config.epsilon_end)))
    variants += [Variant("cliff", name, {"method": name}) for name in ("random", "value-iteration", "q-learning", "sarsa")]
    variants += [Variant("frozen-lake", name, {"method": name}) for name in ("random", "value-iteration", "q-learning")]
    variants += [Variant("cartpole", name, {"method": name}) for name in ("random", "dqn")]
    return variants


def train(variant: Variant, data: QLearningData, config: Config, seed: int) -> Outcome:
    method = variant.params["method"]
    if variant.experiment in ("graphs", "alpha", "gamma", "epsilon"):
        if method == "dijkstra":
            return dijkstra_outcome(data)
        if method == "random":
            return random_walk_outcome(data, config, seed)
        return graph_learner_outcome(variant.params, data, config, seed)
    if variant.experiment == "cliff":
        return cliff_outcome(method, config, seed)
    if variant.experiment == "frozen-lake":
        return lake_outcome(method, config, seed)
    return cartpole_outcome(method, config, seed)


def linear(start: float, end: float, progress: float) -> float:
    """start → end as progress goes 0 → 1, then end."""
    return start + (end - start) * min(max(progress, 0.0), 1.0)


def seeds_of(config: Config, seed: int) -> range:
    return range(seed, seed + config.seeds)


# ---- (a) shortest paths ----------------------------------------------------------------------------

def dijkstra_outcome(data: QLearningData) -> Outcome:
    """The exact answer: networkx's Dijkstra per graph, and what the report needs to draw each graph."""
    import networkx as nx

    drawn = []
    for task in data.graphs:
        path = nx.dijkstra_path(task.graph, task.start, task.goal, weight="weight")
        drawn.append({"name": task.name, "positions": task.positions, "edges": [list(e) for e in task.graph.edges],
                      "start": task.start, "goal": task.goal, "path": [int(n) for n in path],
                      "length": float(nx.path_weight(task.graph, path, weight="weight")), "hops": len(path) - 1})
    return Outcome({"test": {"optimal_share": 1.0, "reached_share": 1.0, "length_ratio": 1.0}},
                   info={"graphs": len(drawn)}, artifacts={"graphs": drawn})


def shortest_lengths(data: QLearningData) -> list[float]:
    import networkx as nx

    return [float(nx.dijkstra_path_length(t.graph, t.start, t.goal, weight="weight")) for t in data.graphs]


def path_scores(lengths: list[float], shortest: list[float]) -> dict[str, float]:
    """Over paths (inf: the goal was not reached) against the shortest lengths they should equal."""
    lengths, shortest = np.asarray(lengths, float), np.asarray(shortest, float)
    reached = np.isfinite(lengths)
    return {"optimal_share": float(np.mean(np.isclose(lengths, shortest))), "reached_share": float(reached.mean()),
            "length_ratio": float(np.mean(lengths[reached] / shortest[reached])) if reached.any() else float("nan")}


def random_walk_outcome(data: QLearningData, config: Config, seed: int) -> Outcome:
    """The policy that knows nothing: a uniformly random outgoing edge at every node (ε = 1, no learning)."""
    from tf_raw.q_learning import TabularAgent, play_episode

    lengths, shortest = [], []
    for task, best in zip(data.graphs, shortest_lengths(data)):
        world = task.world()
        agent = TabularAgent(world.n_nodes, world.n_nodes, epsilon=1.0, allowed=world.allowed, seed=seed)
        for walk in range(config.random_walks):
            episode = play_episode(world, agent, learn=False, explore=True, seed=seed + walk)
            reached = episode.terminated and world.node == world.goal
            lengths.append(-episode.total_reward if reached else np.inf)
            shortest.append(best)
    return Outcome({"test": path_scores(lengths, shortest)}, info={"walks": len(lengths)})


@dataclass
class GraphRun:
    """One learner on one graph with one seed: return per episode, whether the greedy path was a
    shortest one after each episode, and the final greedy path."""

    returns: list[float]
    optimal: list[bool]
    path: list[int]
    length: float

    @property
    def episodes_to_optimal(self) -> float:
        """The first episode after which the greedy path stayed a shortest one to the end (NaN: never)."""
        if not self.optimal[-1]:
            return float("nan")
        last_miss = max((i for i, ok in enumerate(self.optimal) if not ok), default=-1)
        return float(last_miss + 2)  # episodes are counted from 1


def learn_graph(task: GraphTask, shortest: float, params: dict, episodes: int, seed: int) -> GraphRun:
    """Q-learning on one graph: ε-greedy episodes from the start, the greedy path read after each."""
    from tf_raw.q_learning import TabularAgent, play_episode

    world = task.world()
    agent = TabularAgent(world.n_nodes, world.n_nodes, method=params["method"], alpha=params["alpha"],
                         gamma=params["gamma"], epsilon=params["epsilon"], allowed=world.allowed, seed=seed)
    returns, optimal = [], []
    for episode in range(episodes):
        if params["epsilon_end"] is not None:
            agent.epsilon = linear(params["epsilon"], params["epsilon_end"], episode / (episodes / 2))
        returns.append(play_episode(world, agent, seed=seed + episode).total_reward)
        path, reached = world.follow(agent.greedy_policy())
        optimal.append(reached and np.isclose(world.path_length(path), shortest))
    path, reached = world.follow(agent.greedy_policy())
    return GraphRun(returns, optimal, path, world.path_length(path) if reached else np.inf)


def graph_learner_outcome(params: dict, data: QLearningData, config: Config, seed: int) -> Outcome:
    """The learner on every graph with every seed. Metrics are over all (graph, seed) runs; history is the
    share of runs whose greedy path is already a shortest one after each episode; the returns per episode
    on the largest graph and each graph's learned path (first seed) are kept for the report."""
    shortest = shortest_lengths(data)
    runs = [[learn_graph(task, best, params, config.graph_episodes, s) for s in seeds_of(config, seed)]
            for task, best in zip(data.graphs, shortest)]
    flat = [run for per_graph in runs for run in per_graph]
    scores = path_scores([r.length for r in flat], [best for best, per_graph in zip(shortest, runs) for _ in per_graph])
    converged = [r.episodes_to_optimal for r in flat if not np.isnan(r.episodes_to_optimal)]
    scores["episodes_to_optimal"] = float(np.mean(converged)) if converged else float("nan")
    largest = int(np.argmax([t.graph.number_of_nodes() for t in data.graphs]))
    per_graph = [{"name": t.name, "path": [int(n) for n in r[0].path], "length": r[0].length if np.isfinite(r[0].length)
                  else None, "optimal_share": float(np.mean([np.isclose(x.length, best) for x in r]))}
                 for t, r, best in zip(data.graphs, runs, shortest)]
    return Outcome({"test": scores}, {"optimal_share": np.mean([r.optimal for r in flat], axis=0).tolist()},
                   {"runs": len(flat), "seeds": list(seeds_of(config, seed)), "episodes": config.graph_episodes,
                    "largest_graph": data.graphs[largest].name},
                   {"per_graph": per_graph, "returns_largest": [r.returns for r in runs[largest]]})


# ---- (b) CliffWalking and (c) FrozenLake: tabular learners against value iteration ------------------

def make_env(env_id: str):
    import gymnasium

    return gymnasium.make(env_id)


def policy_agent(policy: np.ndarray, n_actions: int):
    """A TabularAgent whose greedy action is `policy` (for playing an exact policy in the real env)."""
    from tf_raw.q_learning import TabularAgent

    agent = TabularAgent(len(policy), n_actions)
    agent.q[np.arange(len(policy)), policy] = 1.0
    return agent


def evaluate(env, agent, episodes: int, *, first_seed: int, explore: bool = False, max_steps: int = 10_000):
    """Returns and whether each ended in a terminal state, over `episodes` episodes without learning."""
    from tf_raw.q_learning import play_episode

    played = [play_episode(env, agent, learn=False, explore=explore, seed=first_seed + i, max_steps=max_steps)
              for i in range(episodes)]
    return np.array([p.total_reward for p in played]), np.array([p.terminated for p in played]), played


def exact_solution(env, gamma: float):
    """Value iteration on the environment's own model (Gymnasium's toy-text P table)."""
    from tf_raw.q_learning import value_iteration

    model = env.unwrapped
    return value_iteration(model.P, model.observation_space.n, model.action_space.n, gamma)


def cliff_outcome(method: str, config: Config, seed: int) -> Outcome:
    """Random policy, value iteration (γ = 1), or Q-learning / SARSA at α, ε fixed (one run per seed):
    greedy return and steps after training, and the online return (mean over the last half of training)."""
    from tf_raw.q_learning import TabularAgent, play_episode

    env = make_env(CLIFF_ID)
    n_states, n_actions = int(env.observation_space.n), int(env.action_space.n)
    if method == "random":
        agent = TabularAgent(n_states, n_actions, epsilon=1.0, seed=seed)
        returns, ended, _ = evaluate(env, agent, 100, first_seed=seed, explore=True, max_steps=config.cliff_max_steps)
        return Outcome({"test": {"greedy_return": float(returns.mean()), "reached_share": float(ended.mean())}},
                       info={"episodes": 100, "max_steps": config.cliff_max_steps})
    if method == "value-iteration":
        solution = exact_solution(env, 1.0)
        returns, ended, played = evaluate(env, policy_agent(solution.policy, n_actions), 1, first_seed=seed,
                                          max_steps=config.cliff_max_steps)
        return Outcome({"test": {"greedy_return": float(returns[0]), "steps": float(played[0].steps),
                                 "reached_share": float(ended[0])}}, info={"iterations": solution.iterations},
                       artifacts={"values": solution.values.tolist(), "policy": solution.policy.tolist()})
    runs = []
    for s in seeds_of(config, seed):
        agent = TabularAgent(n_states, n_actions, method=method, alpha=config.cliff_alpha, gamma=1.0,
                             epsilon=config.cliff_epsilon, seed=s)
        returns = [play_episode(env, agent, seed=s + e, max_steps=config.cliff_max_steps).total_reward
                   for e in range(config.cliff_episodes)]
        greedy = play_episode(env, agent, learn=False, seed=s, max_steps=config.cliff_max_steps)
        runs.append((agent, returns, greedy))
    greedy = [g for _, _, g in runs]
    online = [np.mean(r[len(r) // 2:]) for _, r, _ in runs]
    q = runs[0][0].q
    return Outcome({"test": {"greedy_return": float(np.mean([g.total_reward for g in greedy])),
                             "steps": float(np.mean([g.steps for g in greedy])),
                             "reached_share": float(np.mean([g.terminated for g in greedy])),
                             "online_return": float(np.mean(online))}},
                   info={"seeds": list(seeds_of(config, seed)), "episodes": config.cliff_episodes,
                         "greedy_returns": [g.total_reward for g in greedy], "online_return_std": float(np.std(online))},
                   artifacts={"returns": [r for _, r, _ in runs], "values": q.max(axis=1).tolist(),
                              "policy": q.argmax(axis=1).tolist()})


def optimal_action_share(solution, policy: np.ndarray, states: np.ndarray) -> float:
    """Share of `states` where the policy's action is an optimal one: Q*(s, π(s)) within 1e-6 of V*(s)
    (several actions can tie, so comparing with value iteration's argmax alone would undercount)."""
    chosen = solution.q[states, policy[states]]
    return float(np.mean(chosen >= solution.values[states] - 1e-6))


def lake_outcome(method: str, config: Config, seed: int) -> Outcome:
    """Success rate (share of episodes reaching the goal) of a greedy policy over the evaluation episodes:
    a random policy, value iteration's policy, or Q-learning's after training (one run per seed)."""
    from tf_raw.q_learning import TabularAgent, play_episode

    env = make_env(LAKE_ID)
    n_states, n_actions = int(env.observation_space.n), int(env.action_space.n)
    desc = env.unwrapped.desc.astype(str)
    open_states = np.flatnonzero(~np.isin(desc.reshape(-1), ("H", "G")))   # where a choice matters
    solution = exact_solution(env, config.lake_gamma)
    eval_seed = TEST_SEED + seed
    if method == "random":
        returns, _, _ = evaluate(env, TabularAgent(n_states, n_actions, epsilon=1.0, seed=seed),
                                 config.lake_eval_episodes, first_seed=eval_seed, explore=True)
        return Outcome({"test": {"success_rate": float(returns.mean())}}, info={"episodes": config.lake_eval_episodes})
    if method == "value-iteration":
        returns, _, _ = evaluate(env, policy_agent(solution.policy, n_actions), config.lake_eval_episodes,
                                 first_seed=eval_seed)
        return Outcome({"test": {"success_rate": float(returns.mean()), "optimal_actions": 1.0,
                                 "start_value": float(solution.values[0])}},
                       info={"iterations": solution.iterations, "episodes": config.lake_eval_episodes},
                       artifacts={"values": solution.values.tolist(), "policy": solution.policy.tolist(),
                                  "map": ["".join(row) for row in desc]})
    runs = []
    for s in seeds_of(config, seed):
        agent = TabularAgent(n_states, n_actions, alpha=config.lake_alpha, gamma=config.lake_gamma, epsilon=1.0, seed=s)
        rewards = []
        for e in range(config.lake_episodes):
            agent.epsilon = linear(1.0, config.lake_epsilon_end, e / (config.lake_episodes / 2))
            agent.alpha = linear(config.lake_alpha, config.lake_alpha_end, e / config.lake_episodes)
            rewards.append(play_episode(env, agent, seed=s * 1_000_003 + e).total_reward)
        success, _, _ = evaluate(env, agent, config.lake_eval_episodes, first_seed=eval_seed)
        runs.append((agent, rewards, float(success.mean())))
    policy = [agent.greedy_policy() for agent, _, _ in runs]
    q = runs[0][0].q
    return Outcome({"test": {"success_rate": float(np.mean([r for _, _, r in runs])),
                             "optimal_actions": float(np.mean([optimal_action_share(solution, p, open_states)
                                                               for p in policy])),
                             "start_value": float(np.mean([a.q[0].max() for a, _, _ in runs]))}},
                   info={"seeds": list(seeds_of(config, seed)), "episodes": config.lake_episodes,
                         "success_rates": [r for _, _, r in runs], "success_rate_std": float(np.std([r for _, _, r in runs]))},
                   artifacts={"rewards": [r for _, r, _ in runs], "values": q.max(axis=1).tolist(),
                              "policy": q.argmax(axis=1).tolist()})


# ---- (d) DQN on CartPole ---------------------------------------------------------------------------

def greedy_returns(model, episodes: int, first_seed: int) -> np.ndarray:
    """Returns of the network's greedy policy on fresh CartPole-v1 episodes seeded first_seed, first_seed + 1, ..."""
    from keras_models.dqn import greedy_action

    env = make_env(CARTPOLE_ID)
    returns = []
    for i in range(episodes):
        state, _ = env.reset(seed=first_seed + i)
        total, done = 0.0, False
        while not done:
            state, reward, terminated, truncated, _ = env.step(greedy_action(model, state))
            total, done = total + reward, terminated or truncated
        returns.append(total)
    return np.array(returns)


def train_dqn(config: Config, seed: int):
    """The DQN loop: ε-greedy steps into the replay buffer, one minibatch update per step after the warm-up,
    the target network refreshed every `dqn_target_every` steps. Every `dqn_eval_every` steps the greedy
    policy plays `dqn_eval_episodes` checkpoint episodes; the best checkpoint's weights are kept (DQN is
    known to forget a solved task as training goes on) and training stops once a checkpoint scores the
    maximum of 500 on all its episodes. Returns (network, returns per training episode, checkpoints)."""
    from keras_models.dqn import ReplayBuffer, build_q_network, dqn_update, greedy_action

    env = make_env(CARTPOLE_ID)
    n_observations, n_actions = int(env.observation_space.shape[0]), int(env.action_space.n)
    online, target = (build_q_network(n_observations, n_actions, config.dqn_hidden,
                                      learning_rate=config.dqn_learning_rate, name=name)
                      for name in ("online", "target"))
    target.set_weights(online.get_weights())
    buffer, rng = ReplayBuffer(config.dqn_buffer, n_observations), np.random.default_rng(seed)
    state, _ = env.reset(seed=seed)
    returns, checkpoints, total = [], [], 0.0
    best_score, best_weights = -np.inf, online.get_weights()
    limit = env.spec.max_episode_steps
    for step in range(1, config.dqn_steps + 1):
        epsilon = linear(1.0, config.dqn_epsilon_end, step / config.dqn_epsilon_steps)
        action = int(rng.integers(n_actions)) if rng.random() < epsilon else greedy_action(online, state)
        next_state, reward, terminated, truncated, _ = env.step(action)
        buffer.add(state, action, reward, next_state, terminated)
        total += reward
        state = next_state
        if terminated or truncated:
            returns.append(total)
            state, total = env.reset()[0], 0.0
        if step > config.dqn_warmup:
            dqn_update(online, target, buffer.sample(config.dqn_batch, rng), config.dqn_gamma,
                       double=config.dqn_double)
        if step % config.dqn_target_every == 0:
            target.set_weights(online.get_weights())
        if step % config.dqn_eval_every == 0:
            score = float(greedy_returns(online, config.dqn_eval_episodes, EVAL_SEED + step).mean())
            checkpoints.append([step, len(returns), score])
            print(f"    dqn  step {step:,}/{config.dqn_steps:,}  {len(returns)} episodes  ε {epsilon:.2f}  "
                  f"greedy checkpoint mean return {score:.1f}", flush=True)
            if score >= best_score:
                best_score, best_weights = score, online.get_weights()
            if score >= limit:
                break
    online.set_weights(best_weights)
    return online, returns, checkpoints


def cartpole_outcome(method: str, config: Config, seed: int) -> Outcome:
    """A random policy, or the DQN's best checkpoint: mean return over `dqn_test_episodes` episodes on
    test seeds no checkpoint was chosen on."""
    if method == "random":
        env = make_env(CARTPOLE_ID)
        returns = []
        rng = np.random.default_rng(seed)
        for i in range(config.dqn_test_episodes):
            env.reset(seed=TEST_SEED + i)
            total, done = 0.0, False
            while not done:
                _, reward, terminated, truncated, _ = env.step(int(rng.integers(2)))
                total, done = total + reward, terminated or truncated
            returns.append(total)
        return Outcome({"test": {"mean_return": float(np.mean(returns)), "std_return": float(np.std(returns))}},
                       info={"test_episodes": len(returns)})
    model, returns, checkpoints = train_dqn(config, seed)
    test = greedy_returns(model, config.dqn_test_episodes, TEST_SEED)
    steps = checkpoints[-1][0] if checkpoints else config.dqn_steps
    return Outcome({"test": {"mean_return": float(test.mean()), "std_return": float(test.std()),
                             "min_return": float(test.min())}},
                   {"episode_return": returns},
                   {"parameters": model.count_params(), "steps": steps, "episodes": len(returns),
                    "test_episodes": len(test), "best_checkpoint": max(checkpoints, key=lambda c: c[2]) if checkpoints
                    else None},
                   {"checkpoints": checkpoints})


# ---- report --------------------------------------------------------------------------------------

SWEEPS = {"alpha": ("α", "learning rate α"), "gamma": ("γ", "discount γ"), "epsilon": ("ε", "exploration rate ε")}
CLIFF_ARROWS = {0: (0, 1), 1: (1, 0), 2: (0, -1), 3: (-1, 0)}     # CliffWalking: up, right, down, left
LAKE_ARROWS = {0: (-1, 0), 1: (0, -1), 2: (1, 0), 3: (0, 1)}      # FrozenLake: left, down, right, up


def by_name(records) -> dict:
    return {r.variant: r for r in records}


def pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def length(value: float | None) -> str:
    """A path length; None: the greedy path never reached the goal."""
    return "no path" if value is None else f"{value:g}"


def shown(value: float, form=lambda v: f"{v:.0f}") -> str:
    """`value` formatted, or "–" when the variant has no such number (NaN)."""
    return "–" if np.isnan(value) else form(value)


def data_section(view) -> str:
    from reports.tables import markdown_table

    graphs = view.data_info.get("graphs", [])
    return ("## Data\n\nRandom directed graphs generated from the run's seed (G(n, m), integer weights, some nodes "
            "stripped of their outgoing edges: dead ends; cycles are everywhere). The start is the node that "
            "reaches the most others, the goal the node it reaches in the most hops. Environments: "
            + ", ".join(f"`{e}`" for e in view.data_info.get("environments", [])) + " (Gymnasium).\n\n"
            + markdown_table([{"graph": g["name"], "edges": g["edges"], "dead ends": g["dead ends"],
                               "start → goal": f"{g['start']} → {g['goal']}"} for g in graphs]))


def graph_section(view) -> str:
    from reports import plots
    from reports.tables import markdown_table

    records = by_name(view.experiment("graphs"))
    dijkstra, learned = records.get("dijkstra"), records.get("q-learning")
    parts = ["## (a) Shortest paths: Q-learning against Dijkstra",
             "The agent's reward is −weight per edge (γ = 1, no goal bonus), so its best return is minus the "
             "shortest path length. Each learner runs on every graph with every seed; *optimal* counts the runs "
             "whose greedy path (read from the final Q-table) is as short as Dijkstra's; *episodes to optimal* is the "
             "episode after which the greedy path stayed a shortest one, averaged over the runs that ended optimal."]
    if not records:
        return "\n\n".join(parts + ["*Not recorded.*"])
    parts.append(graph_table(records.values()))
    if dijkstra is not None and learned is not None:
        exact = view.artifact(dijkstra, "graphs")
        mine = {g["name"]: g for g in view.artifact(learned, "per_graph")}
        rows = [{"graph": g["name"], "Dijkstra length": g["length"], "hops": g["hops"],
                 "learned length (first seed)": mine[g["name"]]["length"],
                 "runs optimal": pct(mine[g["name"]]["optimal_share"])} for g in exact if g["name"] in mine]
        parts.append(markdown_table(rows, formats={"learned length (first seed)": length}))
        panels = [{"positions": g["positions"], "edges": g["edges"], "start": g["start"], "goal": g["goal"],
                   "title": f"{g['name']}: Dijkstra {g['length']:g}, learned {length(mine[g['name']]['length'])}",
                   "paths": {"Dijkstra (shortest)": g["path"], "Q-learning (greedy)": mine[g["name"]]["path"]}}
                  for g in exact if g["name"] in mine]
        path = plots.graph_paths(panels, view.figure("graph_paths.png"),
                                 title="Learned greedy path (red, dashed) over Dijkstra's shortest path (green)")
        parts.append(view.image(path, "learned paths against shortest paths"))
        largest = learned.info.get("largest_graph")
        best = next((g["length"] for g in exact if g["name"] == largest), None)
        path = plots.band_curves({"Q-learning": view.artifact(learned, "returns_largest")},
                                 view.figure("graph_returns.png"), xlabel="episode", ylabel="return (−path cost)",
                                 smoothing=view.setting("smoothing", Config.smoothing),
                                 references={"−shortest length": -best} if best is not None else None,
                                 title=f"Graph of {largest}: return per episode while learning (ε-greedy), mean ± "
                                       "std over seeds")
        parts.append(view.image(path, "returns per episode on the largest graph"))
    for experiment, (symbol, label) in SWEEPS.items():
        sweep = view.experiment(experiment)
        if not sweep:
            continue
        parts.append(f"### Sweep of the {label}\n\nOne knob changed, the others at the default learner's values.\n\n"
                     + graph_table(sweep))
        path = plots.curves({r.variant: r.history["optimal_share"] for r in sweep if "optimal_share" in r.history},
                            view.figure(f"sweep_{experiment}.png"), xlabel="episode",
                            ylabel="share of runs whose greedy path is shortest",
                            title=f"How fast each {symbol} finds the shortest paths (all graphs and seeds)")
        parts.append(view.image(path, f"{label} sweep"))
    return "\n\n".join(parts)


def graph_table(records) -> str:
    from reports.tables import markdown_table, number

    rows = []
    for r in records:
        p = r.params
        baseline = p["method"] in ("dijkstra", "random")
        rows.append({"variant": f"*baseline: {r.variant}*" if baseline else f"`{r.variant}`",
                     "α / γ / ε": "–" if baseline else f"{p['alpha']:g} / {p['gamma']:g} / "
                     + (f"{p['epsilon']:g}→{p['epsilon_end']:g}" if p.get("epsilon_end") is not None else f"{p['epsilon']:g}"),
                     "optimal": pct(r.metric("test", "optimal_share")),
                     "reached goal": pct(r.metric("test", "reached_share")),
                     "length / shortest": number(r.metric("test", "length_ratio"), 3),
                     "episodes to optimal": number(r.metric("test", "episodes_to_optimal"), 1)})
    return markdown_table(rows)


def cliff_section(view) -> str:
    from reports import plots
    from reports.tables import markdown_table, number

    records = by_name(view.experiment("cliff"))
    parts = ["## (b) CliffWalking: Q-learning against SARSA",
             f"α = {view.setting('cliff_alpha', Config.cliff_alpha)}, ε = {view.setting('cliff_epsilon', Config.cliff_epsilon)} "
             f"throughout, γ = 1, {view.setting('cliff_episodes', Config.cliff_episodes)} episodes per seed. "
             "*Greedy* plays the learned table without exploring; *online* is the mean return over the last half of "
             "training, while exploring. A step costs −1, the cliff −100 and a return to the start."]
    if not records:
        return "\n\n".join(parts + ["*Not recorded.*"])
    rows = [{"variant": f"*baseline: {r.variant}*" if r.variant in ("random", "value-iteration") else f"`{r.variant}`",
             "return (random: mean)": number(r.metric("test", "greedy_return"), 1),
             "greedy steps": number(r.metric("test", "steps"), 1),
             "reached goal": pct(r.metric("test", "reached_share")),
             "online return": number(r.metric("test", "online_return"), 1)} for r in records.values()]
    parts.append(markdown_table(rows))
    learners = {name: view.artifact(records[name], "returns") for name in ("q-learning", "sarsa") if name in records}
    if learners:
        path = plots.band_curves(learners, view.figure("cliff_returns.png"), xlabel="episode",
                                 ylabel="return per episode", smoothing=view.setting("smoothing", Config.smoothing),
                                 references={"optimal path": CLIFF_OPTIMUM},
                                 title="CliffWalking while learning: SARSA earns more online, Q-learning falls "
                                       "off the cliff it walks beside")
        parts.append(view.image(path, "CliffWalking returns"))
    panels = [grid_panel(view, records[name], (4, 12), CLIFF_ARROWS, cliff_marks(), f"{name}: max_a Q and greedy action")
              for name in ("value-iteration", "q-learning", "sarsa") if name in records]
    if panels:
        path = plots.grid_policies(panels, view.figure("cliff_policies.png"), value_label="state value",
                                   title="CliffWalking: state values and greedy actions (C = cliff)")
        parts.append(view.image(path, "CliffWalking value maps and policies"))
    return "\n\n".join(parts)


def cliff_marks() -> dict:
    marks = {(3, c): "C" for c in range(1, 11)}
    marks[(3, 0)], marks[(3, 11)] = "S", "G"
    return marks


def grid_panel(view, record, shape: tuple[int, int], arrows: dict, marks: dict, title: str) -> dict:
    """A record's values and greedy policy as a heat map with arrows. Marked cells other than the start
    (cliff, holes, goal) end the episode or are never stood on: no arrow, and no colour (their table
    entries were never learned and would only stretch the colour scale)."""
    policy = np.asarray(view.artifact(record, "policy")).reshape(shape)
    vectors = np.array([[arrows[int(a)] for a in row] for row in policy], dtype=float)
    values = np.asarray(view.artifact(record, "values"), dtype=float).reshape(shape)
    for (r, c), letter in marks.items():
        if letter != "S":
            vectors[r, c], values[r, c] = 0, np.nan
    return {"values": values, "arrows": vectors, "marks": marks, "title": title}


def lake_section(view) -> str:
    from reports import plots
    from reports.tables import markdown_table, number

    records = by_name(view.experiment("frozen-lake"))
    episodes = view.setting("lake_eval_episodes", Config.lake_eval_episodes)
    parts = ["## (c) FrozenLake 8×8 (slippery) against value iteration",
             f"The ice moves the agent sideways two times in three, so a good policy is a gamble that avoids the "
             f"holes' neighbours. Success rate: share of {episodes:,} evaluation episodes (200-step limit) reaching "
             f"the goal with the greedy policy. γ = {view.setting('lake_gamma', Config.lake_gamma)} for both value "
             "iteration and Q-learning; *optimal actions*: share of the non-terminal cells where the learned action "
             "is an optimal one by value iteration's Q*."]
    if not records:
        return "\n\n".join(parts + ["*Not recorded.*"])
    rows = [{"variant": f"*baseline: {r.variant}*" if r.variant != "q-learning" else f"`{r.variant}`",
             "success rate": pct(r.metric("test", "success_rate")),
             "± std over seeds": pct(r.info["success_rate_std"]) if "success_rate_std" in r.info else "–",
             "optimal actions": shown(r.metric("test", "optimal_actions"), pct),
             "value of the start": number(r.metric("test", "start_value"), 3)} for r in records.values()]
    parts.append(markdown_table(rows))
    if "q-learning" in records:
        path = plots.band_curves({"Q-learning": view.artifact(records["q-learning"], "rewards")},
                                 view.figure("lake_success.png"), xlabel="episode", ylabel="success while learning",
                                 smoothing=max(view.setting("smoothing", Config.smoothing), 200),
                                 references={"value iteration (greedy)": records["value-iteration"].metric(
                                     "test", "success_rate")} if "value-iteration" in records else None,
                                 title="FrozenLake: share of training episodes reaching the goal (ε decays from 1)")
        parts.append(view.image(path, "FrozenLake learning curve"))
    if "value-iteration" in records:
        lake = view.artifact(records["value-iteration"], "map")
        marks = {(r, c): ch for r, row in enumerate(lake) for c, ch in enumerate(row) if ch in "SHG"}
        panels = [grid_panel(view, records[name], (len(lake), len(lake[0])), LAKE_ARROWS, marks,
                             f"{name}: max_a Q and greedy action")
                  for name in ("value-iteration", "q-learning") if name in records]
        path = plots.grid_policies(panels, view.figure("lake_policies.png"), value_label="state value",
                                   title="FrozenLake 8×8: values and greedy actions (H = hole)")
        parts.append(view.image(path, "FrozenLake value maps and policies"))
    return "\n\n".join(parts)


def cartpole_section(view) -> str:
    from reports import plots
    from reports.tables import count, markdown_table, number

    records = by_name(view.experiment("cartpole"))
    parts = ["## (d) DQN on CartPole-v1",
             f"A {'×'.join(str(h) for h in view.setting('dqn_hidden', Config.dqn_hidden))} ReLU Q-network (Keras) with "
             f"{'Double DQN' if view.setting('dqn_double', Config.dqn_double) else 'DQN'} targets, "
             f"Adam {view.setting('dqn_learning_rate', Config.dqn_learning_rate):g}, Huber loss, replay buffer of "
             f"{view.setting('dqn_buffer', Config.dqn_buffer):,}, target network copied every "
             f"{view.setting('dqn_target_every', Config.dqn_target_every)} steps, ε from 1 to "
             f"{view.setting('dqn_epsilon_end', Config.dqn_epsilon_end)} over "
             f"{view.setting('dqn_epsilon_steps', Config.dqn_epsilon_steps):,} steps. The best checkpoint (greedy, "
             f"{view.setting('dqn_eval_episodes', Config.dqn_eval_episodes)} episodes each) is tested on "
             f"{view.setting('dqn_test_episodes', Config.dqn_test_episodes)} new episodes; 500 is the most an "
             "episode can return."]
    if not records:
        return "\n\n".join(parts + ["*Not recorded.*"])
    rows = [{"variant": f"*baseline: {r.variant}*" if r.variant == "random" else f"`{r.variant}`",
             "test mean return": number(r.metric("test", "mean_return"), 1),
             "± std": number(r.metric("test", "std_return"), 1), "worst episode": number(r.metric("test", "min_return"), 0),
             "training steps": r.info.get("steps"), "training episodes": r.info.get("episodes"),
             "wall": f"{r.wall_seconds:.0f} s"} for r in records.values()]
    parts.append(markdown_table(rows, formats={"training steps": count, "training episodes": count}))
    dqn = records.get("dqn")
    if dqn is not None and dqn.history.get("episode_return"):
        path = plots.band_curves({"DQN (ε-greedy while training)": [dqn.history["episode_return"]]},
                                 view.figure("dqn_returns.png"), xlabel="training episode", ylabel="return",
                                 smoothing=view.setting("smoothing", Config.smoothing),
                                 references={"solved": CARTPOLE_TARGET},
                                 title="CartPole-v1: DQN return per training episode")
        parts.append(view.image(path, "DQN returns"))
        checkpoints = view.artifact(dqn, "checkpoints")
        if checkpoints:
            path = plots.curves({"greedy checkpoint mean": [c[2] for c in checkpoints]},
                                view.figure("dqn_checkpoints.png"), x=[c[0] for c in checkpoints],
                                xlabel="environment step", ylabel="mean greedy return", marker="o",
                                title="CartPole-v1: the greedy policy at each checkpoint (the best is kept)")
            parts.append(view.image(path, "DQN checkpoints"))
    return "\n\n".join(parts)


def report_sections(view) -> list[str]:
    return [data_section(view), graph_section(view), cliff_section(view), lake_section(view), cartpole_section(view)]


def conclusions(view) -> list[str]:
    lines = graph_conclusions(view) + cliff_conclusions(view) + lake_conclusions(view) + cartpole_conclusions(view)
    return [line for line in lines if line]


def verdicts(view) -> list:
    """The targets (COURSE.md), in the report's order: the learned path as short as Dijkstra's on every test
    graph (the headline), CliffWalking greedy return −13, FrozenLake within `LAKE_MARGIN` of value iteration
    (the lesson's own bar for "against value iteration"), the DQN's greedy average ≥ 475 on CartPole. Each
    is left out when its experiment was not recorded (--only)."""
    found = (graph_verdict(view), cliff_verdict(view), lake_verdict(view), cartpole_verdict(view))
    return [verdict for verdict in found if verdict is not None]


def verdict(met: bool, full_run: bool) -> str:
    return ("met" if met else "NOT met") if full_run else ("would be met" if met else "not reached") + " (quick run)"


def graph_conclusions(view) -> list[str]:
    records = by_name(view.experiment("graphs"))
    lines = []
    walk = records.get("random-walk")
    target = graph_verdict(view)
    if target is not None:
        lines.append(target.sentence())
    if walk is not None:
        lines.append(f"A random walk reaches the goal in {pct(walk.metric('test', 'reached_share'))} of its walks, "
                     f"on paths {walk.metric('test', 'length_ratio'):.2f}× the shortest when it does.")
    for experiment, (symbol, label) in SWEEPS.items():
        sweep = view.experiment(experiment)
        if len(sweep) < 2:
            continue
        full = [r for r in sweep if r.metric("test", "optimal_share") == 1.0]
        fastest = min(full, key=lambda r: r.metric("test", "episodes_to_optimal")) if full else None
        worst = min(sweep, key=lambda r: r.metric("test", "optimal_share"))
        text = f"Sweep of {label}: " + ", ".join(
            f"`{r.variant}` {pct(r.metric('test', 'optimal_share'))} optimal, for good after "
            f"{shown(r.metric('test', 'episodes_to_optimal'))} episodes" for r in sweep) + "."
        if fastest is not None:
            text += f" Fastest to the shortest paths on every graph: `{fastest.variant}`."
        if worst.metric("test", "optimal_share") < 1.0:
            text += f" Weakest: `{worst.variant}`."
        lines.append(text)
    discounted = [r for r in view.experiment("gamma") if r.params["gamma"] < 1.0 and r.metric("test", "optimal_share") < 1.0]
    if discounted:
        lines.append("With γ < 1 the agent maximises a discounted return, whose optimum need not be the shortest path: "
                     + ", ".join(f"γ = {r.params['gamma']:g} found it in {pct(r.metric('test', 'optimal_share'))} of runs, "
                                 f"its greedy path reached the goal in {pct(r.metric('test', 'reached_share'))}"
                                 + (" (a loop's discounted cost is finite)" if r.metric("test", "reached_share") < 1 else "")
                                 + f" and was {r.metric('test', 'length_ratio'):.3f}× the "
                                 "shortest when it did" for r in discounted) + ".")
    return lines


def cliff_conclusions(view) -> list[str]:
    records = by_name(view.experiment("cliff"))
    q, sarsa = records.get("q-learning"), records.get("sarsa")
    target = cliff_verdict(view)
    lines = [target.sentence()] if target is not None else []
    if q is not None and sarsa is not None:
        longer = sarsa.metric("test", "steps") > q.metric("test", "steps")
        safer = "longer, safer" if longer else "no longer"
        lines.append(f"SARSA's greedy path takes {sarsa.metric('test', 'steps'):.1f} steps (return "
                     f"{sarsa.metric('test', 'greedy_return'):.1f}) against Q-learning's {q.metric('test', 'steps'):.1f}: "
                     f"a {safer} path away from the cliff ({verdict(longer, not view.quick)}). Online, while exploring, SARSA "
                     f"averages {sarsa.metric('test', 'online_return'):.1f} per episode and Q-learning "
                     f"{q.metric('test', 'online_return'):.1f}: "
                     + ("SARSA earns more, because its values price in its own exploratory slips off the cliff."
                        if sarsa.metric("test", "online_return") > q.metric("test", "online_return")
                        else "Q-learning earns as much or more here."))
    if "value-iteration" in records and "random" in records:
        lines.append(f"Value iteration's policy returns {records['value-iteration'].metric('test', 'greedy_return'):g}; "
                     f"a random policy averages {records['random'].metric('test', 'greedy_return'):.0f}.")
    return lines


def lake_conclusions(view) -> list[str]:
    target = lake_verdict(view)
    if target is None:
        return []
    q = by_name(view.experiment("frozen-lake"))["q-learning"]
    return [target.sentence(), f"The learned action is optimal in {pct(q.metric('test', 'optimal_actions'))} of "
                               "the open cells."]


def cartpole_conclusions(view) -> list[str]:
    target = cartpole_verdict(view)
    return [target.sentence()] if target is not None else []


def graph_verdict(view):
    """`value`: the share of graph × seed runs whose greedy path is as short as Dijkstra's."""
    from reports.conclusions import Verdict

    learned = by_name(view.experiment("graphs")).get("q-learning")
    if learned is None:
        return None
    share = learned.metric("test", "optimal_share")
    return Verdict("the learned path is as short as Dijkstra's on every test graph", share,
                   f"{pct(share)} of {learned.info['runs']} graph × seed runs, optimal for good after "
                   f"{learned.metric('test', 'episodes_to_optimal'):.1f} episodes on average", share == 1.0,
                   full_run=not view.quick, percent=True)


def cliff_verdict(view):
    """`value`: Q-learning's worst greedy return over the seeds (−13 is the optimum, so it meets at −13)."""
    from reports.conclusions import Verdict

    q = by_name(view.experiment("cliff")).get("q-learning")
    if q is None:
        return None
    returns = q.info.get("greedy_returns", [q.metric("test", "greedy_return")])
    optimum = f"{CLIFF_OPTIMUM:g}".replace("-", "−")
    return Verdict(f"CliffWalking greedy return {optimum} for Q-learning", float(min(returns)),
                   "per seed: " + ", ".join(f"{r:g}" for r in returns), all(r == CLIFF_OPTIMUM for r in returns),
                   full_run=not view.quick)


def lake_verdict(view):
    """`value`: value iteration's success rate minus Q-learning's (a fraction; at most `LAKE_MARGIN` meets)."""
    from reports.conclusions import Verdict

    records = by_name(view.experiment("frozen-lake"))
    q, exact = records.get("q-learning"), records.get("value-iteration")
    if q is None or exact is None:
        return None
    gap = exact.metric("test", "success_rate") - q.metric("test", "success_rate")
    random_rate = records["random"].metric("test", "success_rate") if "random" in records else float("nan")
    return Verdict(f"FrozenLake learned success within {100 * LAKE_MARGIN:.0f} points of value iteration's", gap,
                   f"{pct(q.metric('test', 'success_rate'))} vs {pct(exact.metric('test', 'success_rate'))}: "
                   f"{100 * abs(gap):.1f} points {'below' if gap > 0 else 'above'} it; random policy {pct(random_rate)}",
                   gap <= LAKE_MARGIN, full_run=not view.quick, percent=True)


def cartpole_verdict(view):
    """`value`: the DQN's greedy mean return over the test episodes (seeds unseen while choosing its checkpoint)."""
    from reports.conclusions import Verdict

    records = by_name(view.experiment("cartpole"))
    dqn, random_policy = records.get("dqn"), records.get("random")
    if dqn is None:
        return None
    mean = dqn.metric("test", "mean_return")
    shown = (f"{mean:.1f} ± {dqn.metric('test', 'std_return'):.1f}, after {dqn.info['steps']:,} steps / "
             f"{dqn.info['episodes']} episodes, {dqn.wall_seconds:.0f} s"
             + (f"; a random policy averages {random_policy.metric('test', 'mean_return'):.1f}"
                if random_policy is not None else ""))
    return Verdict(f"DQN greedy average ≥ {CARTPOLE_TARGET:g} over {dqn.info['test_episodes']} CartPole episodes",
                   mean, shown, mean >= CARTPOLE_TARGET, full_run=not view.quick)
