"""Lesson 11 · cifar10: the steps of training a CNN on CIFAR-10, as an ablation (DLS lesson 7, seminar 1).

What it teaches: the usual recipe is a sequence of small steps, and each earns its place by a
number. Every row of the table adds one step to the row above it:
  1. baseline: a VGG-style CNN (blocks of two 3x3 convolutions + 2x2 max-pooling, 64-128-256 filters,
     Dense 256) on pixels scaled to [0, 1], constant learning rate, fixed epochs;
  2. + input normalisation: a Keras `Normalization` layer adapted on the training images (per-channel
     mean 0, standard deviation 1);
  3. + augmentation with Keras preprocessing layers (random horizontal flip, random shifts of up to
     10%), active only while training;
  4. + batch normalisation after every convolution;
  5. + dropout (0.5) before the classifier;
  6. + learning-rate schedule (halve on a validation-loss plateau) and early stopping (best epoch kept).
Learning curves per step and the confusion matrix of the last.

Data: CIFAR-10 (50,000 training images, 10% held out for validation, stratified; 10,000 test), the
python-format archive that `keras.datasets.cifar10` downloads, with its sha256 pinned. It is 163 MiB:
where it cannot be had, `--quick` falls back to scikit-learn's 8x8 digits and says so; a full run
never falls back.

Expected full result (bench/cifar10): ≥ 85% test accuracy for the last step (COURSE.md target). That
needs a GPU or hours of CPU; the README says what was measured where.

Run: `nnlab run cifar10 [--quick] [--seed N] [--epochs N]`.
"""
from __future__ import annotations

from dataclasses import dataclass

from keras_models.conv import build_conv_net
from nnlab.recipes.classifiers import keras_outcome, majority_outcome
from nnlab.data.images import ImageClasses, image_classes
from nnlab.runner import Outcome, RunOptions, Variant, apply_run_options

SLUG = "cifar10"
TARGET_TEST_ACCURACY = 0.85

# The ablation: each step switches on one more thing, in this order.
STEPS = (
    ("baseline", "VGG-style CNN, pixels in [0, 1]"),
    ("normalisation", "+ per-channel input normalisation"),
    ("augmentation", "+ random flips and shifts"),
    ("batch-norm", "+ batch norm after every convolution"),
    ("dropout", "+ dropout before the classifier"),
    ("schedule", "+ LR halving on plateaus and early stopping"),
)


@dataclass(frozen=True)
class Config:
    epochs: int = 60
    batch_size: int = 128
    filters: tuple[int, ...] = (64, 128, 256)
    convs_per_block: int = 2
    kernel_sizes: tuple[int, ...] = (3,)
    dense_units: int = 256
    dropout: float = 0.5
    flip: str = "horizontal"            # a mirrored cat is a cat; an upside-down one is not in the test set
    shift: float = 0.1                  # fraction of the image height/width
    patience: int = 10                  # the last step's early stopping (val accuracy, best weights kept)
    lr_patience: int = 3                # ... and its learning-rate halving on val-loss plateaus
    quick_train: int = 1000
    quick_test: int = 300
    val_fraction: float = 0.1
    xla: bool = True                    # XLA-compile each model (off in --quick: compiling outlasts 2 epochs)


def make_config(options: RunOptions) -> Config:
    return apply_run_options(Config(), options, epochs=2, xla=False, patience=1, lr_patience=1)


# ---- data ----------------------------------------------------------------------------------------

def load_data(config: Config, options: RunOptions) -> ImageClasses:
    return image_classes("cifar10", quick=options.quick, seed=options.seed, quick_train=config.quick_train,
                         quick_test=config.quick_test, val_fraction=config.val_fraction)


# ---- the ablation grid ---------------------------------------------------------------------------

def grid(config: Config, data: ImageClasses) -> list[Variant]:
    variants = [Variant("baseline", "majority-class", {"model": "majority"})]
    for i, (step, description) in enumerate(STEPS):
        switched_on = {name: True for name, _ in STEPS[1:i + 1]}
        variants.append(Variant("ablation", f"{i + 1}-{step}", {"model": "cnn", "step": i + 1, "adds": description,
                                                                 **switched_on}))
    return variants


# ---- the model of a step -------------------------------------------------------------------------

def preprocessing_layers(params: dict, data: ImageClasses, config: Config) -> list:
    from keras import layers

    stack = []
    if params.get("normalisation"):
        norm = layers.Normalization(axis=-1)
        x = data.x_train if data.x_train.ndim == 4 else data.x_train[..., None]  # grey: add the channel axis
        norm.adapt(x)  # mean and variance of the training images only
        stack.append(norm)
    if params.get("augmentation"):
        stack += [layers.RandomFlip(config.flip), layers.RandomTranslation(config.shift, config.shift)]
    return stack


def train(variant: Variant, data: ImageClasses, config: Config, seed: int) -> Outcome:
    p = variant.params
    if p["model"] == "majority":
        return majority_outcome(data)
    model = build_conv_net(data.input_shape, data.n_classes, filters=config.filters,
                           kernel_sizes=config.kernel_sizes, convs_per_block=config.convs_per_block,
                           dense_units=config.dense_units, dropout=config.dropout if p.get("dropout") else 0.0,
                           batch_norm=bool(p.get("batch-norm")), preprocessing=preprocessing_layers(p, data, config))
    scheduled = bool(p.get("schedule"))
    return keras_outcome(model, data, optimizer="adam", epochs=config.epochs, batch_size=config.batch_size,
                         patience=config.patience if scheduled else None,
                         lr_patience=config.lr_patience if scheduled else None, label=variant.name,
                         xla=config.xla)


# ---- report --------------------------------------------------------------------------------------

PARAM_COLUMNS = {"adds": lambda r: r.params.get("adds", "–")}


def ablation(view):
    return sorted(view.experiment("ablation"), key=lambda r: r.params["step"])


def report_sections(view) -> list[str]:
    from reports.classification import confusion_section, experiment_section

    baseline = next(iter(view.experiment("baseline")), None)
    parts = [experiment_section(view, "ablation", "Ablation: one step at a time",
                                "Each row keeps everything of the row above and adds one step.",
                                PARAM_COLUMNS, baseline)]
    steps = ablation(view)
    if steps:
        last = steps[-1]
        parts.append(f"## The full recipe: `{last.variant}`\n\n"
                     + confusion_section(view, last, view.data_info.get("class_names", [])))
    return parts


def conclusions(view) -> list[str]:
    from reports.conclusions import TEST_ACCURACY

    steps = ablation(view)
    lines = []
    for before, after in zip(steps, steps[1:]):
        delta = after.metric("test", "accuracy") - before.metric("test", "accuracy")
        lines.append(f"`{after.variant}` ({after.params['adds']}): {100 * after.metric('test', 'accuracy'):.2f}% "
                     f"test accuracy, {100 * abs(delta):.2f} points {'up' if delta >= 0 else 'down'} on the step "
                     f"before.")
    if len(steps) > 1:
        by_gain = sorted(zip(steps, steps[1:]),
                         key=lambda pair: TEST_ACCURACY.get(pair[1]) - TEST_ACCURACY.get(pair[0]))
        lines.append(f"The step that helped most: `{by_gain[-1][1].variant}`; the one that helped least (or hurt): "
                     f"`{by_gain[0][1].variant}`.")
    lines += [verdict.sentence() for verdict in verdicts(view)]
    return lines


def verdicts(view) -> list:
    """The target (COURSE.md): the last step, the full recipe, reaches 85% test accuracy on the full data.

    No verdict when the full recipe is not among the records (a run with --only): an earlier step
    is not the recipe the target is about."""
    from reports.conclusions import TEST_ACCURACY, target_verdict

    recipe = next((r for r in ablation(view) if r.params["step"] == len(STEPS)), None)
    if recipe is None:
        return []
    return [target_verdict(recipe.metric("test", "accuracy"), TARGET_TEST_ACCURACY, TEST_ACCURACY,
                           full_run=not view.quick, detail=f"`{recipe.variant}`, the full recipe")]
