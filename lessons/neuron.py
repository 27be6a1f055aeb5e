"""Lesson 2 · neuron: a perceptron and a sigmoid neuron in NumPy; MSE against LogLoss (DLS).

What it teaches: one linear unit z = x · kernel + bias learns a straight boundary between two classes,
and how it learns matters.
  - the perceptron (Rosenblatt's rule, a step per mistake) finds a separating line whenever one exists,
    and wanders when none does;
  - the sigmoid neuron follows the gradient of a loss: MSE, whose gradient carries the factor
    σ'(z) ≤ 0.25 and fades when the neuron is confidently wrong, or LogLoss, whose gradient is p - y;
    both trained by hand-written gradient steps (tf_raw/neuron.py) with the same learning rate and epochs.
Accuracy and final loss per model and loss, against a majority-class baseline; loss curves; the
decision boundary each model draws on the two 2-D sets.

Data: two 2-D sets generated from the seed (300 points each, 75/25 stratified train/test split)
  - `separable`: uniform points labelled by a line, those within 0.3 of it removed, so a line
    separates them exactly;
  - `overlapping`: two Gaussian clouds whose tails cross, so no line can;
and scikit-learn's bundled breast-cancer data (569 tumours, 30 features, standardised with the
training statistics).

Expected full result: the perceptron classifies 100% of the separable set (COURSE.md target); on
breast cancer both neurons reach about 96% test accuracy, and the LogLoss neuron ends with a lower log
loss than the MSE one; see the README's lesson table for the last measured figures.

Run: `nnlab run neuron [--quick] [--seed N] [--epochs N]`.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import numpy as np

from nnlab.data.bundles import Bundle
from nnlab.runner import Outcome, RunOptions, Variant
from tf_raw.neuron import Neuron, Perceptron, log_loss

SLUG = "neuron"


@dataclass(frozen=True)
class Config:
    n_points: int = 300                 # per generated 2-D set
    margin: float = 0.3                 # the separable set keeps no point closer than this to its line
    test_fraction: float = 0.25
    perceptron_learning_rate: float = 1.0
    perceptron_epochs: int = 100        # an upper bound: it stops after an epoch without mistakes
    neuron_learning_rate: float = 0.1   # the same for both losses: the comparison is at equal budget
    neuron_epochs: int = 200


def make_config(options: RunOptions) -> Config:
    config = Config()
    if options.quick:
        config = replace(config, perceptron_epochs=30, neuron_epochs=40)
    if options.epochs:
        config = replace(config, neuron_epochs=options.epochs, perceptron_epochs=options.epochs)
    return config


# ---- data ----------------------------------------------------------------------------------------

@dataclass
class BinarySplit:
    """One binary classification set: x_* float64 (n, d), y_* int64 (n,) of 0/1."""

    title: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def separable_points(n: int, margin: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` points in [-3, 3]² labelled by the side of the line x2 = 0.6 x1 + 0.2, none within `margin`."""
    rng = np.random.default_rng(seed)
    normal = np.array([-0.6, 1.0]) / np.hypot(0.6, 1.0)
    kept: list[np.ndarray] = []
    while sum(len(k) for k in kept) < n:
        x = rng.uniform(-3.0, 3.0, size=(n, 2))
        distance = (x - [0.0, 0.2]) @ normal
        kept.append(x[np.abs(distance) >= margin])
    x = np.concatenate(kept)[:n]
    return x, ((x - [0.0, 0.2]) @ normal > 0).astype(np.int64)


def overlapping_points(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian clouds (σ = 1) centred at ±(1, 0.5): `n` points, half per class, tails overlapping."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    centres = np.where(y[:, None] == 1, [1.0, 0.5], [-1.0, -0.5])
    return centres + rng.normal(0.0, 1.0, size=(n, 2)), y.astype(np.int64)


def split(title: str, x: np.ndarray, y: np.ndarray, test_fraction: float, seed: int, *,
          standardise: bool = False) -> BinarySplit:
    """Stratified train/test split; optionally scale each feature to mean 0, std 1 on the training part."""
    from sklearn.model_selection import train_test_split

    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=test_fraction, stratify=y, random_state=seed)
    if standardise:
        mean, std = x_tr.mean(axis=0), x_tr.std(axis=0)
        x_tr, x_te = (x_tr - mean) / std, (x_te - mean) / std
    return BinarySplit(title, x_tr, y_tr.astype(np.int64), x_te, y_te.astype(np.int64))


@dataclass
class NeuronData(Bundle):
    """The lesson's three sets by experiment name."""

    sets: dict[str, BinarySplit]

    def details(self) -> dict:
        total = {part: sum(len(getattr(s, f"y_{part}")) for s in self.sets.values()) for part in ("train", "test")}
        return {"sizes": total,
                "sets": [{"name": name, "title": s.title, "train": len(s.y_train), "test": len(s.y_test),
                          "features": int(s.x_train.shape[1]), "share of class 1": float(s.y_train.mean())}
                         for name, s in self.sets.items()]}


def load_data(config: Config, options: RunOptions) -> NeuronData:
    from sklearn.datasets import load_breast_cancer

    cancer = load_breast_cancer()
    sets = {
        "separable": split("linearly separable 2-D points",
                           *separable_points(config.n_points, config.margin, options.seed),
                           config.test_fraction, options.seed),
        "overlapping": split("overlapping 2-D Gaussian clouds", *overlapping_points(config.n_points, options.seed),
                             config.test_fraction, options.seed),
        # target 1 = benign, 0 = malignant, as scikit-learn codes it
        "breast-cancer": split("breast cancer (scikit-learn, 30 features)", cancer.data, cancer.target,
                               config.test_fraction, options.seed, standardise=True),
    }
    digest = hashlib.sha256()
    for name, s in sets.items():
        digest.update(name.encode())
        for array in (s.x_train, s.y_train, s.x_test, s.y_test):
            digest.update(np.ascontiguousarray(array).tobytes())
    return NeuronData(sets, dataset=f"generated 2-D sets (seed {options.seed}) + sklearn_breast_cancer",
                      sha256=digest.hexdigest())


# ---- the experiment grid -------------------------------------------------------------------------

MODELS = {
    "majority-class": {"model": "majority"},
    "perceptron": {"model": "perceptron"},
    "neuron-mse": {"model": "neuron", "loss": "mse"},
    "neuron-logloss": {"model": "neuron", "loss": "logloss"},
}


def grid(config: Config, data: NeuronData) -> list[Variant]:
    """Every model on every set; the experiment is the set."""
    return [Variant(experiment, name, params) for experiment in data.sets for name, params in MODELS.items()]


# ---- training ------------------------------------------------------------------------------------

def train(variant: Variant, data: NeuronData, config: Config, seed: int) -> Outcome:
    s = data.sets[variant.experiment]
    kind = variant.params["model"]
    if kind == "majority":
        return majority_outcome(s)
    if kind == "perceptron":
        model = Perceptron(config.perceptron_learning_rate, config.perceptron_epochs, seed).fit(s.x_train, s.y_train)
        final_loss = model.history["errors"][-1]
        test_scores = {}  # a step function gives no probabilities to score with log loss
    else:
        model = Neuron(variant.params["loss"], config.neuron_learning_rate, config.neuron_epochs, seed)
        model.fit(s.x_train, s.y_train)
        final_loss = model.history["loss"][-1]
        test_scores = {"logloss": log_loss(model.predict_proba(s.x_test), s.y_test)}
    metrics = {"train": {"accuracy": float(np.mean(model.predict(s.x_train) == s.y_train)), "loss": final_loss},
               "test": {"accuracy": float(np.mean(model.predict(s.x_test) == s.y_test)), **test_scores}}
    info = {"epochs_run": len(model.history["accuracy"]), "parameters": s.x_train.shape[1] + 1}
    artifacts = {"kernel": model.kernel, "bias": model.bias} if s.x_train.shape[1] == 2 else {}
    return Outcome(metrics, model.history, info, artifacts)


def majority_outcome(s: BinarySplit) -> Outcome:
    """Always the most common training class; for 2-D sets it also keeps the points the plots draw."""
    majority = int(np.bincount(s.y_train).argmax())
    metrics = {"train": {"accuracy": float(np.mean(s.y_train == majority))},
               "test": {"accuracy": float(np.mean(s.y_test == majority))}}
    artifacts = {"x_train": s.x_train, "y_train": s.y_train} if s.x_train.shape[1] == 2 else {}
    return Outcome(metrics, info={"parameters": 0, "majority_class": majority}, artifacts=artifacts)


# ---- report --------------------------------------------------------------------------------------

LOSS_MINIMISED = {"perceptron": "share of mistakes", "neuron-mse": "MSE", "neuron-logloss": "LogLoss"}
EXPERIMENTS = {
    "separable": "A line separates the classes exactly.",
    "overlapping": "The classes overlap: the best line still misclassifies the tails.",
    "breast-cancer": "30 standardised measurements per tumour; class 1 is benign.",
}


def data_table(view) -> str:
    from reports.tables import count, markdown_table, percent

    rows = [{"set": f"`{s['name']}`", "what": s["title"], "features": s["features"], "train": s["train"],
             "test": s["test"], "class 1 in train": s["share of class 1"]} for s in view.data_info.get("sets", [])]
    return markdown_table(rows, formats={"features": count, "train": count, "test": count,
                                         "class 1 in train": percent})


def results_table(records, baseline) -> str:
    from reports.tables import count, markdown_table, number, percent

    rows = []
    for r in ([baseline] if baseline else []) + list(records):
        rows.append({"model": f"*baseline: {r.variant}*" if r is baseline else f"`{r.variant}`",
                     "loss minimised": LOSS_MINIMISED.get(r.variant, "–"),
                     "epochs": r.info.get("epochs_run"),
                     "train acc": r.metric("train", "accuracy"), "test acc": r.metric("test", "accuracy"),
                     "final training loss": r.metric("train", "loss"),
                     "test log loss": r.metric("test", "logloss")})
    return markdown_table(rows, formats={"epochs": count, "train acc": percent, "test acc": percent,
                                         "final training loss": lambda v: number(v, 4),
                                         "test log loss": lambda v: number(v, 4)})


def report_sections(view) -> list[str]:
    from reports import plots

    sections = ["## Data\n\n" + data_table(view)]
    for name, description in EXPERIMENTS.items():
        records = view.experiment(name)
        baseline = next((r for r in records if r.variant == "majority-class"), None)
        models = [r for r in records if r is not baseline]
        parts = [f"## `{name}`", description]
        if not models:
            sections.append("\n\n".join(parts + ["*No finished variants recorded yet.*"]))
            continue
        parts.append(results_table(models, baseline))
        neurons = {r.variant: r.history["logloss"] for r in models if "logloss" in r.history}
        if neurons:
            path = plots.curves(neurons, view.figure(f"loss_{name}.png"), xlabel="epoch",
                                ylabel="training log loss", log_y=True,
                                title=f"{name}: both neurons' training log loss per epoch")
            parts.append(view.image(path, f"loss curves on {name}"))
        lines = {r.variant: (view.artifact(r, "kernel"), view.artifact(r, "bias")) for r in models
                 if "kernel" in r.artifact_names}
        if lines and baseline is not None and "x_train" in baseline.artifact_names:
            path = plots.decision_boundaries(view.artifact(baseline, "x_train"), view.artifact(baseline, "y_train"),
                                             lines, view.figure(f"boundary_{name}.png"),
                                             title=f"{name}: the line each model learned (training points)")
            parts.append(view.image(path, f"decision boundaries on {name}"))
        sections.append("\n\n".join(parts))
    return sections


def conclusions(view) -> list[str]:
    from reports.conclusions import experiment_findings

    lines: list[str] = []
    for name in EXPERIMENTS:
        records = view.experiment(name)
        baseline = next((r for r in records if r.variant == "majority-class"), None)
        lines += experiment_findings(f"`{name}`", [r for r in records if r is not baseline], baseline=baseline)
        by_name = {r.variant: r for r in records}
        if "neuron-mse" in by_name and "neuron-logloss" in by_name:
            n_test = next((s["test"] for s in view.data_info.get("sets", []) if s["name"] == name), 0)
            lines.append(loss_comparison(name, by_name["neuron-mse"], by_name["neuron-logloss"], n_test))
    lines += [verdict.sentence() for verdict in verdicts(view)]
    return lines


def verdicts(view) -> list:
    """The targets (COURSE.md): the perceptron reaches 100% on the linearly separable set (its training
    points, the ones a separating line is guaranteed for: the headline); then the LogLoss neuron's test
    accuracy ≥ the MSE neuron's on every set (value: the smallest LogLoss − MSE difference, so a miss on
    any set misses)."""
    from reports.conclusions import Verdict

    found = []
    perceptron = next((r for r in view.experiment("separable") if r.variant == "perceptron"), None)
    if perceptron is not None:
        accuracy = perceptron.metric("train", "accuracy")
        found.append(Verdict("the perceptron classifies the whole separable training set", accuracy,
                             f"{100 * accuracy:.2f}% after {perceptron.info.get('epochs_run')} epochs",
                             accuracy == 1.0, full_run=not view.quick, percent=True))
    gaps = {}
    for name in EXPERIMENTS:
        by_name = {r.variant: r for r in view.experiment(name)}
        if "neuron-mse" in by_name and "neuron-logloss" in by_name:
            gaps[name] = (by_name["neuron-logloss"].metric("test", "accuracy")
                          - by_name["neuron-mse"].metric("test", "accuracy"))
    if len(gaps) == len(EXPERIMENTS):  # a run with --only has not trained both neurons on every set
        # a NaN gap (a missing metric) ranks as the smallest, so the verdict carries it and misses
        smallest = min(gaps.values(), key=lambda gap: np.nan_to_num(gap, nan=-np.inf))
        found.append(Verdict("LogLoss neuron's test accuracy ≥ MSE neuron's on every set", smallest,
                             "; ".join(f"{'+' if gap >= 0 else '−'}{100 * abs(gap):.2f} points on `{name}`"
                                       for name, gap in gaps.items()),
                             smallest >= 0, full_run=not view.quick, percent=True))
    return found


def loss_comparison(name: str, mse, logloss, n_test: int) -> str:
    """LogLoss against MSE at equal budget: test accuracy (in test samples too) and test log loss."""
    acc_mse, acc_log = mse.metric("test", "accuracy"), logloss.metric("test", "accuracy")
    samples = round(abs(acc_log - acc_mse) * n_test)
    if samples == 0:
        verdict = "the two neurons tie on test accuracy"
    else:
        winner = "LogLoss" if acc_log > acc_mse else "MSE"
        verdict = (f"the {winner} neuron wins by {100 * abs(acc_log - acc_mse):.2f} points "
                   f"({samples} of {n_test} test samples)")
    ll_mse, ll_log = mse.metric("test", "logloss"), logloss.metric("test", "logloss")
    lower = "LogLoss" if ll_log < ll_mse else "MSE"
    return (f"On `{name}`, at the same learning rate and epochs, {verdict}: "
            f"{100 * acc_log:.2f}% (LogLoss) vs {100 * acc_mse:.2f}% (MSE); test log loss "
            f"{ll_log:.4f} vs {ll_mse:.4f}, lower for the {lower} neuron.")
