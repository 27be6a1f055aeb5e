"""`nnlab compose`: a new tune from the best next-note model `nnlab run music` trained, as a MIDI file.

The results store of the workdir says which models exist (each finished LSTM variant of the music lesson
records its .keras file); the one used has the lowest validation NLL per note, full runs before quick
ones. The seed phrase is the first notes of a Nottingham tune: by default the test tune the lesson used
(kept with the model), or `--seed-tune NAME` (read from the data set, checked against its sha256).
Nothing is trained here: without a trained model the error names the command that trains one.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


LESSON = "music"
TRAIN_HINT = (f"Fix: train one with `nnlab run {LESSON}` (`--quick` trains a tiny one in half a minute, good only "
              f"for checking the pipeline), or pass the --workdir it used")


@dataclass(frozen=True)
class Choice:
    variant: str
    model_file: Path
    quick: bool
    seed: int
    val_nll: float
    test_pitch_nll: float


def find_composer(workdir: Path | str) -> Choice:
    """The trained model to use (see the module docstring); a UserError names the fix."""
    from nnlab.saved_models import saved_models

    usable = saved_models(workdir, LESSON, "music", TRAIN_HINT)
    best = min(usable, key=lambda r: (r.quick, r.metric("val", "nll"), -r.id))
    return Choice(best.variant, Path(best.info["model_file"]), best.quick, best.seed, best.metric("val", "nll"),
                  best.metric("test", "nll_pitch"))


@dataclass(frozen=True)
class ComposeOptions:
    workdir: Path
    out: Path | None = None
    temperature: float = 1.0
    notes: int = 64
    seed_tune: str | None = None
    seed: int = 0


def seed_melody(name: str):
    """The melody of the Nottingham tune `name`, fetched and verified like the lesson's data."""
    from nnlab.data.datasets import nottingham
    from nnlab.data.fetch import fetch
    from nnlab.data.midi import read_melody

    spec = nottingham.tunes([name])
    return read_melody(fetch(spec.files[f"melody/{name}.mid"], spec.name))


def run_compose(options: ComposeOptions) -> Path:
    """Write the tune (seed phrase + sampled notes) and print what reading it back gives."""
    import numpy as np

    from nnlab.composer_files import load_composer
    from nnlab.data.midi import summary, write_melody

    choice = find_composer(options.workdir)
    composer = load_composer(choice.model_file)
    seed_name, seed = composer.seed_tune, composer.seed_notes
    if options.seed_tune:
        melody = seed_melody(options.seed_tune)
        seed_name, seed, composer.key = options.seed_tune, melody.notes[:len(composer.seed_notes)], melody.key
    tune = composer.compose(seed, options.notes, [options.temperature], np.random.default_rng(options.seed))[0]
    out = options.out or Path(options.workdir) / "compose" / f"{seed_name}-T{options.temperature:g}-seed{options.seed}.mid"
    write_melody(tune, out)
    back = summary(out)
    mode = "quick run: expect noise" if choice.quick else "full run"
    print(f"model: {choice.variant} ({mode}, seed {choice.seed}, test pitch NLL {choice.test_pitch_nll:.3f}) from "
          f"{options.workdir}")
    print(f"{out}: {len(seed)} notes of {seed_name} + {options.notes} sampled at temperature {options.temperature:g}; "
          f"read back: {back['notes']} notes, {back['seconds']:.1f} s at {back['tempo']:g} bpm")
    return out
