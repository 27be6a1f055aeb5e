"""Benchmark: the full lstm-airline lesson on the airline passengers series.

Prints the headline network's one-step test RMSE (`Config.headline`, fixed before the run) against the
target (below seasonal-naive's) and the SARIMA and Holt-Winters peers of the same run, the baselines, the NumPy-vs-Keras LSTM difference, and the wall time of the
whole lesson with the conditions (CPUs, backend, epochs, seeds).

    NNLAB_DATA_DIR=<offline copy, optional> python bench/lstm_airline.py [--workdir DIR] [--seed 0]
"""
from __future__ import annotations

from common import conditions, run_full_lesson


def main() -> None:
    from lessons import lstm_airline

    records, wall, workdir, seed = run_full_lesson(lstm_airline, __doc__.splitlines()[0])
    baselines = {r.variant: r for r in records if r.experiment == "baseline"}
    best = next(r for r in records if r.variant == lstm_airline.Config().headline)
    naive = baselines["seasonal-naive"].metric("test", "rmse")
    peers = {r.variant: r.metric("test", "rmse") for r in records if r.experiment == "peers"}
    value = best.metric("test", "rmse")
    print(f"\nbench/lstm_airline: headline network {best.variant}: one-step test RMSE {value:.1f} "
          f"± {best.info.get('test_rmse_std', 0.0):.1f}, MAPE {100 * best.metric('test', 'mape'):.1f}%; "
          f"target below seasonal-naive {naive:.1f}: {'met' if value < naive else 'NOT met'}; "
          + ", ".join(f"{value / peer:.2f}× {name}'s {peer:.1f}" for name, peer in peers.items()))
    print("bench/lstm_airline: baselines " + ", ".join(f"{name} {r.metric('test', 'rmse'):.1f}"
                                                      for name, r in baselines.items()))
    twin = next(r for r in records if r.experiment == "twin")
    print(f"bench/lstm_airline: NumPy LSTM vs Keras max difference {max(twin.metrics['test'].values()):.1e} "
          f"(tolerance 1e-5)")
    config = lstm_airline.Config()
    print(f"bench/lstm_airline: wall time {wall:.0f} s for {len(records)} variants ({conditions(seed)}, "
          f"{config.epochs} epochs, {config.seeds} seeds per network); "
          f"report {workdir / lstm_airline.SLUG / 'report.md'}")


if __name__ == "__main__":
    main()
