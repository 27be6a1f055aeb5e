"""Lesson 6 · optimizers: SGD, momentum, Nesterov, Adagrad, RMSprop and Adam written by hand (GeekBrains NN2-7).

What it teaches: how each update rule moves the weights, and what the learning rate does to it.
  (a) every hand optimizer (tf_raw.optimizers) against keras.optimizers on the same random gradients:
      the largest difference after 10 steps (they are the same rules, so ~1e-7);
  (b) each optimizer at three learning rates on two classic test surfaces, with their paths drawn on
      the contour plots: Rosenbrock's curved valley, f = (1 - x)^2 + 100 (y - x^2)^2, minimum 0 at
      (1, 1), and Beale's flat plateaus, f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2,
      minimum 0 at (3, 0.5); the final loss of every pair in one table (or "diverged");
  (c) the same six optimizers, at Keras's default learning rates, training one raw MLP on
      Fashion-MNIST, with their loss curves, against a majority-class baseline.

Expected full result: every hand optimizer matches keras.optimizers to 1e-6 (COURSE.md target);
on Rosenbrock plain SGD crawls along the valley or diverges at the large rate while the adaptive
and momentum methods get much closer to (1, 1); see the README's lesson table.

Run: `nnlab run optimizers [--quick] [--seed N] [--epochs N]`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from nnlab.recipes.classifiers import majority_outcome
from nnlab.data.bundles import Bundle
from nnlab.data.images import ImageClasses, image_classes
from nnlab.runner import Outcome, RunOptions, Variant, apply_run_options

SLUG = "optimizers"
EQUALITY_TOLERANCE = 1e-6
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def beale(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2


# name -> (function of (x, y) for NumPy arrays and tensors alike, minimum, plot window x0, x1, y0, y1)
SURFACES = {
    "rosenbrock": (rosenbrock, (1.0, 1.0), (-2.0, 2.0, -1.0, 3.0)),
    "beale": (beale, (3.0, 0.5), (-4.5, 4.5, -4.5, 4.5)),
}


@dataclass(frozen=True)
class Config:
    steps: int = 2000                                   # optimizer steps on each surface
    learning_rates: tuple[float, ...] = (0.001, 0.01, 0.1)
    starts: dict = field(default_factory=lambda: {"rosenbrock": (-1.5, 2.0), "beale": (1.0, 1.5)})
    diverged_above: float = 1e6                          # a loss beyond this (or not finite) stops the run
    equality_steps: int = 10
    epochs: int = 10                                     # the network part
    batch_size: int = 128
    mlp_hidden: tuple[int, ...] = (128,)
    quick_train: int = 2000
    quick_test: int = 500
    val_fraction: float = 0.1


def make_config(options: RunOptions) -> Config:
    return apply_run_options(Config(), options, steps=100, epochs=2)


# ---- data: the surfaces are formulas; the network part uses Fashion-MNIST -------------------------

@dataclass
class OptimizerData(Bundle):
    """The images for the network part; the surfaces are formulas, so the images identify the data."""

    images: ImageClasses

    def details(self) -> dict:
        return {**self.images.details(), "surfaces": {name: {"minimum": list(minimum)}
                                                      for name, (_, minimum, _) in SURFACES.items()}}


def load_data(config: Config, options: RunOptions) -> OptimizerData:
    images = image_classes("fashion_mnist", quick=options.quick, seed=options.seed, quick_train=config.quick_train,
                           quick_test=config.quick_test, val_fraction=config.val_fraction)
    return OptimizerData(images, dataset=f"{images.dataset} + rosenbrock/beale surfaces", sha256=images.sha256,
                         fallback=images.fallback, notes=images.notes)


# ---- the experiment grid -------------------------------------------------------------------------

def grid(config: Config, data: OptimizerData) -> list[Variant]:
    variants = [Variant("keras-equality", name, {"optimizer": name}) for name in OPTIMIZERS]
    for surface in SURFACES:
        variants += [Variant(surface, f"{name}-lr{lr:g}", {"optimizer": name, "learning_rate": lr,
                                                           "start": list(config.starts[surface])})
                     for name in OPTIMIZERS for lr in config.learning_rates]
    variants.append(Variant("baseline", "majority-class", {"model": "majority"}))
    variants += [Variant("network", name, {"optimizer": name, "hidden": list(config.mlp_hidden)})
                 for name in OPTIMIZERS]
    return variants


def train(variant: Variant, data: OptimizerData, config: Config, seed: int) -> Outcome:
    if variant.experiment == "keras-equality":
        return keras_equality(variant.params["optimizer"], config.equality_steps, seed)
    if variant.experiment in SURFACES:
        return descend(variant.experiment, variant.params, config)
    if variant.experiment == "baseline":
        return majority_outcome(data.images)
    return train_network(variant, data.images, config, seed)


# ---- (a) equality with keras.optimizers ---------------------------------------------------------

def keras_optimizer(name: str):
    """The keras.optimizers twin of a hand optimizer, at its default learning rate."""
    import keras

    return {"sgd": lambda: keras.optimizers.SGD(),
            "momentum": lambda: keras.optimizers.SGD(momentum=0.9),
            "nesterov": lambda: keras.optimizers.SGD(momentum=0.9, nesterov=True),
            "adagrad": keras.optimizers.Adagrad, "rmsprop": keras.optimizers.RMSprop,
            "adam": keras.optimizers.Adam}[name]()


def keras_equality(name: str, steps: int, seed: int) -> Outcome:
    """`steps` updates of a (32, 16) matrix by both optimizers on the same random gradients."""
    import tensorflow as tf

    from tf_raw import optimizers

    rng = np.random.default_rng(seed)
    start = rng.normal(size=(32, 16)).astype(np.float32)
    ours, theirs = tf.Variable(start), tf.Variable(start)
    hand, reference = optimizers.get(name), keras_optimizer(name)
    for _ in range(steps):
        gradient = tf.constant(rng.normal(size=start.shape).astype(np.float32))
        hand.apply_gradients([(gradient, ours)])
        reference.apply_gradients([(gradient, theirs)])
    difference = float(np.max(np.abs(ours.numpy() - theirs.numpy())))
    moved = float(np.max(np.abs(ours.numpy() - start)))
    return Outcome({"check": {"max_abs_difference": difference, "largest_move": moved}},
                   info={"steps": steps, "learning_rate": hand.learning_rate})


# ---- (b) descent on the test surfaces ------------------------------------------------------------

def descend(surface: str, params: dict, config: Config) -> Outcome:
    """Run one optimizer from the start point; keep the loss at every step and the path."""
    import tensorflow as tf

    from tf_raw import optimizers

    function, minimum, _ = SURFACES[surface]
    point = tf.Variable(params["start"], dtype=tf.float32)
    optimizer = optimizers.get(params["optimizer"], params["learning_rate"])
    optimizer.build([point])

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = function(point[0], point[1])
        optimizer.apply_gradients([(tape.gradient(loss, point), point)])
        return loss

    losses, path = [], [point.numpy().tolist()]
    diverged = False
    for _ in range(config.steps):
        loss = float(step())
        losses.append(loss)
        path.append(point.numpy().tolist())
        if not math.isfinite(loss) or loss > config.diverged_above or not np.isfinite(path[-1]).all():
            diverged = True
            break
    final = float(function(*path[-1])) if not diverged else float("nan")
    distance = float(np.hypot(path[-1][0] - minimum[0], path[-1][1] - minimum[1])) if not diverged else float("nan")
    return Outcome({"final": {"loss": final, "distance_to_minimum": distance}},
                   history={"loss": losses},
                   info={"diverged": diverged, "steps_run": len(losses),
                         "start_loss": float(function(*params["start"]))},
                   artifacts={"path": path})


# ---- (c) one network, six optimizers -------------------------------------------------------------

def train_network(variant: Variant, data: ImageClasses, config: Config, seed: int) -> Outcome:
    from keras_models.training import classification_metrics
    from tf_raw import models, optimizers
    from tf_raw.dataset import make_dataset
    from tf_raw.training import fit, predict_probabilities

    model = models.dense_net(data.n_classes, variant.params["hidden"]).build(data.input_shape)
    optimizer = optimizers.get(variant.params["optimizer"])
    result = fit(model, optimizer, make_dataset(data.x_train, data.y_train, batch_size=config.batch_size, seed=seed),
                 epochs=config.epochs, validation=make_dataset(data.x_val, data.y_val, batch_size=1024, shuffle=False),
                 label=variant.name)
    metrics = {split: classification_metrics(predict_probabilities(model, getattr(data, f"x_{split}")),
                                             getattr(data, f"y_{split}"))
               for split in ("train", "val", "test")}
    info = {"parameters": model.count_params(), "learning_rate": optimizer.learning_rate,
            "seconds_per_epoch": result.seconds_per_epoch, "epochs_run": result.epochs_run}
    return Outcome(metrics, result.history, info)


# ---- report --------------------------------------------------------------------------------------

def final_loss_cell(record) -> str:
    if record.info.get("diverged"):
        return "diverged"
    return f"{record.metric('final', 'loss'):.3g}"


def surface_section(view, surface: str) -> str:
    from reports import plots
    from reports.tables import markdown_table

    records = view.experiment(surface)
    function, minimum, window = SURFACES[surface]
    if not records:
        return f"## (b) {surface.capitalize()}\n\n*No finished variants recorded yet.*"
    rates = sorted({r.params["learning_rate"] for r in records})
    start = records[0].params["start"]
    rows = []
    for name in OPTIMIZERS:
        row = {"optimizer": name}
        for record in (r for r in records if r.params["optimizer"] == name):
            row[f"lr {record.params['learning_rate']:g}"] = final_loss_cell(record)
        rows.append(row)
    parts = [f"## (b) {surface.capitalize()}: final loss after {records[0].config['steps']} steps",
             f"Start ({start[0]:g}, {start[1]:g}), where the loss is {records[0].info['start_loss']:.4g} (the baseline "
             f"every cell should beat); minimum 0 at ({minimum[0]:g}, {minimum[1]:g}). A run whose loss exceeded "
             f"{records[0].config['diverged_above']:g} or stopped being finite is marked *diverged*.",
             markdown_table(rows, ["optimizer", *[f"lr {lr:g}" for lr in rates]])]
    for lr in rates:
        paths = {r.params["optimizer"]: np.asarray(view.artifact(r, "path")) for r in records
                 if r.params["learning_rate"] == lr}
        path = plots.trajectories(function, paths, minimum, window, view.figure(f"paths_{surface}_lr{lr:g}.png"),
                                  title=f"{surface.capitalize()}, learning rate {lr:g}: paths to the minimum (★)")
        parts.append(view.image(path, f"paths on {surface} at learning rate {lr:g}"))
    return "\n\n".join(parts)


def report_sections(view) -> list[str]:
    from reports import plots
    from reports.classification import variant_table
    from reports.tables import markdown_table

    equality = view.experiment("keras-equality")
    rows = [{"optimizer": r.variant, "learning rate": f"{r.info['learning_rate']:g}", "steps": r.info["steps"],
             "max abs difference": f"{r.metric('check', 'max_abs_difference'):.2e}",
             "largest move": f"{r.metric('check', 'largest_move'):.3g}",
             f"≤ {EQUALITY_TOLERANCE:g}": "yes" if r.metric("check", "max_abs_difference") <= EQUALITY_TOLERANCE
             else "NO"} for r in equality]
    sections = ["## (a) Hand optimizers vs keras.optimizers\n\nThe same random gradients fed to both for a "
                "(32, 16) weight matrix; the largest difference of the weights afterwards, beside how far the "
                "weights moved (so a zero difference is not a zero move).\n\n" + markdown_table(rows)]
    sections += [surface_section(view, surface) for surface in SURFACES]
    network = view.experiment("network")
    baseline = next(iter(view.experiment("baseline")), None)
    if network:
        columns = {"learning rate": lambda r: f"{r.info.get('learning_rate', float('nan')):g}",
                   "final train loss": lambda r: f"{r.history['loss'][-1]:.4f}" if r.history.get("loss") else "–",
                   "final val loss": lambda r: f"{r.history['val_loss'][-1]:.4f}" if r.history.get("val_loss") else "–"}
        curves = plots.learning_curves({r.variant: r.history for r in network}, view.figure("curves_network.png"),
                                       metric="loss", title="One MLP, six optimizers: loss per epoch",
                                       ylabel="cross-entropy loss")
        sections.append("## (c) One network, six optimizers\n\nA raw MLP (Flatten → Dense(128, relu) → Dense(10)) "
                        "trained with each hand optimizer at Keras's default learning rate, same initial weights and "
                        "batches.\n\n" + variant_table(network, columns, baseline) + "\n\n"
                        + view.image(curves, "loss curves per optimizer"))
    return sections


def conclusions(view) -> list[str]:
    from reports.conclusions import Score, experiment_findings

    lines = []
    lines += [verdict.sentence() for verdict in verdicts(view)]
    final_loss = Score("final loss", lambda r: r.metric("final", "loss"), higher_is_better=False, as_percent=False)
    for surface in SURFACES:
        records = view.experiment(surface)
        if not records:
            continue
        lines += experiment_findings(surface.capitalize(), records, final_loss)
        diverged = [r.variant for r in records if r.info.get("diverged")]
        if diverged:
            lines.append(f"On {surface.capitalize()} {len(diverged)} of {len(records)} runs diverged: "
                         f"{', '.join(f'`{v}`' for v in diverged)}.")
        for name in OPTIMIZERS:
            mine = [r for r in records if r.params["optimizer"] == name and not r.info.get("diverged")]
            if len(mine) > 1:
                best = min(mine, key=lambda r: r.metric("final", "loss"))
                lines.append(f"On {surface.capitalize()}, {name}'s best learning rate was {best.params['learning_rate']:g} "
                             f"(final loss {best.metric('final', 'loss'):.3g}).")
    network = view.experiment("network")
    if network:
        baseline = next(iter(view.experiment("baseline")), None)
        lines += experiment_findings("the network", network, baseline=baseline)
        last = min(network, key=lambda r: r.history["loss"][-1] if r.history.get("loss") else float("inf"))
        lines.append(f"Lowest final training loss on the network: `{last.variant}` ({last.history['loss'][-1]:.4f}).")
    return lines


def verdicts(view) -> list:
    """The target (COURSE.md): each hand optimizer matches keras.optimizers' update to 1e-6 over 10 steps;
    the value is the largest difference over all six."""
    from reports.conclusions import Verdict

    equality = view.experiment("keras-equality")
    if not equality:
        return []
    # a NaN difference (a broken twin) ranks as the largest, so the verdict carries it and misses
    worst = max(equality, key=lambda r: np.nan_to_num(r.metric("check", "max_abs_difference"), nan=np.inf))
    value = worst.metric("check", "max_abs_difference")
    return [Verdict(f"every hand optimizer within {EQUALITY_TOLERANCE:g} of keras.optimizers over "
                    f"{worst.info['steps']} steps", value, f"largest difference {value:.2e}, `{worst.variant}`",
                    value <= EQUALITY_TOLERANCE, full_run=not view.quick)]
