"""Lesson 4 · two-layer: a two-layer network with hand-written backprop, and its tuning grid (GB L1).

What it teaches: how a network learns, written out (tf_raw/two_layer.py: forward pass, softmax,
cross-entropy, backpropagation by the chain rule, mini-batch SGD; tests/test_two_layer.py checks the
gradients numerically to 1e-6 relative error), then the homework: change the lesson's starting
network one knob at a time and say, from the numbers, what raises accuracy and what lowers it.

The starting network is the lesson's: 64 inputs → 16 sigmoid neurons → 10-way softmax, learning rate
0.1, 20 epochs, batches of 32. The grid changes one thing each:
  (a) hidden neurons: 4, 8, 32, 64, 128;
  (b) epochs: 5, 10, 40, 80;
  (c) learning rate: 0.01, 0.03, 0.3, 1.0;
  (d) depth: one and two extra hidden layers of 16.
Every variant is trained with 3 seeds (mean ± std); a change counts as raising or lowering accuracy
only when it exceeds the two variants' seed spreads.

Data: scikit-learn's bundled 8x8 digits (1,797 images, 10 classes): 75/25 stratified train/test, 10%
of the training part held out for validation; pixels scaled to [0, 1].

Expected full result: the starting network reaches about 90% test accuracy; more neurons, more
epochs and a larger learning rate raise it to about 97%, while 4 neurons, few epochs, a small
learning rate and extra sigmoid layers lower it (COURSE.md target: the best variant, chosen on
validation accuracy, beats the starting network by more than the seed spread). The README's lesson table has the last measured figures.

Run: `nnlab run two-layer [--quick] [--seed N] [--epochs N]`.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from nnlab.recipes.classifiers import majority_outcome
from nnlab.data.images import ImageClasses, bundled_digits
from nnlab.recipes.numpy_training import dense_network_outcome
from nnlab.runner import Outcome, RunOptions, Variant

SLUG = "two-layer"


@dataclass(frozen=True)
class Config:
    start_hidden: int = 16              # the starting network: one hidden layer of 16 sigmoid neurons
    start_epochs: int = 20
    start_learning_rate: float = 0.1
    activation: str = "sigmoid"         # the lesson's activation throughout
    batch_size: int = 32
    hidden_sizes: tuple[int, ...] = (4, 8, 32, 64, 128)
    epoch_counts: tuple[int, ...] = (5, 10, 40, 80)
    learning_rates: tuple[float, ...] = (0.01, 0.03, 0.3, 1.0)
    extra_layers: tuple[int, ...] = (1, 2)
    seeds: int = 3
    val_fraction: float = 0.1


def make_config(options: RunOptions) -> Config:
    config = Config()
    if options.quick:
        config = replace(config, start_epochs=3, hidden_sizes=(4, 64), epoch_counts=(1, 6),
                         learning_rates=(0.01, 1.0), seeds=1)
    if options.epochs:
        config = replace(config, start_epochs=options.epochs)
    return config


# ---- data ----------------------------------------------------------------------------------------

def load_data(config: Config, options: RunOptions) -> ImageClasses:
    return bundled_digits(options.seed, config.val_fraction)


# ---- the experiment grid -------------------------------------------------------------------------

def network(config: Config, *, hidden: list[int] | None = None, epochs: int | None = None,
            learning_rate: float | None = None, **axis) -> dict:
    """The starting network's parameters with some changed; `axis` names the knob a variant turns."""
    return {"hidden": hidden or [config.start_hidden], "epochs": epochs or config.start_epochs,
            "learning_rate": learning_rate or config.start_learning_rate, **axis}


def grid(config: Config, data: ImageClasses) -> list[Variant]:
    variants = [Variant("baseline", "majority-class", {"model": "majority"}),
                Variant("start", "starting-network", network(config))]
    variants += [Variant("neurons", f"neurons-{n}", network(config, hidden=[n], units=n))
                 for n in config.hidden_sizes]
    variants += [Variant("epochs", f"epochs-{e}", network(config, epochs=e)) for e in config.epoch_counts]
    variants += [Variant("learning-rate", f"lr-{lr:g}", network(config, learning_rate=lr))
                 for lr in config.learning_rates]
    variants += [Variant("depth", f"extra-layers-{k}", network(config, hidden=[config.start_hidden] * (k + 1),
                                                              extra_layers=k))
                 for k in config.extra_layers]
    return variants


# ---- training ------------------------------------------------------------------------------------

def train(variant: Variant, data: ImageClasses, config: Config, seed: int) -> Outcome:
    if variant.params.get("model") == "majority":
        return majority_outcome(data)
    p = variant.params
    return dense_network_outcome(data, hidden=p["hidden"], activation=config.activation, epochs=p["epochs"],
                                 batch_size=config.batch_size, learning_rate=p["learning_rate"],
                                 seeds=[seed + i for i in range(config.seeds)])


# ---- report --------------------------------------------------------------------------------------

EXPERIMENTS = {
    "neurons": ("(a) Hidden neurons", "units", "the number of hidden neurons"),
    "epochs": ("(b) Epochs", "epochs", "the number of epochs"),
    "learning-rate": ("(c) Learning rate", "learning_rate", "the learning rate"),
    "depth": ("(d) Extra hidden layers", "extra_layers", "the number of extra hidden layers"),
}
# the value the starting network has on each axis, so it sits in every trend
START_AXIS = {"units": lambda c: c["start_hidden"], "epochs": lambda c: c["start_epochs"],
              "learning_rate": lambda c: c["start_learning_rate"], "extra_layers": lambda c: 0}
PARAM_COLUMNS = {
    "hidden layers": lambda r: " × ".join(str(h) for h in r.params.get("hidden", [])) or "–",
    "epochs": lambda r: r.params.get("epochs", "–"),
    "learning rate": lambda r: r.params.get("learning_rate", "–"),
    "test acc std": lambda r: f"{100 * r.info['test_accuracy_std']:.2f} points"
    if len(r.info.get("seeds", [])) > 1 else "–",
}


def seed_std(record) -> float:
    return record.info.get("test_accuracy_std", 0.0)


def on_axis(start, param: str):
    """The starting record with its value on `param` filled in, so trends run through it."""
    return replace(start, params={**start.params, param: START_AXIS[param](start.config)})


def report_sections(view) -> list[str]:
    from reports import plots
    from reports.classification import experiment_section, variant_table
    from reports.conclusions import TEST_ACCURACY

    baseline = next(iter(view.experiment("baseline")), None)
    start = next(iter(view.experiment("start")), None)
    sections = []
    if start is not None:
        sections.append("## The starting network\n\n" + variant_table([start], PARAM_COLUMNS, baseline))
    for name, (title, _, _) in EXPERIMENTS.items():
        text = "One knob of the starting network changed; the starting network is the table's first row."
        sections.append(experiment_section(view, name, title, text, PARAM_COLUMNS, start))
    grid_records = [r for r in view.records if r.experiment in EXPERIMENTS]
    if start is not None and grid_records:
        ranked = TEST_ACCURACY.ranked(grid_records)
        path = plots.bars([r.variant for r in ranked], [TEST_ACCURACY.get(r) for r in ranked],
                          view.figure("grid_test_accuracy.png"), ylabel="test accuracy (mean over seeds)",
                          title="Every grid variant against the starting network",
                          reference=TEST_ACCURACY.get(start), reference_label="starting network")
        sections.append("## The whole grid, best first\n\n" + view.image(path, "test accuracy of every variant"))
    return sections


def conclusions(view) -> list[str]:
    from reports.conclusions import changes_against, experiment_findings, spread_note

    baseline = next(iter(view.experiment("baseline")), None)
    start = next(iter(view.experiment("start")), None)
    if start is None:
        return []
    lines: list[str] = []
    for name, (title, param, label) in EXPERIMENTS.items():
        records = [on_axis(start, param)] + view.experiment(name)
        lines += experiment_findings(title, records, baseline=baseline, trend_param=param, trend_label=label)
    grid_records = [r for r in view.records if r.experiment in EXPERIMENTS]
    lines += spread_note([start, *grid_records])
    lines += changes_against(start, grid_records, noise=seed_std)
    lines += [verdict.sentence() for verdict in verdicts(view)]
    return lines


def verdicts(view) -> list:
    """The target (COURSE.md): the best variant beats the lesson's starting network. Here the best is the
    grid variant with the best validation accuracy (the test images choose nothing), and it must beat the
    start on test accuracy by more than their two seed spreads (one std each); the value is its lead.

    The other target, the gradient check < 1e-6 relative error, is a test (tests/test_two_layer.py),
    not a record of the run."""
    from reports.conclusions import TEST_ACCURACY, Verdict
    from reports.peers import VAL_ACCURACY, chosen_on

    start = next(iter(view.experiment("start")), None)
    best = chosen_on(VAL_ACCURACY, [r for r in view.records if r.experiment in EXPERIMENTS])
    if start is None or best is None:
        return []
    ours, theirs = TEST_ACCURACY.get(best), TEST_ACCURACY.get(start)
    lead, spread = ours - theirs, seed_std(best) + seed_std(start)
    return [Verdict("the variant chosen on validation beats the starting network by more than the seed spread",
                    lead, f"`{best.variant}` {100 * ours:.2f}% vs {100 * theirs:.2f}% test accuracy, "
                    f"{100 * lead:+.2f} points against a spread of {100 * spread:.2f}", lead > spread,
                    full_run=not view.quick, percent=True)]
