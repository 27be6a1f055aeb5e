"""The Nottingham Music Database as MIDI (jukedeck/nottingham-dataset, pinned commit): 1,034 British and
American folk tunes converted from ABC, each in `MIDI/melody/<tune>.mid` as its melody alone (one track,
1,024 ticks per quarter note, 120 bpm). The melody files are the ones read here; their sha256 list ships
with the package (`nottingham_sha256.txt`, in `sha256sum` format) and every file is checked against it.

Tune families come from the file names: ashover, hpps (hornpipes), jigs, morris, playford, reels (six
files by title letter, reelsa-c ... reelsu-z), slip (slip jigs), waltzes, xmas. Licence: GNU GPL v3.
"""
from __future__ import annotations

import re
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

from nnlab.data.midi import read_melody
from nnlab.data.spec import DatasetSpec, folder
from nnlab.errors import UserError

COMMIT = "0992bb6cd864f6d4b90d6663e08c0ef53ffaa08f"
ORIGIN = f"https://raw.githubusercontent.com/jukedeck/nottingham-dataset/{COMMIT}/MIDI/"
HASHES_FILE = "nottingham_sha256.txt"


def melody_hashes() -> dict[str, str]:
    """{"melody/<tune>.mid": sha256} from the list shipped with the package."""
    text = resources.files("nnlab.data.datasets").joinpath(HASHES_FILE).read_text(encoding="utf-8")
    return {path: sha256 for sha256, path in (line.split() for line in text.splitlines() if line.strip())}


def tune_name(path: str) -> str:
    """"melody/jigs12.mid" → "jigs12"."""
    return Path(path).stem


def family(name: str) -> str:
    """"jigs12" → "jigs", "reelsh-l7" → "reels" (the reels are filed by title letter, one family)."""
    letters = re.match(r"[a-z]+", name).group(0)
    return "reels" if letters.startswith("reels") else letters


def parse(paths: Mapping[str, Path]) -> dict[str, np.ndarray]:
    """Melody files → {"names": (T,) str, "families": (T,) str, "notes": (T,) object of (n, 3) int64
    (pitch, start tick, end tick), "resolution": (T,) ticks per quarter, "keys": (T,) pretty_midi key
    number or -1, "time_signatures": (T,) str}, tunes in name order."""
    roles = sorted(paths, key=tune_name)
    melodies = [read_melody(paths[role]) for role in roles]
    notes = np.empty(len(melodies), dtype=object)
    notes[:] = [m.notes for m in melodies]
    return {"names": np.array([tune_name(r) for r in roles]), "families": np.array([family(tune_name(r)) for r in roles]),
            "notes": notes, "resolution": np.array([m.resolution for m in melodies]),
            "keys": np.array([-1 if m.key is None else m.key for m in melodies]),
            "time_signatures": np.array([m.time_signature for m in melodies])}


SPEC = DatasetSpec(
    name="nottingham",
    title="Nottingham folk tunes, melody MIDI files (jukedeck/nottingham-dataset): 1,034 tunes",
    files=folder(ORIGIN, "datasets/nottingham/MIDI", melody_hashes()),
    parse=parse,
    licence="GNU GPL v3 (jukedeck/nottingham-dataset)",
)


def tunes(names: Iterable[str]) -> DatasetSpec:
    """The spec restricted to some tunes by name (a quick run, one seed tune); unknown names are refused."""
    wanted = {f"melody/{name}.mid" for name in names}
    unknown = sorted(tune_name(p) for p in wanted - set(SPEC.files))
    if unknown:
        close = sorted(tune_name(p) for p in SPEC.files if tune_name(p).startswith(unknown[0].rstrip("0123456789")))
        raise UserError(f"no Nottingham tune named {', '.join(unknown)}. Expected a file name without .mid, e.g. "
                        f"{', '.join(close[:3]) or 'jigs1, reelsa-c1, waltzes10'}")
    return replace(SPEC, files={p: r for p, r in SPEC.files.items() if p in wanted})
