"""Lesson 15 · unet: U-Net segmentation of EM cell membranes (GeekBrains L6, on ISBI-2012 instead of the
lesson's own data set).

What it teaches: per-pixel classification with an encoder-decoder and skip connections; why the loss
adds Dice to cross-entropy (22% of the pixels are membrane: a network can score well per pixel and still
miss the thin structures Dice measures); and how much augmentation matters with 24 training images.
  (a) depth (2, 3 poolings) × base filters (8, 16), all with augmentation;
  (b) the largest of them without augmentation.
Augmentation (flips, rotations up to ±18°, zoom ±10%) is applied to the image and its mask as one
two-channel tensor, so both receive the same transform by construction.

Data: the 30 ISBI-2012 training slices (512x512) with binary masks (1 = cell interior, 0 = membrane),
split by image (24 train / 6 validation, fixed by the seed) and resized to `size` x `size`.

Metrics on the validation images: pixel accuracy, and Dice and IoU of the membrane class. Baselines:
the trivial predictors "all cell interior" (the majority, 78% pixel accuracy) and "all membrane".
The classical peer, trained in the same run on the same split: a per-pixel random forest on
hand-crafted filters (scikit-image's `multiscale_basic_features`: Gaussian-smoothed intensity,
Sobel edges and Hessian eigenvalues at several scales), fitted on a stated sample of training pixels
with one configuration fixed before the run (the validation images are the only held-out ones, so
nothing is chosen on them for the peer).
Expected full result (bench/unet, bench/peers): validation pixel accuracy about 90% for the largest net
(COURSE.md target ≥ 90%; the trivial predictor has 75.5%), membrane Dice about 0.79; without augmentation
about 88%; the pixel forest 88.0%, Dice 0.74.

Run: `nnlab run unet [--quick] [--seed N] [--epochs N]`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from keras_models.stopping import interruptible_fit
from nnlab.data.bundles import Bundle
from nnlab.data.registry import load
from nnlab.recipes.peers import PEERS, fit_on_validation
from nnlab.runner import GRID_ONLY, Outcome, RunOptions, Variant, apply_run_options

SLUG = "unet"
TARGET_PIXEL_ACCURACY = 0.90


@dataclass(frozen=True)
class Config:
    size: int = 128                  # slices are resized to size x size (CPU budget; 512 is the original)
    val_images: int = 6
    depths: tuple[int, ...] = (2, 3)
    filters: tuple[int, ...] = (8, 16)
    epochs: int = 60
    batch_size: int = 4
    repeats: int = 6                 # each training image is seen this many times per epoch (augmented anew)
    learning_rate: float = 1e-3
    rotation: float = 0.05           # fraction of a full turn: ±18°
    zoom: float = 0.1
    # the classical peer: a random forest per pixel, on filter features at scales sigma_min..sigma_max,
    # fitted on this many training pixels (a seeded sample). GRID_ONLY: it carries them in its params.
    forest: dict = field(default_factory=lambda: {"n_estimators": 100, "min_samples_leaf": 5, "max_features": "sqrt"},
                         metadata=GRID_ONLY)
    forest_pixels: int = field(default=100_000, metadata=GRID_ONLY)
    feature_sigmas: tuple[float, float] = field(default=(1.0, 16.0), metadata=GRID_ONLY)


def make_config(options: RunOptions) -> Config:
    return apply_run_options(Config(), options, size=64, depths=(2,), filters=(8,), epochs=2, repeats=1,
                             forest={"n_estimators": 20, "min_samples_leaf": 5, "max_features": "sqrt"},
                             forest_pixels=10_000)


# ---- data ----------------------------------------------------------------------------------------

@dataclass
class Segmentation(Bundle):
    """Images (n, H, W, 1) float32 in [0, 1] and masks (n, H, W, 1) float32 in {0, 1}, split by image."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    val_ids: list[int]

    def details(self) -> dict:
        return {"val_ids": self.val_ids, "input_shape": list(self.x_train.shape[1:]),
                "sizes": {"train": len(self.x_train), "val": len(self.x_val)}}


def resized(images: np.ndarray, size: int, *, binary: bool) -> np.ndarray:
    """(n, H, W) → (n, size, size, 1) float32, area-averaged; a mask is thresholded back to {0, 1} at 0.5."""
    import tensorflow as tf

    out = tf.image.resize(images[..., None].astype(np.float32), (size, size), method="area").numpy()
    return (out > 0.5).astype(np.float32) if binary else out / np.float32(255.0)


def load_data(config: Config, options: RunOptions) -> Segmentation:
    loaded = load("isbi_membrane")
    images, masks = loaded.arrays["images"], loaded.arrays["masks"]
    order = np.random.default_rng(options.seed).permutation(len(images))
    val, train = np.sort(order[:config.val_images]), np.sort(order[config.val_images:])
    x, y = resized(images, config.size, binary=False), resized(masks, config.size, binary=True)
    note = f"slices resized from {images.shape[1]}x{images.shape[2]} to {config.size}x{config.size}"
    return Segmentation(x[train], y[train], x[val], y[val], val.tolist(), dataset=loaded.name, sha256=loaded.sha256,
                        notes=[note])


# ---- augmentation --------------------------------------------------------------------------------

def make_augmenter(config: Config, seed: int):
    """Random flips, rotation and zoom as Keras layers, applied to [image, mask] stacked as channels.
    A list, not a keras.Sequential: each preprocessing layer on its own knows it runs inside tf.data
    and uses TensorFlow ops there under any Keras backend; a Sequential would trace with JAX's."""
    import keras

    return [
        keras.layers.RandomFlip("horizontal_and_vertical", seed=seed),
        keras.layers.RandomRotation(config.rotation, fill_mode="reflect", seed=seed + 1),
        keras.layers.RandomZoom(config.zoom, fill_mode="reflect", seed=seed + 2),
    ]


def augment_pair(augmenter, image, mask):
    """The same random transform for an image and its mask: they travel as one (H, W, 2) tensor; the
    mask channel is thresholded back to {0, 1} after interpolation."""
    import tensorflow as tf

    both = tf.concat([image, mask], axis=-1)
    for layer in augmenter:
        both = layer(both, training=True)
    return both[..., :1], tf.cast(both[..., 1:] > 0.5, both.dtype)


def training_batches(data: Segmentation, config: Config, seed: int, augment: bool):
    import tensorflow as tf

    pairs = tf.data.Dataset.from_tensor_slices((data.x_train, data.y_train)).repeat(config.repeats)
    pairs = pairs.shuffle(len(data.x_train) * config.repeats, seed=seed)
    if augment:
        augmenter = make_augmenter(config, seed)
        pairs = pairs.map(lambda x, y: augment_pair(augmenter, x, y))
    return pairs.batch(config.batch_size).prefetch(2)


# ---- metrics -------------------------------------------------------------------------------------

def segmentation_metrics(predicted: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Pixel accuracy over all pixels; Dice and IoU of the membrane class (mask value 0), over all images."""
    predicted, truth = predicted.astype(bool), truth.astype(bool)
    membrane_pred, membrane_true = ~predicted, ~truth
    overlap = np.sum(membrane_pred & membrane_true)
    union = np.sum(membrane_pred | membrane_true)
    total = membrane_pred.sum() + membrane_true.sum()
    return {"pixel_accuracy": float(np.mean(predicted == truth)),
            "dice": float(2 * overlap / total) if total else 1.0,
            "iou": float(overlap / union) if union else 1.0}


# ---- the experiment grid -------------------------------------------------------------------------

def grid(config: Config, data: Segmentation) -> list[Variant]:
    variants = [Variant("baseline", "all-cell-interior", {"model": "constant", "value": 1}),
                Variant("baseline", "all-membrane", {"model": "constant", "value": 0})]
    variants += [Variant("architecture", f"depth{d}-filters{f}", {"depth": d, "filters": f, "augment": True})
                 for d in config.depths for f in config.filters]
    variants.append(Variant(PEERS, "pixel-random-forest",
                            {"model": "peer", "estimator": "random-forest-classifier", "candidates": [config.forest],
                             "train_subset": config.forest_pixels, "sigmas": list(config.feature_sigmas)}))
    variants.append(Variant("augmentation", f"depth{max(config.depths)}-filters{max(config.filters)}-no-aug",
                            {"depth": max(config.depths), "filters": max(config.filters), "augment": False}))
    return variants


# ---- training ------------------------------------------------------------------------------------

def train(variant: Variant, data: Segmentation, config: Config, seed: int) -> Outcome:
    if variant.params.get("model") == "constant":
        constant = np.full_like(data.y_val, variant.params["value"])
        return Outcome({"val": segmentation_metrics(constant, data.y_val),
                        "train": segmentation_metrics(np.full_like(data.y_train, variant.params["value"]),
                                                      data.y_train)})
    if variant.params.get("model") == "peer":
        return pixel_forest_outcome(variant.params, data, seed)
    import keras

    from keras_models.unet import bce_dice_loss, build_unet, dice_coefficient

    p = variant.params
    model = build_unet(data.x_train.shape[1:], depth=p["depth"], base_filters=p["filters"])
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate), loss=bce_dice_loss,
                  metrics=["binary_accuracy", dice_coefficient])
    start = time.perf_counter()
    fitted = interruptible_fit(model, training_batches(data, config, seed, p["augment"]), epochs=config.epochs,
                               validation_data=(data.x_val, data.y_val), shuffle=False, verbose=0)
    seconds = time.perf_counter() - start
    predicted = {split: (model.predict(x, batch_size=config.batch_size, verbose=0) > 0.5)
                 for split, x in (("train", data.x_train), ("val", data.x_val))}
    metrics = {split: segmentation_metrics(predicted[split], getattr(data, f"y_{split}")) for split in predicted}
    shown = min(3, len(data.x_val))
    return Outcome(metrics, {k: [float(v) for v in values] for k, values in fitted.history.items()},
                   {"parameters": model.count_params(), "epochs_run": config.epochs,
                    "seconds_per_epoch": seconds / config.epochs},
                   {"panels": {"image": data.x_val[:shown, ..., 0].round(3).tolist(),
                               "truth": data.y_val[:shown, ..., 0].astype(int).tolist(),
                               "predicted": predicted["val"][:shown, ..., 0].astype(int).tolist()}})


def pixel_features(images: np.ndarray, sigmas: list[float]) -> np.ndarray:
    """(n, H, W, 1) images → (n·H·W, F) rows: per pixel, Gaussian-smoothed intensity, Sobel edge magnitude
    and Hessian eigenvalues at scales sigmas[0]..sigmas[1] (`skimage.feature.multiscale_basic_features`)."""
    from skimage.feature import multiscale_basic_features

    # workers=1: its thread pool took 3 s per 128x128 slice on 2 busy cores, one worker 0.01 s
    features = [multiscale_basic_features(image[..., 0], sigma_min=sigmas[0], sigma_max=sigmas[1], workers=1)
                for image in images]
    return np.concatenate([f.reshape(-1, f.shape[-1]) for f in features]).astype(np.float32)


def pixel_forest_outcome(params: dict, data: Segmentation, seed: int) -> Outcome:
    """The classical peer: a random forest classifying each pixel from its filter features, fitted on a
    seeded sample of the training pixels (`nnlab.recipes.peers`); scored like the networks, per image set."""
    x_train, x_val = pixel_features(data.x_train, params["sigmas"]), pixel_features(data.x_val, params["sigmas"])
    forest, info = fit_on_validation(params, x_train, data.y_train.reshape(-1).astype(int), x_val,
                                     data.y_val.reshape(-1).astype(int), lambda y, p: np.mean(y == p), seed)
    predicted = {"train": forest.predict(x_train).reshape(data.y_train.shape),
                 "val": forest.predict(x_val).reshape(data.y_val.shape)}
    metrics = {split: segmentation_metrics(predicted[split], getattr(data, f"y_{split}")) for split in predicted}
    shown = min(3, len(data.x_val))
    return Outcome(metrics, info=info | {"features": int(x_train.shape[1])},
                   artifacts={"panels": {"image": data.x_val[:shown, ..., 0].round(3).tolist(),
                                         "truth": data.y_val[:shown, ..., 0].astype(int).tolist(),
                                         "predicted": predicted["val"][:shown, ..., 0].astype(int).tolist()}})


# ---- report --------------------------------------------------------------------------------------

def _val(name: str, label: str, as_percent: bool):
    from reports.conclusions import Score

    return Score(label, lambda r: r.metric("val", name), as_percent=as_percent)


PIXEL_ACCURACY = _val("pixel_accuracy", "validation pixel accuracy", True)
DICE = _val("dice", "validation membrane Dice", False)


def results_table(records) -> str:
    from reports.tables import count, markdown_table, percent

    rows = [{"variant": f"*{'peer' if r.experiment == PEERS else 'baseline'}: {r.variant}*"
             if r.experiment in ("baseline", PEERS) else f"`{r.variant}`",
             "depth": r.params.get("depth", "–"), "base filters": r.params.get("filters", "–"),
             "augmentation": ("yes" if r.params["augment"] else "no") if "augment" in r.params else "–",
             "val pixel acc": r.metric("val", "pixel_accuracy"), "val Dice (membrane)": r.metric("val", "dice"),
             "val IoU (membrane)": r.metric("val", "iou"), "train pixel acc": r.metric("train", "pixel_accuracy"),
             "parameters": r.info.get("parameters"), "wall s": f"{r.wall_seconds:.1f}"} for r in records]
    fmt = {"val pixel acc": percent, "train pixel acc": percent, "parameters": count,
           "val Dice (membrane)": lambda v: f"{v:.3f}", "val IoU (membrane)": lambda v: f"{v:.3f}"}
    return markdown_table(rows, formats=fmt)


def networks(view):
    return view.experiment("architecture") + view.experiment("augmentation")


def best_variant(view):
    """The headline network: the best validation pixel accuracy (the only held-out images; no test set)."""
    return next(iter(PIXEL_ACCURACY.ranked(networks(view))), None)


def showdown(view):
    """The headline network against the pixel forest on validation pixel accuracy. One seed and six images:
    no tie band is computed (pixels of one slice are not independent samples)."""
    from reports.peers import Showdown

    best, peer = best_variant(view), next(iter(view.experiment(PEERS)), None)
    if best is None or peer is None:
        return None
    return Showdown(best, peer, PIXEL_ACCURACY, rule="the network chosen on the validation images, the forest "
                    "configured before the run", peer_role="the peer")


def report_sections(view) -> list[str]:
    from reports import plots

    sections = ["## Every variant against the trivial predictors\n\n"
                f"Validation: slices {view.data_info.get('val_ids')} (whole images, never seen in training). "
                "Dice and IoU are of the membrane class (mask 0), the thin structure that matters; the "
                "all-cell-interior row is the pixel accuracy a network must beat to have learned anything.\n\n"
                + results_table(view.experiment("baseline") + view.experiment(PEERS) + networks(view))]
    best = best_variant(view)
    if best is not None:
        panels = view.artifact(best, "panels")
        path = plots.segmentation_panels(panels["image"], panels["truth"], panels["predicted"],
                                         view.figure("panels.png"),
                                         title=f"{best.variant}: validation slices, truth and prediction")
        sections.append(f"## Predictions of `{best.variant}`\n\n" + view.image(path, "input, truth, prediction"))
        curves = {r.variant: {"val_dice": r.history.get("val_dice_coefficient", []),
                              "dice": r.history.get("dice_coefficient", [])}
                  for r in view.records if r.history}
        path = plots.learning_curves(curves, view.figure("curves_dice.png"), metric="dice",
                                     title="Soft Dice (cell interior) per epoch", ylabel="soft Dice")
        sections.append("## Learning curves\n\n" + view.image(path, "Dice per epoch"))
    return sections


def conclusions(view) -> list[str]:
    from reports.conclusions import experiment_findings

    baselines = {r.variant: r for r in view.experiment("baseline")}
    majority = baselines.get("all-cell-interior")
    lines = experiment_findings("(a) depth and filters", view.experiment("architecture"), PIXEL_ACCURACY,
                                baseline=majority)
    lines += experiment_findings("(a) depth and filters", view.experiment("architecture"), DICE)
    for without in view.experiment("augmentation"):
        with_aug = next((r for r in view.experiment("architecture") if r.params["depth"] == without.params["depth"]
                         and r.params["filters"] == without.params["filters"]), None)
        if with_aug is not None:
            gap = with_aug.metric("val", "dice") - without.metric("val", "dice")
            lines.append(f"(b) Augmentation: `{with_aug.variant}` reached membrane Dice "
                         f"{with_aug.metric('val', 'dice'):.3f} with it and {without.metric('val', 'dice'):.3f} "
                         f"without ({'it helped' if gap > 0 else 'it did not help'} by {abs(gap):.3f}); pixel "
                         f"accuracy {100 * with_aug.metric('val', 'pixel_accuracy'):.2f}% vs "
                         f"{100 * without.metric('val', 'pixel_accuracy'):.2f}%.")
            gaps = {r.variant: r.metric("train", "pixel_accuracy") - r.metric("val", "pixel_accuracy")
                    for r in (with_aug, without)}
            lines.append(f"Train minus validation pixel accuracy: {100 * gaps[without.variant]:.2f} points without "
                         f"augmentation, {100 * gaps[with_aug.variant]:.2f} with it"
                         + (f": without it the net memorises its {view.data_info['sizes']['train']} training images." if
                            gaps[without.variant] > gaps[with_aug.variant] + 0.02 else "."))
    best = best_variant(view)
    if best is not None:
        value = best.metric("val", "pixel_accuracy")
        lines.append(f"Best: `{best.variant}`, {100 * value:.2f}% validation pixel accuracy, membrane Dice "
                     f"{best.metric('val', 'dice'):.3f}, IoU {best.metric('val', 'iou'):.3f}"
                     + (f"; the trivial all-cell-interior predictor scores "
                        f"{100 * majority.metric('val', 'pixel_accuracy'):.2f}% with Dice "
                        f"{majority.metric('val', 'dice'):.3f}." if majority else "."))
        duel = showdown(view)
        if duel is not None:
            lines.append(duel.sentence() + f" Membrane Dice: network {best.metric('val', 'dice'):.3f}, forest "
                         f"{duel.peer.metric('val', 'dice'):.3f}.")
    lines += [verdict.sentence() for verdict in verdicts(view)]
    return lines


def verdicts(view) -> list:
    """The target (COURSE.md): pixel accuracy ≥ 90% with Dice reported, judged on the network chosen on the
    validation slices (the only held-out images). `value`: its validation pixel accuracy."""
    from reports.conclusions import target_verdict

    best = best_variant(view)
    if best is None:
        return []
    dice = best.metric("val", "dice")
    return [target_verdict(best.metric("val", "pixel_accuracy"), TARGET_PIXEL_ACCURACY, PIXEL_ACCURACY,
                           full_run=not view.quick,
                           detail=f"`{best.variant}`, chosen on validation, membrane Dice {dice:.3f}")]
