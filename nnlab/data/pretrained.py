"""Pretrained weights `keras.applications` downloads: where they are looked for, and whether they can be had.

A weights file is looked for like a dataset file (nnlab/data/fetch.py): in `$NNLAB_DATA_DIR/models/`, then
in the Keras cache (`$KERAS_HOME/models/`, where `keras.applications` keeps what it downloads), then
downloaded from the origin by `keras.utils.get_file` unless NNLAB_OFFLINE forbids it. The pin is the
md5 Keras itself checks these files against (keras/src/applications/vgg16.py); Keras publishes no
sha256 for them.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from nnlab.data.fetch import DATA_DIR_ENV, OFFLINE_ENV, keras_cache_dir, offline
from nnlab.errors import DataError


@dataclass(frozen=True)
class PretrainedWeights:
    name: str           # what messages call it
    fname: str
    origin: str
    md5: str            # Keras's own pin of the file
    cache_subdir: str = "models"


VGG16_NOTOP = PretrainedWeights(
    "VGG16 ImageNet weights (convolutional base)", "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
    "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "6d6bbae143d832006294945121d1f1fc")


def md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def how_to_get(weights: PretrainedWeights) -> str:
    return (f"connect to the internet once (Keras caches the file in {keras_cache_dir() / weights.cache_subdir}), "
            f"or put {weights.fname} from {weights.origin} into $KERAS_HOME/{weights.cache_subdir}/ or "
            f"${DATA_DIR_ENV}/{weights.cache_subdir}/")


def local_weights(weights: PretrainedWeights) -> Path | None:
    """The verified local copy of `weights`, or None when there is none. A copy whose md5 differs is an
    error, never used."""
    folders = [Path(os.environ[DATA_DIR_ENV])] if os.environ.get(DATA_DIR_ENV) else []
    for folder in folders + [keras_cache_dir()]:
        path = folder / weights.cache_subdir / weights.fname
        if path.is_file():
            if md5_of(path) != weights.md5:
                raise DataError(f"{weights.name}: {path} is corrupt or not the expected file (md5 differs from "
                                f"Keras's pin {weights.md5}). Fix: delete it or replace it with {weights.origin}")
            return path
    return None


def fetch_weights(weights: PretrainedWeights) -> Path:
    """A local, verified path to `weights`, downloading it when allowed; a one-line DataError otherwise."""
    found = local_weights(weights)
    if found is not None:
        return found
    if offline():
        raise DataError(f"{weights.name} are not on this machine and {OFFLINE_ENV} forbids downloading. "
                        f"Fix: {how_to_get(weights)}")
    import keras

    try:
        path = keras.utils.get_file(weights.fname, origin=weights.origin, file_hash=weights.md5,
                                    cache_subdir=weights.cache_subdir, cache_dir=str(keras_cache_dir()))
    except KeyboardInterrupt:
        raise
    except Exception as error:  # urllib raises many kinds; all mean "could not download"
        reason = " ".join(str(error).split())[:160]
        raise DataError(f"{weights.name} are not on this machine and the download failed ({reason}). "
                        f"Fix: {how_to_get(weights)}") from None
    return Path(path)
