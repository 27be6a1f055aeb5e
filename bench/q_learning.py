"""Benchmark: the full q-learning lesson (graphs, CliffWalking, FrozenLake 8×8, DQN on CartPole-v1).

Prints each target's figure against it: the learned path equals Dijkstra's on every graph and seed;
CliffWalking greedy return −13 for Q-learning and a longer (safer) SARSA path; FrozenLake success within
5 points of value iteration's; DQN greedy mean ≥ 475 over 100 CartPole-v1 episodes, with its steps,
episodes and wall time; and the conditions (CPUs, backend, seed, episode budgets).

    python bench/q_learning.py [--workdir DIR] [--seed 0]
"""
from __future__ import annotations

from common import conditions, run_full_lesson


def main() -> None:
    from lessons import q_learning as lesson

    records, wall, workdir, seed = run_full_lesson(lesson, __doc__.splitlines()[0])
    get = {(r.experiment, r.variant): r for r in records}

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    graphs = get[("graphs", "q-learning")]
    share = graphs.metric("test", "optimal_share")
    print(f"\nbench/q_learning: graphs: learned path = Dijkstra's in {100 * share:.1f}% of {graphs.info['runs']} "
          f"graph × seed runs (target 100%: {met(share == 1.0)}), optimal for good after "
          f"{graphs.metric('test', 'episodes_to_optimal'):.1f} episodes on average; random walk reaches the goal in "
          f"{100 * get[('graphs', 'random-walk')].metric('test', 'reached_share'):.1f}% of walks")
    q, sarsa = get[("cliff", "q-learning")], get[("cliff", "sarsa")]
    returns = q.info["greedy_returns"]
    print(f"bench/q_learning: CliffWalking: Q-learning greedy returns {returns} (target −13: "
          f"{met(all(r == lesson.CLIFF_OPTIMUM for r in returns))}); SARSA greedy {sarsa.metric('test', 'greedy_return'):.1f} "
          f"in {sarsa.metric('test', 'steps'):.1f} steps (longer: {met(sarsa.metric('test', 'steps') > q.metric('test', 'steps'))}); "
          f"online returns SARSA {sarsa.metric('test', 'online_return'):.1f}, Q-learning {q.metric('test', 'online_return'):.1f}")
    learned, exact = get[("frozen-lake", "q-learning")], get[("frozen-lake", "value-iteration")]
    gap = exact.metric("test", "success_rate") - learned.metric("test", "success_rate")
    print(f"bench/q_learning: FrozenLake 8x8: Q-learning success {100 * learned.metric('test', 'success_rate'):.1f}% "
          f"± {100 * learned.info['success_rate_std']:.1f} vs value iteration {100 * exact.metric('test', 'success_rate'):.1f}% "
          f"(target within {100 * lesson.LAKE_MARGIN:.0f} points: {met(gap <= lesson.LAKE_MARGIN)}, {100 * gap:+.1f})")
    dqn, random_policy = get[("cartpole", "dqn")], get[("cartpole", "random")]
    mean = dqn.metric("test", "mean_return")
    print(f"bench/q_learning: DQN on CartPole-v1: greedy mean return {mean:.1f} ± {dqn.metric('test', 'std_return'):.1f} "
          f"over {dqn.info['test_episodes']} test episodes (target ≥ {lesson.CARTPOLE_TARGET:g}: "
          f"{met(mean >= lesson.CARTPOLE_TARGET)}); {dqn.info['steps']:,} steps, {dqn.info['episodes']} training "
          f"episodes, {dqn.wall_seconds:.0f} s; random policy {random_policy.metric('test', 'mean_return'):.1f}")
    config = lesson.Config()
    print(f"bench/q_learning: wall time {wall:.0f} s for {len(records)} variants ({conditions(seed)}; "
          f"{config.graph_episodes} episodes per graph, {config.seeds} seeds, CliffWalking {config.cliff_episodes}, "
          f"FrozenLake {config.lake_episodes:,} episodes; DQN at most {config.dqn_steps:,} steps); "
          f"report {workdir / lesson.SLUG / 'report.md'}")


if __name__ == "__main__":
    main()
