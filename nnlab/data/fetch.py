"""Fetching and verifying one file: where it is looked for, its pinned sha256, and whether to download.

A file is a `RemoteFile`: a public origin, a pinned sha256 and a place in the Keras cache layout. Where
`fetch` looks for it, in order:

1. `$NNLAB_DATA_DIR/<cache_subdir>/<fname>`: a read-only folder in Keras-cache layout, such as an
   offline copy on a machine without internet. It is read, never written.
2. the Keras cache: `$KERAS_HOME/<cache_subdir>/<fname>` (default ~/.keras).
3. the origin URL, downloaded by Keras's own `keras.utils.get_file` into the Keras cache; skipped when
   `offline()`.

Every file is checked against its sha256 before it is returned: a mismatch is refused with an error,
never used. When nothing works the error is one line naming the dataset, where it looked and the fix.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from nnlab.errors import DataError, UserError

DATA_DIR_ENV = "NNLAB_DATA_DIR"
OFFLINE_ENV = "NNLAB_OFFLINE"
KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"  # where keras.datasets fetch from
_OFFLINE_WORDS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False, "": False}


def offline() -> bool:
    """Whether $NNLAB_OFFLINE forbids every download (datasets, detector models): 1/true/yes, any case.

    0/false/no, empty or unset allow them; anything else is refused rather than guessed, since one
    reading of "0" as "offline" and another as "online" is how two parts of a program disagree.
    """
    value = os.environ.get(OFFLINE_ENV, "").strip().lower()
    if value not in _OFFLINE_WORDS:
        raise UserError(f"{OFFLINE_ENV}={os.environ[OFFLINE_ENV]!r} is not understood. Fix: set it to 1 "
                        f"(never download) or 0 (download what is missing), or unset it")
    return _OFFLINE_WORDS[value]


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset: where it comes from, where the Keras cache keeps it, its sha256."""

    fname: str
    origin: str
    sha256: str
    cache_subdir: str = "datasets"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def keras_cache_dir() -> Path:
    return Path(os.path.expanduser(os.environ.get("KERAS_HOME", "~/.keras")))


def _checked(path: Path, remote: RemoteFile, dataset: str) -> Path:
    actual = sha256_of(path)
    if actual != remote.sha256:
        raise DataError(
            f"dataset '{dataset}': {path} is corrupt or not the expected file (sha256 {actual[:12]}..., "
            f"expected {remote.sha256[:12]}...); it was not used. Fix: delete or replace it with the "
            f"original from {remote.origin}")
    return path


def fetch(remote: RemoteFile, dataset: str) -> Path:
    """Return a local path to `remote` whose sha256 has been checked (see the module docstring)."""
    looked: list[str] = []
    data_dir = os.environ.get(DATA_DIR_ENV)
    if data_dir:
        candidate = Path(data_dir) / remote.cache_subdir / remote.fname
        if candidate.is_file():
            return _checked(candidate, remote, dataset)
        looked.append(f"{DATA_DIR_ENV}={data_dir}")
    cache = keras_cache_dir()
    cached = cache / remote.cache_subdir / remote.fname
    if cached.is_file():
        return _checked(cached, remote, dataset)
    looked.append(f"the Keras cache {cache}")
    fix = (f"connect to the internet once (it is cached in {cache}), or set {DATA_DIR_ENV} to a folder "
           f"in Keras-cache layout that holds {remote.cache_subdir}/{remote.fname}")
    if offline():
        raise DataError(f"dataset '{dataset}': {remote.fname} not found in {' or '.join(looked)} and "
                        f"{OFFLINE_ENV} forbids downloading. Fix: {fix}")
    import keras  # imported here: parsing a file the user already has should not need Keras

    try:
        path = keras.utils.get_file(remote.fname, origin=remote.origin, file_hash=remote.sha256,
                                    hash_algorithm="sha256", cache_subdir=remote.cache_subdir,
                                    cache_dir=str(cache))
    except KeyboardInterrupt:
        raise
    except Exception as error:  # urllib raises many kinds; all mean "could not download"
        reason = " ".join(str(error).split())[:160]
        raise DataError(f"dataset '{dataset}': {remote.fname} not found in {' or '.join(looked)} and the "
                        f"download from {remote.origin} failed ({reason}). Fix: {fix}") from None
    return _checked(Path(path), remote, dataset)
