"""File formats more than one dataset is stored in, read into NumPy arrays."""
from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from nnlab.errors import DataError

_IDX_TYPES = {0x08: np.uint8}


def read_idx(path: Path) -> np.ndarray:
    """Parse a (gzipped) IDX file, the MNIST format: magic 0x0000TTNN (type, ndim), dims, payload."""
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError) as error:
        raise DataError(f"{path} is not a readable IDX file ({error}). Fix: delete it and fetch it again")
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise DataError(f"{path} is not an IDX file (bad magic {raw[:4].hex()}). Fix: replace the file")
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    payload = np.frombuffer(raw, dtype=_IDX_TYPES[raw[2]], offset=4 + 4 * ndim)
    if payload.size != int(np.prod(dims)):
        raise DataError(f"{path}: header says {dims} but holds {payload.size} values. Fix: replace the file")
    return payload.reshape(dims)
