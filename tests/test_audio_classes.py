"""Lesson 20 `audio-classes`: reading WAV files, the FSDD data module, clip folders, the lesson's run."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

from nnlab.data.audio import fit_length, group_split, read_clip_folder, read_wav, resample, windows
from nnlab.data.datasets import fsdd
from nnlab.data.fetch import sha256_of
from nnlab.data.spec import folder
from nnlab.errors import DataError, UserError


def tone(seconds: float, rate: int, hz: float, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def write_pcm16(path: Path, wave: np.ndarray, rate: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    wavfile.write(path, rate, np.round(wave * 32767).astype(np.int16))
    return path


# --- reading sound -------------------------------------------------------------------------------------

def test_wav_files_of_every_sample_type_read_as_mono_floats(tmp_path):
    wave = tone(0.1, 8000, 440.0)
    rate, back = read_wav(write_pcm16(tmp_path / "a.wav", wave, 8000))
    assert rate == 8000 and back.dtype == np.float32 and np.abs(back - wave).max() < 1e-4
    wavfile.write(tmp_path / "u8.wav", 8000, np.round(wave * 127 + 128).astype(np.uint8))
    assert np.abs(read_wav(tmp_path / "u8.wav")[1] - wave).max() < 1e-2
    wavfile.write(tmp_path / "stereo.wav", 16000, np.stack([wave, -wave / 2], axis=1))  # float32, 2 channels
    rate, mono = read_wav(tmp_path / "stereo.wav")
    assert rate == 16000 and mono.shape == wave.shape and np.abs(mono - wave / 4).max() < 1e-6
    (tmp_path / "bad.wav").write_bytes(b"not a wav at all")
    with pytest.raises(DataError, match=r"bad.wav is not a readable WAV file .* Fix: convert it"):
        read_wav(tmp_path / "bad.wav")


def test_fit_length_centres_pads_crops_and_shifts():
    np.testing.assert_array_equal(fit_length(np.array([1, 2], np.float32), 6), [0, 0, 1, 2, 0, 0])
    np.testing.assert_array_equal(fit_length(np.arange(1, 7, dtype=np.float32), 2), [3, 4])
    np.testing.assert_array_equal(fit_length(np.array([1, 2], np.float32), 6, offset=3), [0, 0, 0, 0, 0, 1])
    np.testing.assert_array_equal(fit_length(np.array([1, 2], np.float32), 4, offset=-9), [0, 0, 0, 0])


def test_windows_resample_and_group_split():
    cut = windows(np.arange(10, dtype=np.float32), 4, 3)
    np.testing.assert_array_equal(cut, [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]])
    assert windows(np.ones(2, np.float32), 4, 3).shape == (1, 4)
    slow = resample(tone(1.0, 16000, 300.0), 16000, 8000)
    assert len(slow) == 8000 and np.abs(np.fft.rfft(slow)).argmax() == 300  # 1 Hz bins over 1 s
    labels = np.repeat([0, 1], 12)
    groups = np.repeat(np.arange(8), 3)  # 8 recordings of 3 windows each
    rest, held = group_split(labels, groups, 4, 0, seed=0)
    assert set(groups[rest]).isdisjoint(groups[held]) and len(rest) + len(held) == 24
    assert set(labels[held]) == {0, 1}


# --- the FSDD data module ------------------------------------------------------------------------------

def test_shipped_hash_list_covers_every_recording():
    hashes = fsdd.recording_hashes()
    assert len(hashes) == 3000 and all(len(h) == 64 for h in hashes.values())
    parts = [fsdd.name_parts(name) for name in hashes]
    assert {p[1] for p in parts} == set(fsdd.SPEAKERS) and {p[0] for p in parts} == set(range(10))
    assert {p[2] for p in parts} == set(range(fsdd.TAKES))
    assert fsdd.SPEC.files["7_theo_12.wav"].origin == fsdd.ORIGIN + "7_theo_12.wav"
    assert fsdd.COMMIT in fsdd.ORIGIN and fsdd.SPEC.files["7_theo_12.wav"].cache_subdir == "datasets/fsdd/recordings"
    small = fsdd.subset(speakers=["theo", "george"], takes=range(3), digits=[1, 2])
    assert len(small.files) == 12 and small.sha256 != fsdd.SPEC.sha256
    with pytest.raises(UserError, match="no FSDD speaker named bob. Expected one of george"):
        fsdd.subset(speakers=["bob"])


def test_the_loader_verifies_and_parses_recordings(tmp_path, monkeypatch):
    root = tmp_path / "data"
    names = ["3_theo_0.wav", "1_george_7.wav"]
    for i, name in enumerate(names):
        write_pcm16(root / "datasets/fsdd/recordings" / name, tone(0.2 + 0.1 * i, 8000, 300.0 + 100 * i), 8000)
    monkeypatch.setenv("NNLAB_DATA_DIR", str(root))
    monkeypatch.setenv("NNLAB_OFFLINE", "1")
    hashes = {name: sha256_of(root / "datasets/fsdd/recordings" / name) for name in names}
    spec = replace(fsdd.SPEC, files=folder(fsdd.ORIGIN, "datasets/fsdd/recordings", hashes))
    arrays = spec.load().arrays
    assert list(arrays["names"]) == ["1_george_7.wav", "3_theo_0.wav"]  # speaker order, then digit, take
    assert list(arrays["digits"]) == [1, 3] and list(arrays["takes"]) == [7, 0]
    assert [fsdd.SPEAKERS[s] for s in arrays["speakers"]] == ["george", "theo"]
    assert [len(w) for w in arrays["waves"]] == [2400, 1600]
    with open(root / "datasets/fsdd/recordings/3_theo_0.wav", "ab") as handle:
        handle.write(b"\x00\x00")  # one more sample: another file
    with pytest.raises(DataError, match="3_theo_0.wav is corrupt"):
        spec.load()
    with pytest.raises(DataError, match="9_lucas_3.wav not found .* NNLAB_OFFLINE forbids downloading"):
        fsdd.subset(speakers=["lucas"], takes=[3], digits=[9]).load() if not _real_fsdd_there(root) else None


def _real_fsdd_there(root: Path) -> bool:
    return (root / "datasets/fsdd/recordings/9_lucas_3.wav").exists()


# --- a folder of <class>/<clip>.wav -------------------------------------------------------------------

def write_clip_folder(root: Path) -> Path:
    """Two classes (low, high), three recordings each at 16 kHz, 0.35-0.6 s long."""
    for label, hz in (("low", 200.0), ("high", 1200.0)):
        for i in range(3):
            write_pcm16(root / label / f"rec{i}.wav", tone(0.35 + 0.125 * i, 16000, hz * (1 + 0.05 * i)), 16000)
    return root


def test_clip_folder_becomes_windows_labelled_by_folder(tmp_path):
    clips = read_clip_folder(write_clip_folder(tmp_path / "birds"), rate=8000, length=2000, hop=1000)
    assert clips.class_names == ("high", "low") and clips.rate == 8000
    assert clips.waves.shape[1] == 2000 and len(clips.waves) == len(clips.labels) == len(clips.recordings)
    assert clips.recording_names[clips.recordings[0]] == "high/rec0.wav"
    assert np.bincount(clips.recordings).tolist() == [1, 2, 3, 1, 2, 3]  # 2,800 samples → 1 window, 4,800 → 3
    assert set(clips.labels[clips.recordings == 3]) == {1}


@pytest.mark.parametrize("damage, message", [
    (lambda root: None, "is not a folder"),
    (lambda root: write_pcm16(root / "only" / "a.wav", tone(0.1, 8000, 300.0), 8000), "found 1 class folder"),
    (lambda root: write_clip_folder(root) and (root / "low" / "notes.mp3").write_bytes(b"ID3"),
     "notes.mp3 is not a .wav file. Fix: convert it"),
    (lambda root: write_clip_folder(root) and (root / "low" / "broken.wav").write_bytes(b"RIFF"),
     "broken.wav is not a readable WAV file"),
    (lambda root: write_clip_folder(root) and write_pcm16(root / "high" / "empty.wav", np.zeros(0, np.float32), 8000),
     "empty.wav holds no samples. Fix: remove it"),
])
def test_bad_clip_folders_are_refused_in_one_line(tmp_path, damage, message):
    root = tmp_path / "clips"
    if damage(root) is None and message == "is not a folder":
        root = tmp_path / "missing"
    with pytest.raises(UserError, match=message) as error:
        read_clip_folder(root, rate=8000, length=800, hop=400)
    assert "\n" not in str(error.value)
