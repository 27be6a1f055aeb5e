"""The Free Spoken Digit Dataset (Jakobovski/free-spoken-digit-dataset, pinned commit): 3,000 real
recordings of the spoken digits 0-9, mono 8 kHz 16-bit WAV, 6 speakers × 10 digits × 50 takes, trimmed to
near-minimal silence (0.14-2.28 s, mean 0.44 s).

A file is `recordings/{digit}_{speaker}_{take}.wav`, byte-identical to its git blob at the pinned commit,
so each has a stable public origin. Their sha256 list ships with the package (`fsdd_sha256.txt`, in
`sha256sum` format) and every file read is checked against it. The dataset's README suggests takes 0-4 as
the test set (`TEST_TAKES`); leaving one speaker out tests a new voice instead.
Licence: CC BY-SA 4.0 (Zohar Jackson et al., Free Spoken Digit Dataset, DOI 10.5281/zenodo.1342401).
"""
from __future__ import annotations

from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

from nnlab.data.audio import read_wav
from nnlab.data.spec import DatasetSpec, folder
from nnlab.errors import UserError

COMMIT = "26eb9aaf76e81b692f806f9140c2d2777410d7a1"
ORIGIN = f"https://raw.githubusercontent.com/Jakobovski/free-spoken-digit-dataset/{COMMIT}/recordings/"
HASHES_FILE = "fsdd_sha256.txt"
SAMPLE_RATE = 8000
SPEAKERS = ("george", "jackson", "lucas", "nicolas", "theo", "yweweler")
DIGITS = tuple(str(d) for d in range(10))
TAKES = 50
TEST_TAKES = range(5)  # the dataset README's split: takes 0-4 test, 5-49 train


def recording_hashes() -> dict[str, str]:
    """{"<digit>_<speaker>_<take>.wav": sha256} for the 3,000 recordings, from the list shipped with the package."""
    text = resources.files("nnlab.data.datasets").joinpath(HASHES_FILE).read_text(encoding="utf-8")
    return {path: sha256 for sha256, path in (line.split() for line in text.splitlines() if line.strip())}


def file_name(digit: int, speaker: str, take: int) -> str:
    """(7, "theo", 12) → "7_theo_12.wav"."""
    return f"{digit}_{speaker}_{take}.wav"


def name_parts(name: str) -> tuple[int, str, int]:
    """"7_theo_12.wav" → (digit 7, speaker "theo", take 12)."""
    digit, speaker, take = Path(name).stem.split("_")
    return int(digit), speaker, int(take)


def parse(paths: Mapping[str, Path]) -> dict[str, np.ndarray]:
    """Recordings → {"waves": (N,) object of float32 (samples,) in [-1, 1], "digits": (N,) int64,
    "speakers": (N,) int64 index into SPEAKERS, "takes": (N,) int64, "names": (N,) str}, sorted by
    (speaker, digit, take) so any subset comes out in one order."""
    roles = sorted(paths, key=lambda r: (SPEAKERS.index(name_parts(r)[1]), name_parts(r)[0], name_parts(r)[2]))
    waves = np.empty(len(roles), dtype=object)
    for i, role in enumerate(roles):
        rate, waves[i] = read_wav(paths[role])
        if rate != SAMPLE_RATE:  # the pinned hash already rules this out; a guard for a hand-built spec
            raise UserError(f"{paths[role]}: sample rate {rate} Hz. Expected {SAMPLE_RATE} Hz (FSDD)")
    parts = [name_parts(r) for r in roles]
    return {"waves": waves, "digits": np.array([p[0] for p in parts], dtype=np.int64),
            "speakers": np.array([SPEAKERS.index(p[1]) for p in parts], dtype=np.int64),
            "takes": np.array([p[2] for p in parts], dtype=np.int64), "names": np.array(roles)}


SPEC = DatasetSpec(
    name="fsdd",
    title="Free Spoken Digit Dataset (Jakobovski/free-spoken-digit-dataset): 3,000 recordings, 8 kHz",
    files=folder(ORIGIN, "datasets/fsdd/recordings", recording_hashes()),
    parse=parse,
    class_names=DIGITS,
    licence="CC BY-SA 4.0 (Jakobovski/free-spoken-digit-dataset)",
)


def subset(*, speakers: Iterable[str] = SPEAKERS, takes: Iterable[int] = range(TAKES),
           digits: Iterable[int] = range(10)) -> DatasetSpec:
    """The spec restricted to some speakers, takes and digits (a quick run reads a few hundred files);
    its sha256 is over those files only. An unknown speaker is refused with the names that exist."""
    speakers, takes, digits = list(speakers), list(takes), list(digits)
    unknown = [s for s in speakers if s not in SPEAKERS]
    if unknown:
        raise UserError(f"no FSDD speaker named {', '.join(unknown)}. Expected one of {', '.join(SPEAKERS)}")
    wanted = {file_name(d, s, t) for s in speakers for t in takes for d in digits}
    return replace(SPEC, files={p: r for p, r in SPEC.files.items() if p in wanted})
