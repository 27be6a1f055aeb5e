"""`nnlab stylize CONTENT STYLE`: your picture painted in the style of another (Gatys et al.), with VGG16.

The pictures are any files Pillow reads, or scikit-image's bundled ones (`skimage:astronaut`,
`skimage:brick`, ...). The content picture is resized to `--size` pixels on its longer side, the style
picture to the same longer side; the result is a PNG (default `<workdir>/stylize/<content>_in_<style>.png`).
It needs VGG16's ImageNet weights, which `keras.applications` downloads once: where they cannot be had,
the command stops before any work with one line saying how to get them (exit 2).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

COMMAND = "stylize"


@dataclass(frozen=True)
class StylizeOptions:
    content: str
    style: str
    steps: int
    size: int
    out: Path
    seed: int = 0


def default_out(workdir: Path, content, style) -> Path:
    def stem(picture) -> str:
        return Path(picture.source).stem if not picture.source.startswith("skimage:") else picture.source[8:]

    return Path(workdir) / COMMAND / (re.sub(r"[^A-Za-z0-9._-]+", "-", f"{stem(content)}_in_{stem(style)}") + ".png")


def run_stylize(options: StylizeOptions, weights: Path | None) -> Path:
    """Optimise the picture, print a line per 50 steps, write the PNG; returns its path. `weights`: the VGG16
    weights file (None: random weights, which only tests check the code path with)."""
    from PIL import Image

    from keras_models.style import vgg16_style_extractor
    from lessons.transfer_style import Config
    from nnlab.pictures import read_picture
    from tf_raw.style import StyleWeights, resize_picture, stylize

    config = Config()
    content = resize_picture(read_picture(options.content).pixels, options.size)
    style = resize_picture(read_picture(options.style).pixels, max(content.shape[:2]))

    def progress(step: int, losses: dict) -> None:
        if (step + 1) % 50 == 0 or step + 1 == options.steps:
            print(f"step {step + 1}/{options.steps}: " + ", ".join(f"{k} {v:.4g}" for k, v in losses.items()),
                  flush=True)

    result = stylize(vgg16_style_extractor(None if weights is None else str(weights)), content, style, steps=options.steps,
                     learning_rate=config.style_rate, seed=options.seed, on_step=progress,
                     weights=StyleWeights(config.content_weight, config.style_weight, config.tv_weight))
    options.out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(result.image).save(options.out)
    print(f"{options.out}: {result.image.shape[1]}x{result.image.shape[0]} pixels after {options.steps} steps "
          f"({result.seconds:.0f} s)")
    return options.out
