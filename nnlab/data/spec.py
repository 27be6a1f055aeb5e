"""A dataset as files plus a parser: `DatasetSpec`, what loading it gives (`Loaded`), and `folder`.

A spec names each of its files by a role ("x_train", "image/3.png", "train.en") and holds one pinned
`RemoteFile` per role, however many: four IDX files, sixty PNG slices, a folder of WAV clips or MIDI
files with a sha256 each. Loading fetches and verifies every file the same way (`fetch.fetch`), then
hands the {role: local path} mapping to the spec's parser, which returns named arrays.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from nnlab.data.fetch import RemoteFile, fetch


@dataclass
class Loaded:
    """Arrays of a dataset plus what identifies them: name and a sha256 over its files."""

    name: str
    arrays: dict[str, np.ndarray]
    sha256: str
    class_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class DatasetSpec:
    """A named dataset: its files (by role) and the function that parses them into arrays."""

    name: str
    title: str
    files: Mapping[str, RemoteFile]
    parse: Callable[[Mapping[str, Path]], dict[str, np.ndarray]]
    class_names: tuple[str, ...] = ()
    licence: str = ""

    @property
    def sha256(self) -> str:
        """sha256 of the files' pinned hashes joined in role order: it changes when any file does, and is
        what a run records as the dataset's identity (part of every variant's key)."""
        return hashlib.sha256("".join(r.sha256 for _, r in sorted(self.files.items())).encode()).hexdigest()

    def load(self) -> Loaded:
        """Fetch and verify every file, then parse them."""
        paths = {role: fetch(remote, self.name) for role, remote in self.files.items()}
        return Loaded(self.name, self.parse(paths), self.sha256, self.class_names)

    def with_files(self, **files: RemoteFile) -> DatasetSpec:
        """A copy with some files replaced (tests use it for tiny local files)."""
        return replace(self, files={**self.files, **files})


def folder(origin: str, cache_subdir: str, hashes: Mapping[str, str]) -> dict[str, RemoteFile]:
    """The files of a served folder, each pinned: {relative path: RemoteFile}, for a manifest of
    {"sub/dir/name.ext": sha256} whose paths are relative both to `origin` (a URL ending in "/") and to
    `cache_subdir`, so the cache mirrors the folder and a role is the file's relative path."""
    files = {}
    for path, sha256 in hashes.items():
        subdir, _, fname = path.rpartition("/")
        files[path] = RemoteFile(fname, origin + path, sha256, f"{cache_subdir}/{subdir}".rstrip("/"))
    return files
