"""Multi30K task 1 (Elliott et al. 2016): English captions of Flickr30K photos and their German
translations, one sentence per gzipped line, line k of X.en translating line k of X.de."""
from __future__ import annotations

import gzip
from pathlib import Path
from typing import Mapping

import numpy as np

from nnlab.data.fetch import RemoteFile
from nnlab.data.spec import DatasetSpec
from nnlab.errors import DataError

ORIGIN = "https://raw.githubusercontent.com/multi30k/dataset/master/data/task1/raw/"
SHA256 = {
    "train.en": "d79cfa999dd4c51d2cb42499b6796d5a882c3a8a961923c25a898c90f8bbd56f",
    "train.de": "726e39b2fa9eb9ffb6dc763fb35a179f80fae06ffc5d28b6ace5faa883de28a6",
    "val.en": "14f7d25ddd868909a9213e361768460edcacdd6ab9d1e77b92560dc10c10dc28",
    "val.de": "f0cba2f995189cf5770f29a8a9a537a3ad3f51657ad873405082ff6863a5e75a",
    "test_2016_flickr.en": "611d361c6334bc7246101d48097c13cf5c4413c5befc793cc629934359d532d9",
    "test_2016_flickr.de": "9204244e408ccb38d2a55cfcd344df15005fc42a07a6e55ca6c52b6ababb8cc8",
}


def parse(paths: Mapping[str, Path]) -> dict[str, np.ndarray]:
    """Gzipped line-aligned text files → {"<split>.<lang>": object array of sentences}; the two sides
    of a split must have the same number of lines."""
    arrays = {}
    for role, path in paths.items():
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            arrays[role] = np.array([line.strip() for line in handle], dtype=object)
    for role in arrays:
        split, _ = role.rsplit(".", 1)
        sizes = {r: len(a) for r, a in arrays.items() if r.startswith(split + ".")}
        if len(set(sizes.values())) != 1:
            raise DataError(f"sentence pairs of '{split}' are not line-aligned: {sizes}. Fix: replace the "
                            f"files with the originals")
    return arrays


SPEC = DatasetSpec(
    name="multi30k",
    title="Multi30K task 1 English-German: 29,000 training, 1,014 validation and 1,000 test (2016) pairs",
    files={role: RemoteFile(f"{role}.gz", f"{ORIGIN}{role}.gz", sha256, "datasets/multi30k")
           for role, sha256 in SHA256.items()},
    parse=parse,
    licence="Multi30K (Elliott et al. 2016) on Flickr30K (Young et al. 2014): non-commercial research and education",
)
