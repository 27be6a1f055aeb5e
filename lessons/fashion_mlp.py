"""Lesson 7 · fashion-mlp: dense networks on Fashion-MNIST (GeekBrains L2, DLS MLP).

What it teaches: how a fully connected classifier responds to its three obvious knobs.
  (a) width: a 2-layer net (one hidden layer) with 32 ... 512 neurons;
  (b) depth: 2, 3, 5 and 10 Dense layers at a near-equal parameter budget (the widths are solved
      for, so depth is the only thing that changes; the table shows the counts);
  (c) optimizer: SGD, Adam and RMSprop on one model;
  (d) dropout: the widest 2-layer net again with dropout after its hidden layer, the usual answer
      to "what else raises test accuracy?" (homework question 3).
Train and test accuracy for every variant, against a majority-class baseline and the classical peers
a practitioner tries first (logistic regression, scikit-learn's MLPClassifier, gradient-boosted
trees, an RBF SVC on a stated 10,000-image subset), trained in the same run on the same split, each
configured on validation. The headline network is the one with the best validation accuracy: its
test accuracy is the figure that meets or misses the target. The confusion matrix and per-class
precision / recall / F1 are the headline's; conclusions are computed from the numbers.

Data: Fashion-MNIST, 60,000 training images (10% held out for validation, stratified) and 10,000
test images, 28x28 grey, 10 classes.

Expected full result (bench/fashion_mlp, bench/peers): the headline's test accuracy ≥ 89.5% (COURSE.md
target); see the README's lesson table and "Networks against classical peers" for the last measured
figures and wall time.

Run: `nnlab run fashion-mlp [--quick] [--seed N] [--epochs N]`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from keras_models.dense import build_dense_net, dense_param_count, width_for_budget
from nnlab.recipes.classifiers import keras_outcome, majority_outcome
from nnlab.recipes.peers import IMAGE_PEERS, PEERS, QUICK_IMAGE_PEERS, classifier_peer_outcome, peer_variants
from nnlab.data.images import ImageClasses, image_classes
from nnlab.runner import GRID_ONLY, Outcome, RunOptions, Variant, apply_run_options

SLUG = "fashion-mlp"
TARGET_TEST_ACCURACY = 0.895


@dataclass(frozen=True)
class Config:
    epochs: int = 40
    batch_size: int = 128
    patience: int | None = 6            # early stopping on val accuracy; the best epoch's weights are kept
    lr_patience: int | None = 2         # halve the learning rate after 2 epochs without a better val loss
    widths: tuple[int, ...] = (32, 64, 128, 256, 512)
    depths: tuple[int, ...] = (2, 3, 5, 10)
    budget_width: int = 256             # the depth sweep keeps the parameter count of a 2-layer net this wide
    optimizers: tuple[str, ...] = ("sgd", "adam", "rmsprop")
    optimizer_width: int = 256          # the model the optimizers are compared on
    default_optimizer: str = "adam"
    dropout_width: int = 512            # the net the dropout rates are tried on
    dropout_rates: tuple[float, ...] = (0.1, 0.3, 0.5)
    quick_train: int = 2000
    quick_test: int = 500
    val_fraction: float = 0.1
    # classical peers (nnlab.recipes.peers), each carrying its settings in its params: GRID_ONLY
    peers: tuple = field(default=IMAGE_PEERS, metadata=GRID_ONLY)


def make_config(options: RunOptions) -> Config:
    return apply_run_options(Config(), options, epochs=2, patience=None, lr_patience=None, peers=QUICK_IMAGE_PEERS)


# ---- data ----------------------------------------------------------------------------------------

def load_data(config: Config, options: RunOptions) -> ImageClasses:
    return image_classes("fashion_mnist", quick=options.quick, seed=options.seed,
                         quick_train=config.quick_train, quick_test=config.quick_test,
                         val_fraction=config.val_fraction)


# ---- the experiment grid -------------------------------------------------------------------------

def grid(config: Config, data: ImageClasses) -> list[Variant]:
    n_in = 1
    for size in data.input_shape:
        n_in *= size
    budget = dense_param_count(n_in, [config.budget_width], data.n_classes)
    variants = [Variant("baseline", "majority-class", {"model": "majority"})]
    variants += [Variant("width", f"width-{w}", {"hidden": [w], "units": w, "optimizer": config.default_optimizer})
                 for w in config.widths]
    for layers in config.depths:
        w = width_for_budget(n_in, data.n_classes, layers, budget)
        variants.append(Variant("depth", f"depth-{layers}", {"hidden": [w] * (layers - 1), "layers": layers,
                                                              "optimizer": config.default_optimizer}))
    variants += [Variant("optimizer", name, {"hidden": [config.optimizer_width], "optimizer": name})
                 for name in config.optimizers]
    variants += [Variant("dropout", f"dropout-{rate}", {"hidden": [config.dropout_width], "dropout": rate,
                                                        "optimizer": config.default_optimizer})
                 for rate in config.dropout_rates]
    return variants + peer_variants(config.peers)


# ---- training ------------------------------------------------------------------------------------

def train(variant: Variant, data: ImageClasses, config: Config, seed: int) -> Outcome:
    if variant.params.get("model") == "majority":
        return majority_outcome(data)
    if variant.params.get("model") == "peer":
        return classifier_peer_outcome(variant.params, data, seed)
    model = build_dense_net(data.input_shape, data.n_classes, variant.params["hidden"],
                            dropout=variant.params.get("dropout", 0.0))
    return keras_outcome(model, data, optimizer=variant.params["optimizer"], epochs=config.epochs,
                         batch_size=config.batch_size, patience=config.patience,
                         lr_patience=config.lr_patience, label=variant.name)


# ---- the search space for `nnlab tune fashion-mlp` (Keras Tuner) -----------------------------------

def hypermodel(hp, data: ImageClasses):
    """Neurons, layers, activation, dropout, optimizer and learning rate: the knobs of (a)-(d), searched."""
    from keras_models.training import make_optimizer

    layers = hp.Int("layers", 1, 3)
    units = hp.Choice("units", [64, 128, 256, 512])
    model = build_dense_net(data.input_shape, data.n_classes, [units] * layers,
                            activation=hp.Choice("activation", ["relu", "tanh", "elu"]),
                            dropout=hp.Float("dropout", 0.0, 0.5, step=0.1))
    optimizer = make_optimizer(hp.Choice("optimizer", ["adam", "rmsprop", "sgd"]),
                               hp.Float("learning_rate", 1e-4, 1e-1, sampling="log"))
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


# ---- report --------------------------------------------------------------------------------------

EXPERIMENTS = {
    "width": ("(a) Neurons in a 2-layer net",
              "One hidden ReLU layer of 32 to 512 neurons, then the 10-way softmax; Adam, same epochs."),
    "depth": ("(b) Depth at a near-equal parameter budget",
              "2, 3, 5 and 10 Dense layers, each hidden layer as wide as keeps the total parameter count "
              "near that of the 2-layer 256-neuron net (see *parameters*)."),
    "optimizer": ("(c) Optimizers on one model",
                  "The 2-layer 256-neuron net trained with SGD, Adam and RMSprop at Keras's default "
                  "learning rates."),
    "dropout": ("(d) Dropout on the widest net",
                "The 2-layer 512-neuron net with dropout after the hidden layer; compare with `width-512` "
                "(no dropout) in (a)."),
}
PARAM_COLUMNS = {
    "hidden layers": lambda r: " × ".join(str(h) for h in r.params.get("hidden", [])) or "–",
    "optimizer": lambda r: r.params.get("optimizer", "–"),
    "dropout": lambda r: r.params.get("dropout", 0.0) if r.params.get("hidden") else "–",
}


def networks(view):
    return [r for r in view.records if r.experiment in EXPERIMENTS]


def best_variant(view):
    """The headline network: the best validation accuracy (the test images choose nothing)."""
    from reports.peers import VAL_ACCURACY, chosen_on

    return chosen_on(VAL_ACCURACY, networks(view))


def showdown(view):
    """The headline network against the validation-chosen peer on test accuracy (`reports.peers`)."""
    from reports.peers import classification_showdown

    return classification_showdown(view, networks(view), view.experiment(PEERS))


def report_sections(view) -> list[str]:
    from reports.classification import confusion_section, experiment_section
    from reports.peers import peer_section

    baseline = next(iter(view.experiment("baseline")), None)
    sections = [experiment_section(view, name, title, text, PARAM_COLUMNS, baseline)
                for name, (title, text) in EXPERIMENTS.items()]
    sections.append(peer_section(view.experiment(PEERS), baseline))
    best = best_variant(view)
    if best is not None:
        class_names = view.data_info.get("class_names", [])
        sections.append(f"## Headline network (best validation accuracy): `{best.variant}` ({best.experiment})\n\n"
                        + confusion_section(view, best, class_names))
    return sections


def conclusions(view) -> list[str]:
    from reports.conclusions import TEST_ACCURACY, experiment_findings, sampling_error
    from reports.peers import peer_lines

    baseline = next(iter(view.experiment("baseline")), None)
    best = best_variant(view)
    n_test = view.data_info.get("sizes", {}).get("test", 0)
    noise = sampling_error(best.metric("test", "accuracy"), n_test) if best is not None and n_test else None
    trends = {"width": ("units", "the number of neurons"), "depth": ("layers", "depth"),
              "dropout": ("dropout", "the dropout rate")}
    lines: list[str] = []
    for name, (title, _) in EXPERIMENTS.items():
        param, label = trends.get(name, (None, None))
        lines += experiment_findings(title, view.experiment(name), baseline=baseline,
                                     trend_param=param, trend_label=label, noise=noise)
    if best is not None:
        value = best.metric("test", "accuracy")
        lines.append(f"Headline network, chosen on validation accuracy: `{best.variant}` from {best.experiment}, "
                     f"{100 * value:.2f}% test accuracy ({100 * best.metric('val', 'accuracy'):.2f}% validation) "
                     f"with {best.info.get('parameters', 0):,} parameters.")
        lines += peer_lines(view.experiment(PEERS), TEST_ACCURACY)
        duel = showdown(view)
        if duel is not None:
            lines.append(duel.sentence())
    lines += [verdict.sentence() for verdict in verdicts(view)]
    return lines


def verdicts(view) -> list:
    """The target (COURSE.md): the dense net chosen on validation reaches 89.5% test accuracy."""
    from reports.conclusions import TEST_ACCURACY, target_verdict

    best = best_variant(view)
    if best is None:
        return []
    return [target_verdict(best.metric("test", "accuracy"), TARGET_TEST_ACCURACY, TEST_ACCURACY,
                           full_run=not view.quick, detail=f"`{best.variant}`, chosen on validation")]
