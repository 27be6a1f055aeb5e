"""`nnlab say`: text to a sound file with a ready engine, or a spoken digit from the network the speech
lesson trained.

    nnlab say "TEXT" [--engine espeak-ng|gtts] [--voice V] [--out FILE]
    nnlab say --digit 7 [--speaker theo] [--out FILE.wav]

The first needs only the engine (nnlab/speech_engines.py says why one cannot run here, and how to get it).
The second reads the results store of the workdir: every finished network variant of the speech lesson
records its saved model; the one used is the one whose synthesised digits the listener recognised best,
full runs before quick ones. Nothing is trained here: without a trained model the error names the command
that trains one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

LESSON = "speech"
TRAIN_HINT = (f"Fix: train one with `nnlab run {LESSON}` (`--quick` trains a tiny one in seconds, good only for "
              f"checking the pipeline), or pass the --workdir it used")


@dataclass(frozen=True)
class Choice:
    variant: str
    model_file: Path
    quick: bool
    seed: int
    recognised: float     # share of its synthesised digits the listener heard as the digit asked for


def find_synthesiser(workdir: Path | str) -> Choice:
    """The trained network to use (see the module docstring); a UserError names the fix."""
    from nnlab.saved_models import saved_models

    usable = saved_models(workdir, LESSON, "speech", TRAIN_HINT)
    best = min(usable, key=lambda r: (r.quick, -r.metric("synthesised", "recognised"), -r.id))
    return Choice(best.variant, Path(best.info["model_file"]), best.quick, best.seed,
                  best.metric("synthesised", "recognised"))


def file_stem(text: str, limit: int = 40) -> str:
    """A file name from the first words of `text`: "Hello, world!" → "hello-world"."""
    stem = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].rstrip("-")
    return stem or "speech"


@dataclass(frozen=True)
class SayOptions:
    workdir: Path
    text: str | None = None
    engine: str = "espeak-ng"
    voice: str | None = None
    digit: int | None = None
    speaker: str | None = None
    out: Path | None = None


def default_out(options: SayOptions) -> Path:
    from nnlab.speech_engines import engine

    folder = Path(options.workdir) / "say"
    if options.digit is not None:
        return folder / f"digit{options.digit}-{options.speaker or 'speaker'}.wav"
    return folder / f"{file_stem(options.text)}-{options.engine}{engine(options.engine).suffix}"


def say_text(options: SayOptions) -> Path:
    """Speak `options.text` with the engine into a file; print what was written."""
    from nnlab.speech_engines import duration_seconds, speak

    out = options.out or default_out(options)
    speak(options.engine, options.text, out, options.voice)
    print(f"{out}: {options.engine}, {duration_seconds(out):.2f} s")
    return out


def say_digit(options: SayOptions) -> Path:
    """Synthesise the digit in the speaker's voice with the trained network, write a WAV, print it."""
    from nnlab.speech_files import load_synthesiser

    choice = find_synthesiser(options.workdir)
    synthesiser = load_synthesiser(choice.model_file)
    speaker = synthesiser.speaker_name(options.speaker)
    out = options.out or default_out(SayOptions(options.workdir, digit=options.digit, speaker=speaker))
    seconds = synthesiser.write(options.digit, speaker, out)
    mode = "quick run: expect noise" if choice.quick else "full run"
    print(f"model: {choice.variant} ({mode}, seed {choice.seed}; the listener recognised "
          f"{100 * choice.recognised:.0f}% of its digits) from {options.workdir}")
    print(f"{out}: digit {options.digit} as {speaker}, {seconds:.2f} s at {synthesiser.sampling_rate} Hz")
    return out
