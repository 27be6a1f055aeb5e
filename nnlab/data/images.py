"""Image-classification bundles: `ImageClasses`, the quick-mode subset, the validation split, a census.

`--quick` runs take a stratified subset. Only in quick mode, when the dataset cannot be had at all,
`image_classes` falls back to scikit-learn's bundled 8x8 digits and says so loudly.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnlab.data.bundles import Splits, load_or_fallback
from nnlab.data.datasets import sklearn_digits
from nnlab.data.spec import DatasetSpec


@dataclass
class ImageClasses(Splits):
    """Train/validation/test arrays for an image classifier, pixels scaled to [0, 1].

    x_*: float32 (N, H, W); y_*: int64 (N,). `dataset` says what was really loaded.
    """

    class_names: tuple[str, ...]

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def details(self) -> dict:
        return {"class_names": list(self.class_names), "input_shape": list(self.input_shape), "sizes": self.sizes()}


def image_census(data: ImageClasses) -> list[str]:
    """What is odd about a set of images: blank ones (every pixel equal) by class, exact duplicates,
    and held-out images identical to a training image (they make held-out accuracy look better)."""
    splits = {"train": (data.x_train, data.y_train), "val": (data.x_val, data.y_val),
              "test": (data.x_test, data.y_test)}
    notes = []
    for split, (x, y) in splits.items():
        flat = x.reshape(len(x), -1)
        blank = flat.max(axis=1) == flat.min(axis=1)
        if blank.any():
            by_class = np.bincount(y[blank], minlength=data.n_classes)
            notes.append(f"{split}: {int(blank.sum())} blank images (every pixel equal), labelled "
                         + ", ".join(f"{data.class_names[c]} {n}" for c, n in enumerate(by_class) if n))
    seen: dict[bytes, str] = {}
    repeats = {split: 0 for split in splits}
    leaked = 0
    for split, (x, _) in splits.items():
        for image in x:
            key = image.tobytes()
            if key in seen:
                repeats[split] += 1
                leaked += split != "train" and seen[key] == "train"
            else:
                seen[key] = split
    total = sum(repeats.values())
    notes.append(f"{total} images are exact duplicates of an earlier one ({len(seen):,} unique; "
                 + ", ".join(f"{split} {n}" for split, n in repeats.items())
                 + f"); {leaked} held-out (val/test) images are identical to a training image")
    return notes


def stratified_subset(y: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Indices of `n` samples of `y` keeping the class proportions (sorted, so order is stable)."""
    if n >= len(y):
        return np.arange(len(y))
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(np.arange(len(y)), train_size=n, stratify=y, random_state=seed)
    return np.sort(keep)


def split_validation(x: np.ndarray, y: np.ndarray, fraction: float, seed: int):
    """Stratified train/validation split: (x_train, y_train, x_val, y_val)."""
    from sklearn.model_selection import train_test_split

    x_tr, x_val, y_tr, y_val = train_test_split(x, y, test_size=fraction, stratify=y, random_state=seed)
    return x_tr, y_tr, x_val, y_val


def image_classes(dataset: DatasetSpec | str, *, quick: bool, seed: int, quick_train: int = 2000,
                  quick_test: int | None = 500, val_fraction: float = 0.1) -> ImageClasses:
    """Load an image-classification dataset, with the quick-mode subset and fallback rules.

    In quick mode the training set is cut to a stratified `quick_train` images and the test set to
    `quick_test` (None keeps every test image, e.g. for a competition submission).
    """
    loaded, notes, fallback = load_or_fallback(dataset, quick=quick, fallback=lambda: sklearn_digits.load(seed),
                                               fallback_title="scikit-learn's bundled 8x8 digits")
    a = loaded.arrays
    x_train, y_train, x_test, y_test = a["x_train"], a["y_train"], a["x_test"], a["y_test"]
    if quick:
        keep = stratified_subset(y_train, quick_train, seed)
        x_train, y_train = x_train[keep], y_train[keep]
        if quick_test is not None:
            keep = stratified_subset(y_test, quick_test, seed)
            x_test, y_test = x_test[keep], y_test[keep]
        notes.append(f"quick run: stratified subset of {len(y_train)} training and {len(y_test)} test images")
    scale = 255.0 if x_train.dtype == np.uint8 else float(max(x_train.max(), 1.0))
    x_tr, y_tr, x_val, y_val = split_validation(x_train, y_train, val_fraction, seed)

    def prep(x: np.ndarray) -> np.ndarray:
        return (x.astype(np.float32) / np.float32(scale))

    return ImageClasses(prep(x_tr), y_tr.astype(np.int64), prep(x_val), y_val.astype(np.int64),
                        prep(x_test), y_test.astype(np.int64), loaded.class_names, dataset=loaded.name,
                        sha256=loaded.sha256, fallback=fallback, notes=notes)


def bundled_digits(seed: int, val_fraction: float = 0.1) -> ImageClasses:
    """scikit-learn's bundled 8x8 digits as a lesson's own dataset (not a fallback), pixels scaled to [0, 1].

    The 75/25 train/test split of `sklearn_digits.load`, then a stratified validation share of the training part.
    """
    loaded = sklearn_digits.load(seed)
    a = loaded.arrays
    x_tr, y_tr, x_val, y_val = split_validation(a["x_train"], a["y_train"], val_fraction, seed)
    scale = np.float32(sklearn_digits.PIXEL_MAX)
    return ImageClasses(x_tr / scale, y_tr.astype(np.int64), x_val / scale, y_val.astype(np.int64),
                        a["x_test"] / scale, a["y_test"].astype(np.int64), loaded.class_names,
                        dataset=loaded.name, sha256=loaded.sha256)
