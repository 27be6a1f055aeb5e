"""Melodies in and out of MIDI files, through pretty_midi (which reads and writes them) and mido (which
pretty_midi is built on, for the file's raw events).

A melody here is an int64 array (n, 3) of notes in *ticks*, sorted by onset: (pitch, start, end), with
the file's resolution (ticks per quarter note) and tempo beside it. Ticks are what the file stores;
seconds are derived (seconds = ticks · 60 / (tempo · resolution) at a constant tempo), so a melody in
ticks goes to a file and back unchanged.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnlab.errors import DataError

DEFAULT_RESOLUTION = 1024   # the Nottingham files' ticks per quarter note
DEFAULT_TEMPO = 120.0       # beats per minute, the Nottingham files' only tempo
KEY_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


@dataclass
class Melody:
    """One monophonic line: notes (n, 3) int64 as (pitch, start tick, end tick), sorted by onset."""

    notes: np.ndarray
    resolution: int = DEFAULT_RESOLUTION
    tempo: float = DEFAULT_TEMPO
    key: int | None = None          # pretty_midi's key number: 0-11 C..B major, 12-23 C..B minor
    time_signature: str = ""        # e.g. "6/8"

    @property
    def seconds_per_tick(self) -> float:
        return 60.0 / (self.tempo * self.resolution)


def key_name(key: int | None) -> str:
    return "unknown" if key is None else f"{KEY_NAMES[key % 12]} {'minor' if key >= 12 else 'major'}"


def _open(path: Path | str):
    import pretty_midi

    try:
        with warnings.catch_warnings():   # the set's files put their key signatures on every track
            warnings.simplefilter("ignore", RuntimeWarning)
            return pretty_midi.PrettyMIDI(str(path))
    except Exception as error:  # mido and pretty_midi raise several kinds for a damaged file
        raise DataError(f"{path} is not a readable MIDI file ({type(error).__name__}: {error}). Fix: replace it "
                        f"with the original") from None


def read_melody(path: Path | str, track: int = 0) -> Melody:
    """The notes of one instrument (`track`, 0: the first) in ticks, with the file's resolution, first
    tempo, first key and time signature."""
    midi = _open(path)
    if not midi.instruments:
        raise DataError(f"{path} has no notes. Fix: pass a MIDI file with a melody")
    notes = midi.instruments[track].notes
    ticks = np.array([(n.pitch, midi.time_to_tick(n.start), midi.time_to_tick(n.end)) for n in notes],
                     dtype=np.int64).reshape(-1, 3)
    ticks = ticks[np.lexsort((ticks[:, 0], ticks[:, 1]))]   # by onset, then pitch
    tempo = float(midi.get_tempo_changes()[1][0]) if len(midi.get_tempo_changes()[1]) else DEFAULT_TEMPO
    key = midi.key_signature_changes[0].key_number if midi.key_signature_changes else None
    signature = midi.time_signature_changes[0] if midi.time_signature_changes else None
    return Melody(ticks, midi.resolution, tempo, key,
                  f"{signature.numerator}/{signature.denominator}" if signature else "")


def write_melody(melody: Melody, path: Path | str, program: int = 0) -> Path:
    """A one-track MIDI file of `melody` (General MIDI `program`, 0: piano), with its key if known."""
    import pretty_midi

    midi = pretty_midi.PrettyMIDI(resolution=melody.resolution, initial_tempo=melody.tempo)
    instrument = pretty_midi.Instrument(program=program, name="melody")
    scale = melody.seconds_per_tick
    for pitch, start, end in np.asarray(melody.notes, dtype=np.int64):
        instrument.notes.append(pretty_midi.Note(velocity=90, pitch=int(pitch), start=start * scale, end=end * scale))
    midi.instruments.append(instrument)
    if melody.key is not None:
        midi.key_signature_changes.append(pretty_midi.KeySignature(melody.key, 0.0))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    midi.write(str(path))
    return path


def file_anatomy(path: Path | str, events: int = 12) -> dict:
    """What a MIDI file holds, as mido reads it: format, ticks per beat, its tracks (name and number of
    events), and the first `events` messages of the first track with notes, each with its delta time
    (ticks since the previous message), absolute tick and time in seconds at the file's tempo."""
    import mido

    midi_file = mido.MidiFile(str(path))
    melody = read_melody(path)
    tracks = [{"track": i, "name": t.name or "(unnamed)", "events": len(t),
               "notes": sum(1 for m in t if m.type == "note_on" and m.velocity > 0)}
              for i, t in enumerate(midi_file.tracks)]
    first = next(t for t in midi_file.tracks if any(m.type == "note_on" for m in t))
    rows, tick = [], 0
    for message in first[:events]:
        tick += message.time
        fields = {k: v for k, v in message.dict().items() if k not in ("type", "time", "channel")}
        rows.append({"delta ticks": message.time, "tick": tick,
                     "seconds": round(tick * melody.seconds_per_tick, 4), "message": message.type,
                     "fields": ", ".join(f"{k}={v}" for k, v in fields.items())})
    return {"format": midi_file.type, "ticks_per_beat": midi_file.ticks_per_beat, "tracks": tracks,
            "tempo": melody.tempo, "key": key_name(melody.key), "time_signature": melody.time_signature,
            "events": rows}


def summary(path: Path | str) -> dict:
    """What reading a file back gives: notes, length in seconds, tempo (the report's validity check)."""
    midi = _open(path)
    tempi = midi.get_tempo_changes()[1]
    return {"notes": sum(len(i.notes) for i in midi.instruments), "seconds": float(midi.get_end_time()),
            "tempo": float(tempi[0]) if len(tempi) else None, "instruments": len(midi.instruments)}
