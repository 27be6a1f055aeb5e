"""Lesson 8 · kaggle-fashion: a Fashion-MNIST competition submission (DLS Fashion-MNIST Kaggle homework).

What it teaches: the last mile of a competition. Train the best model you have (here a small
conv-pool CNN), choose it on a held-out validation split, never on the test labels, predict every
test image and write the submission file in the competition's format:

    Category,Id
    9,0
    2,1
    ...

(`Category`: the predicted class 0-9; `Id`: the 0-based index of the test image; one row per image,
in order, as in the course's sample_submission.csv). The file is read back and validated before the
lesson says it is done. Because Fashion-MNIST's test labels are public, the report also scores the
submission on them, beside the course's baseline, a 2-layer MLP.

Expected full result: ≥ 90% accuracy on the test labels (COURSE.md target); see the README's lesson
table for the last measured figure.

Run: `nnlab run kaggle-fashion [--quick]`; the file is `<workdir>/kaggle-fashion/submission.csv`.
"""
from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

from keras_models.conv import build_conv_net
from keras_models.dense import build_dense_net
from nnlab.recipes.classifiers import keras_outcome, majority_outcome
from nnlab.data.images import ImageClasses, image_classes
from nnlab.errors import UserError
from nnlab.runner import Outcome, RunOptions, Variant, apply_run_options

SLUG = "kaggle-fashion"
TARGET_TEST_ACCURACY = 0.90
HEADER = ("Category", "Id")


@dataclass(frozen=True)
class Config:
    epochs: int = 20
    batch_size: int = 128
    patience: int | None = 5             # early stopping on val accuracy, best weights kept
    lr_patience: int | None = 2          # halve the learning rate when val loss stalls
    mlp_hidden: tuple[int, ...] = (128,)      # the course's baseline: a 2-layer MLP
    cnn_filters: tuple[int, ...] = (32, 64)   # conv-pool blocks, kernels 5 then 3
    cnn_kernels: tuple[int, ...] = (5, 3)
    cnn_dense: int = 128
    cnn_dropout: float = 0.3
    quick_train: int = 2000
    val_fraction: float = 0.1


def make_config(options: RunOptions) -> Config:
    return apply_run_options(Config(), options, epochs=2, patience=None, lr_patience=None)


# ---- data: every test image is kept, even in --quick, because the submission needs them all ------

def load_data(config: Config, options: RunOptions) -> ImageClasses:
    return image_classes("fashion_mnist", quick=options.quick, seed=options.seed,
                         quick_train=config.quick_train, quick_test=None, val_fraction=config.val_fraction)


# ---- models --------------------------------------------------------------------------------------

def grid(config: Config, data: ImageClasses) -> list[Variant]:
    return [
        Variant("baseline", "majority-class", {"model": "majority"}),
        Variant("models", "mlp-baseline", {"model": "mlp", "hidden": list(config.mlp_hidden)}),
        Variant("models", "cnn", {"model": "cnn", "filters": list(config.cnn_filters),
                                  "kernels": list(config.cnn_kernels), "dense": config.cnn_dense,
                                  "dropout": config.cnn_dropout}),
    ]


def train(variant: Variant, data: ImageClasses, config: Config, seed: int) -> Outcome:
    p = variant.params
    if p["model"] == "majority":
        return majority_outcome(data)
    if p["model"] == "mlp":
        model = build_dense_net(data.input_shape, data.n_classes, p["hidden"])
    else:
        model = build_conv_net(data.input_shape, data.n_classes, filters=p["filters"], kernel_sizes=p["kernels"],
                               dense_units=p["dense"], dropout=p["dropout"])
    return keras_outcome(model, data, optimizer="adam", epochs=config.epochs, batch_size=config.batch_size,
                         patience=config.patience, lr_patience=config.lr_patience, label=variant.name)


# ---- the submission file -------------------------------------------------------------------------

def write_submission(path: Path, predictions) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows((int(category), index) for index, category in enumerate(predictions))
    return path


def validate_submission(path: Path, n_images: int, n_classes: int = 10) -> None:
    """Check the file as the competition would; raise UserError naming the first problem."""
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows or tuple(rows[0]) != HEADER:
        raise UserError(f"{path}: header must be {','.join(HEADER)}. Received: {rows[0] if rows else 'empty file'}")
    if len(rows) - 1 != n_images:
        raise UserError(f"{path}: expected {n_images} rows, one per test image. Received: {len(rows) - 1}")
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != 2 or not row[0].isdigit() or not row[1].isdigit():
            raise UserError(f"{path}, line {line}: expected two integers. Received: {row}")
        category, index = int(row[0]), int(row[1])
        if index != line - 2:
            raise UserError(f"{path}, line {line}: Id must be {line - 2} (0-based, in order). Received: {index}")
        if not 0 <= category < n_classes:
            raise UserError(f"{path}, line {line}: Category must be 0-{n_classes - 1}. Received: {category}")


# ---- report --------------------------------------------------------------------------------------

def chosen_model(view):
    """The model the submission comes from: best validation accuracy (test labels are not peeked at)."""
    models = view.experiment("models")
    return max(models, key=lambda r: r.metric("val", "accuracy")) if models else None


def report_sections(view) -> list[str]:
    from reports.classification import confusion_section, variant_table

    baseline = next(iter(view.experiment("baseline")), None)
    params = {"model": lambda r: r.params.get("model"),
              "layers": lambda r: (" × ".join(map(str, r.params["hidden"])) if "hidden" in r.params else
                                   " → ".join(f"conv{k}x{k}:{f}" for f, k in zip(r.params.get("filters", []),
                                                                                r.params.get("kernels", []))))}
    sections = ["## Models\n\nThe course's baseline (2-layer MLP) and the submitted CNN; the submission "
                "comes from the one with the best **validation** accuracy.\n\n"
                + variant_table(view.experiment("models"), params, baseline)]
    best = chosen_model(view)
    if best is None:
        return sections
    predictions = view.artifact(best, "test_pred")
    path = write_submission(view.out_dir / "submission.csv", predictions)
    validate_submission(path, len(predictions), len(view.data_info.get("class_names", [])) or 10)
    print(f"{SLUG}: submission written and validated: {path} ({len(predictions):,} rows)", file=sys.stderr)
    sections.append(
        f"## Submission\n\n`{path.name}` ({len(predictions):,} rows + header `{','.join(HEADER)}`) from "
        f"`{best.variant}`, validated: header, one row per test image, Ids 0…{len(predictions) - 1} in order, "
        f"classes in range.\n\n" + confusion_section(view, best, view.data_info.get("class_names", [])))
    return sections


def conclusions(view) -> list[str]:
    best = chosen_model(view)
    if best is None:
        return []
    lines = [f"The submission comes from `{best.variant}` (validation accuracy "
             f"{100 * best.metric('val', 'accuracy'):.2f}%), scoring {100 * best.metric('test', 'accuracy'):.2f}% "
             f"on the labelled test set."]
    baseline = next((r for r in view.experiment("models") if r.variant == "mlp-baseline"), None)
    if baseline is not None and baseline is not best:
        delta = best.metric("test", "accuracy") - baseline.metric("test", "accuracy")
        lines.append(f"Against the course's baseline MLP ({100 * baseline.metric('test', 'accuracy'):.2f}%) that is "
                     f"{100 * abs(delta):.2f} points {'better' if delta >= 0 else 'worse'}, with "
                     f"{best.info.get('parameters', 0):,} parameters vs {baseline.info.get('parameters', 0):,}.")
    lines += [verdict.sentence() for verdict in verdicts(view)]
    return lines


def verdicts(view) -> list:
    """The target (COURSE.md): the submitted model, chosen on validation, scores ≥ 90% on the test labels.

    The submission's format, the target's other half, is checked when the report writes it (a bad file
    stops the report with the first problem), so it needs no verdict of its own."""
    from reports.conclusions import TEST_ACCURACY, target_verdict

    best = chosen_model(view)
    if best is None:
        return []
    return [target_verdict(best.metric("test", "accuracy"), TARGET_TEST_ACCURACY, TEST_ACCURACY,
                           full_run=not view.quick, detail=f"`{best.variant}`, the submitted model")]
