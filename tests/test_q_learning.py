"""Lesson 22 · q-learning: the from-scratch pieces against answers worked by hand, the graph environment's
rewards, dead ends and bad input, the DQN's targets, and one quick end-to-end run through the CLI."""
from __future__ import annotations

import re

import gymnasium
import numpy as np
import pytest

from tests.conftest import cli_env, run_cli
from tf_raw.graph_world import GraphWorld
from tf_raw.q_learning import (TabularAgent, epsilon_greedy, greedy_actions, play_episode, q_learning_target,
                               sarsa_target, td_update, value_iteration)

INF = np.inf


def test_q_learning_update_equals_a_hand_worked_step():
    """Q[1] = (2, 5); from s = 0 take a = 1, get r = −1, land in s' = 1; α = 0.5, γ = 0.9.
    Target y = −1 + 0.9 · max(2, 5) = 3.5; Q[0, 1] = 0 + 0.5 (3.5 − 0) = 1.75; the TD error is 3.5."""
    q = np.zeros((2, 2))
    q[1] = [2.0, 5.0]
    target = q_learning_target(q, reward=-1.0, next_state=1, terminated=False, gamma=0.9)
    assert target == pytest.approx(3.5)
    assert td_update(q, 0, 1, target, alpha=0.5) == pytest.approx(3.5)
    assert q[0, 1] == pytest.approx(1.75)
    assert q[0, 0] == 0.0 and list(q[1]) == [2.0, 5.0]  # nothing else moves


def test_sarsa_bootstraps_from_the_action_taken_and_terminal_targets_are_the_reward():
    q = np.zeros((2, 2))
    q[1] = [2.0, 5.0]
    # SARSA with a' = 0 (an exploratory choice): y = −1 + 0.9 · 2 = 0.8, not 3.5
    assert sarsa_target(q, -1.0, 1, 0, False, 0.9) == pytest.approx(0.8)
    assert q_learning_target(q, 7.0, 1, True, 0.9) == 7.0
    assert sarsa_target(q, 7.0, 1, 1, True, 0.9) == 7.0
    # a masked action never enters max_a: only action 0 is allowed in state 1
    allowed = np.array([[True, True], [True, False]])
    assert q_learning_target(q, -1.0, 1, False, 0.9, allowed) == pytest.approx(0.8)


def test_agent_learn_is_the_same_update():
    for method, expected in (("q-learning", 1.75), ("sarsa", 0.4)):
        agent = TabularAgent(2, 2, method=method, alpha=0.5, gamma=0.9)
        agent.q[1] = [2.0, 5.0]
        agent.learn(0, 1, -1.0, 1, 0, terminated=False)
        assert agent.q[0, 1] == pytest.approx(expected)


def three_state_mdp() -> dict:
    """State 0: 'safe' (a 0) → state 1 with r = −1; 'gamble' (a 1) → goal with r = +10 or back to 0 with
    r = −5, each with p = ½. State 1: a 0 → goal with r = +4; a 1 → state 0 with r = 0. State 2: the goal
    (absorbing, terminal). In Gymnasium's P format."""
    return {0: {0: [(1.0, 1, -1.0, False)], 1: [(0.5, 2, 10.0, True), (0.5, 0, -5.0, False)]},
            1: {0: [(1.0, 2, 4.0, True)], 1: [(1.0, 0, 0.0, False)]},
            2: {0: [(1.0, 2, 0.0, True)], 1: [(1.0, 2, 0.0, True)]}}


def test_value_iteration_solves_a_three_state_mdp_worked_by_hand():
    """γ = 0.9. Guess: gamble in 0, go back from 1. Then V0 = ½·10 + ½(−5 + 0.9 V0) ⇒ 0.55 V0 = 2.5 ⇒
    V0 = 50/11; V1 = 0.9 V0 = 45/11 ≈ 4.09, more than the sure 4, so going back is right; safe in 0 gives
    −1 + 0.9 · 45/11 = 29.5/11 < 50/11, so gambling is right: the guess is consistent, V = (50/11, 45/11, 0)."""
    result = value_iteration(three_state_mdp(), 3, 2, gamma=0.9)
    np.testing.assert_allclose(result.values, [50 / 11, 45 / 11, 0.0], atol=1e-8)
    assert list(result.policy[:2]) == [1, 1]
    np.testing.assert_allclose(result.q[0], [29.5 / 11, 50 / 11], atol=1e-8)
    np.testing.assert_allclose(result.q[1], [4.0, 45 / 11], atol=1e-8)


def test_value_iteration_on_cliff_walking_walks_the_edge_for_minus_13():
    env = gymnasium.make("CliffWalking-v1")
    model = env.unwrapped
    result = value_iteration(model.P, model.observation_space.n, model.action_space.n, gamma=1.0)
    assert result.values[36] == pytest.approx(-13.0)   # the start: 13 steps of −1
    agent = TabularAgent(48, 4)
    agent.q[np.arange(48), result.policy] = 1.0
    episode = play_episode(env, agent, learn=False, seed=0, max_steps=100)
    assert (episode.total_reward, episode.steps, episode.terminated) == (-13.0, 13, True)


def small_graph() -> np.ndarray:
    """0 →(2) 1, 0 →(5) 2, 1 →(2) 3, 1 →(1) 4, 2 →(1) 3, 3 →(1) 0; node 4 is a dead end, the goal is 3.
    Shortest 0 → 3: via 1 (2 + 2 = 4), not via 2 (5 + 1 = 6)."""
    w = np.full((5, 5), INF)
    for (a, b), weight in {(0, 1): 2, (0, 2): 5, (1, 3): 2, (1, 4): 1, (2, 3): 1, (3, 0): 1}.items():
        w[a, b] = weight
    return w


def test_graph_world_rewards_goal_and_dead_end():
    world = GraphWorld(small_graph(), start=0, goal=3)
    assert world.dead_ends == {4}
    assert world.dead_end_reward == -(2 + 5 + 2 + 1 + 1 + 1 + 1)   # worse than any path
    assert world.reset(seed=0) == (0, {})
    assert world.step(1) == (1, -2.0, False, False, {})
    assert world.step(4) == (4, -1.0 + world.dead_end_reward, True, False, {})
    world.reset()
    assert world.step(2) == (2, -5.0, False, False, {})
    assert world.step(3) == (3, -1.0, True, False, {})
    assert not world.allowed[3].any()   # nothing is chosen at the goal
    assert world.follow(np.array([1, 3, 3, -1, -1])) == ([0, 1, 3], True)
    assert world.follow(np.array([1, 4, 3, -1, -1])) == ([0, 1, 4], False)   # into the dead end
    assert world.path_length([0, 1, 3]) == 4.0


def test_graph_world_refuses_a_move_off_the_edges_and_truncates_cycles():
    world = GraphWorld(small_graph(), start=0, goal=3, max_steps=3)
    world.reset()
    with pytest.raises(ValueError, match=r"Expected a move along an edge out of node 0 \(to one of \[1, 2\]\)\. "
                                         r"Received: action 4"):
        world.step(4)
    w = np.full((3, 3), INF)
    w[0, 1] = w[1, 0] = w[1, 2] = 1.0
    loop = GraphWorld(w, start=0, goal=2, max_steps=3)
    loop.reset()
    assert loop.step(1)[3:4] == (False,) and loop.step(0)[3:4] == (False,)
    assert loop.step(1)[2:4] == (False, True)   # cut off after 3 moves, not terminal


def test_a_graph_with_no_path_to_the_goal_is_refused_in_one_line():
    w = small_graph()
    w[1, 3] = w[2, 3] = INF       # nothing leads into 3 any more
    with pytest.raises(ValueError) as caught:
        GraphWorld(w, start=0, goal=3)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("Expected a graph with a path from the start node 0 to the goal 3.")


def test_q_learning_finds_the_shortest_path_of_the_small_graph():
    world = GraphWorld(small_graph(), start=0, goal=3)
    agent = TabularAgent(5, 5, alpha=0.5, gamma=1.0, epsilon=0.1, allowed=world.allowed, seed=0)
    for episode in range(100):
        play_episode(world, agent, seed=episode)
    assert world.follow(agent.greedy_policy()) == ([0, 1, 3], True)
    assert agent.q[0, 1] == pytest.approx(-4.0, abs=1e-3)   # minus the shortest length
    assert agent.q[1, 4] < -10                               # the dead end is priced as a disaster


def test_epsilon_greedy_keeps_to_allowed_actions():
    rng = np.random.default_rng(0)
    q_row, allowed = np.array([9.0, 1.0, 2.0, 3.0]), np.array([False, True, True, False])
    assert {epsilon_greedy(q_row, 0.0, rng, allowed) for _ in range(20)} == {2}
    assert {epsilon_greedy(q_row, 1.0, rng, allowed) for _ in range(200)} == {1, 2}
    assert list(greedy_actions(np.array([[1.0, 3.0], [0.0, 0.0]]), np.array([[True, False], [False, False]]))) == [0, -1]


def test_dqn_targets_and_replay_buffer():
    from keras_models.dqn import ReplayBuffer, build_q_network, dqn_targets

    next_q = np.array([[1.0, 3.0], [2.0, -1.0]])
    rewards, terminated = np.array([1.0, 1.0]), np.array([0.0, 1.0])
    # DQN: y = 1 + 0.9 · max(1, 3) = 3.7; the terminal row is just its reward
    np.testing.assert_allclose(dqn_targets(next_q, rewards, terminated, 0.9), [3.7, 1.0])
    # Double DQN: the online net prefers action 0 in the first row, so y = 1 + 0.9 · Q_target(s', 0) = 1.9
    online = np.array([[5.0, 0.0], [0.0, 1.0]])
    np.testing.assert_allclose(dqn_targets(next_q, rewards, terminated, 0.9, online), [1.9, 1.0])
    buffer = ReplayBuffer(3, 2)
    for i in range(5):
        buffer.add([i, i], i % 2, float(i), [i + 1, i + 1], i == 4)
    assert len(buffer) == 3 and sorted(buffer.rewards) == [2.0, 3.0, 4.0]   # the oldest two were overwritten
    states, actions, rewards, next_states, terminated = buffer.sample(8, np.random.default_rng(0))
    assert states.shape == (8, 2) and set(rewards) <= {2.0, 3.0, 4.0}
    np.testing.assert_array_equal(next_states - states, 1.0)
    np.testing.assert_array_equal(terminated, rewards == 4.0)
    model = build_q_network(4, 2, (8,))
    assert model.output_shape == (None, 2)


def test_lesson_runs_quick_and_writes_its_report(tmp_path):
    workdir = tmp_path / "runs"
    result = run_cli(["run", "q-learning", "--quick", "--workdir", str(workdir)], cli_env(tmp_path), timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    report_dir = workdir / "q-learning"
    report = (report_dir / "report.md").read_text(encoding="utf-8")
    pngs = {path.name for path in report_dir.glob("*.png")}
    assert {"graph_paths.png", "graph_returns.png", "sweep_alpha.png", "sweep_gamma.png", "sweep_epsilon.png",
            "cliff_returns.png", "cliff_policies.png", "lake_success.png", "lake_policies.png", "dqn_returns.png"} <= pngs
    linked = set(re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", report))
    assert linked == pngs
    for baseline in ("dijkstra", "random-walk", "value-iteration", "random"):
        assert f"*baseline: {baseline}*" in report
    assert not re.search(r"\bnan\b", report, re.IGNORECASE)
    # the small quick graphs and CliffWalking's optimum are reached even in a quick run
    assert "as short as Dijkstra's on every test graph) applies to a full run; this quick run: 100.0%" in report
    cliff = re.search(r"CliffWalking greedy return −13 for Q-learning\) applies to a full run; this quick run: "
                      r"per seed: ([-\d, ]+)\.", report)
    assert cliff and {float(r) for r in cliff.group(1).split(", ")} == {-13.0}
    index = (workdir / "index.md").read_text(encoding="utf-8")
    assert "the learned path is as short as Dijkstra's on every test graph" in index
