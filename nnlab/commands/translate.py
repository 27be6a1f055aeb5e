"""`nnlab translate "a man is riding a bike"`: English to German with a model the lesson trained.

The results store of the workdir says which translators exist (each finished attention-translation
variant records its model file); the default is the one with the best test BLEU, full runs before
quick ones. Nothing is trained here: without a trained model the error names the command that
trains one.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nnlab.errors import UserError

LESSON = "attention-translation"
TRAIN_HINT = (f"Fix: train one with `nnlab run {LESSON}` (about an hour on a 2-core CPU; `--quick` trains a "
              f"tiny one in a minute, good only for checking the pipeline), or pass the --workdir it used")


@dataclass(frozen=True)
class Choice:
    variant: str
    weights: Path
    quick: bool
    seed: int
    test_bleu: float


def find_translator(workdir: Path | str, name: str | None = None) -> Choice:
    """The trained translator to use (see the module docstring); a UserError names the fix."""
    from nnlab.saved_models import saved_models

    usable = saved_models(workdir, LESSON, "translation", TRAIN_HINT)
    if name is not None:
        named = [r for r in usable if r.variant == name]
        if not named:
            known = ", ".join(sorted({r.variant for r in usable}))
            raise UserError(f"no trained model '{name}' in {workdir}; trained: {known}. Fix: pick one of those "
                            f"with --model")
        usable = named
    best = max(usable, key=lambda r: (not r.quick, r.metric("test", "bleu"), r.id))
    return Choice(best.variant, Path(best.info["model_file"]), best.quick, best.seed, best.metric("test", "bleu"))


def alignment_line(output: list[str], source: list[str], weights) -> str:
    """Each output word with the source word its attention weighted most: 'mann←man (0.82)'."""
    pairs = [f"{word}←{source[int(row.argmax())]} ({row.max():.2f})" for word, row in zip(output, weights)]
    return "  ".join(pairs)


def run_translate(sentences: list[str], workdir: Path | str, name: str | None = None,
                  alignment: bool = False, beam: int = 1) -> list[str]:
    """Print and return the German translation of each sentence."""
    from keras_models.text import detokenize
    from nnlab.translator_files import load_translator

    choice = find_translator(workdir, name)
    translator = load_translator(choice.weights)
    outputs, sources, weights = translator.translate(sentences, beam=beam)
    mode = "quick run: expect nonsense" if choice.quick else "full run"
    decoding = "greedy decoding" if beam == 1 else f"beam search, width {beam}"
    print(f"model: {choice.variant} ({mode}, seed {choice.seed}, test BLEU {choice.test_bleu:.2f} greedy) from "
          f"{workdir}; {decoding}")
    translations = []
    for english, output, source, attention in zip(sentences, outputs, sources, weights):
        translations.append(detokenize(output))
        print(f"{english}\n  → {translations[-1]}")
        if alignment:
            print("  " + (alignment_line(output, source, attention) if attention is not None
                          else f"({choice.variant} has no attention to show)"))
    return translations
