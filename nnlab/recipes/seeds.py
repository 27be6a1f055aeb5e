"""One variant trained once per seed and recorded as the mean over the seeds, with the spread beside it.

Close variants (one activation against another, a GRU against an LSTM on 100 points) differ by less
than a new random initialisation moves them, so a lesson comparing them trains each several times
and its report shows mean ± std; this is the loop those lessons share.
"""
from __future__ import annotations

import time
from typing import Callable, Sequence

import numpy as np

from nnlab.runner import Outcome


def over_seeds(train_one: Callable[[int], Outcome], seeds: Sequence[int]) -> Outcome:
    """`train_one(seed)` for each seed, merged into one Outcome of the means.

    Each seed's Outcome has the same metrics, history series and artifacts (arrays of numbers), and
    info with "parameters" and "epochs_run". The merged Outcome holds:
      metrics[split][name]   mean over seeds
      history[name]          per-epoch mean over seeds
      artifacts[name]        element-wise mean over seeds (e.g. the mean forecast)
      info                   the first seed's info, "seeds", "seconds_per_epoch" (wall time of all seeds
                             / all epochs run), "<split>_<name>_std" (population std over seeds) and
                             "<split>_<name>_per_seed" (the values, in seed order) per metric.
    """
    start = time.perf_counter()
    runs = [train_one(seed) for seed in seeds]
    seconds = time.perf_counter() - start
    metrics = {split: {name: float(np.mean([r.metrics[split][name] for r in runs])) for name in names}
               for split, names in runs[0].metrics.items()}
    spreads = {f"{split}_{name}_std": float(np.std([r.metrics[split][name] for r in runs]))
               for split, names in runs[0].metrics.items() for name in names}
    per_seed = {f"{split}_{name}_per_seed": [r.metrics[split][name] for r in runs]
                for split, names in runs[0].metrics.items() for name in names}
    history = {name: np.mean([r.history[name] for r in runs], axis=0).tolist() for name in runs[0].history}
    artifacts = {name: np.mean([r.artifacts[name] for r in runs], axis=0).tolist() for name in runs[0].artifacts}
    info = {**runs[0].info, "seeds": list(seeds),
            "seconds_per_epoch": seconds / sum(r.info["epochs_run"] for r in runs), **spreads, **per_seed}
    return Outcome(metrics, history, info, artifacts)
