"""Pictures for the detectors: any file Pillow reads, or a photo bundled with scikit-image.

Every picture becomes RGB uint8 [H, W, 3], the input the detectors take. Pictures that are not already
RGB are converted, and each conversion is noted: greyscale and palette images are expanded to three
channels, an alpha channel is flattened onto white, 16-bit values are scaled to 8 bits (v / 257), and
the EXIF orientation of a phone photo is applied. A missing, unreadable or truncated file is a
one-line UserError.
"""
from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnlab.errors import UserError

SAMPLE_PREFIX = "skimage:"
SAMPLES = ("astronaut", "chelsea", "coffee", "rocket",   # scikit-image's bundled colour photos
           "brick", "grass", "gravel")                    # ... and grey textures (style pictures)
SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")


@dataclass
class Picture:
    """A picture ready for detection, with what identifies it (name, source, sha256 of its pixels)."""

    name: str                     # what reports call it: the file name, or "skimage astronaut"
    source: str                   # absolute file path, or "skimage:astronaut"; read_picture(source) reloads it
    pixels: np.ndarray            # uint8 [H, W, 3], RGB
    notes: list[str] = field(default_factory=list)  # conversions applied

    @property
    def sha256(self) -> str:
        return hashlib.sha256(np.ascontiguousarray(self.pixels).tobytes()).hexdigest()

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    def info(self) -> dict:
        return {"picture": self.name, "source": self.source, "height": self.height, "width": self.width,
                "notes": self.notes}


def read_picture(source: str | Path) -> Picture:
    """`skimage:NAME` (one of SAMPLES) or a path to an image file, as an RGB uint8 Picture."""
    text = str(source)
    if text.startswith(SAMPLE_PREFIX):
        return sample_picture(text[len(SAMPLE_PREFIX):])
    return picture_file(Path(text))


def sample_picture(name: str) -> Picture:
    if name not in SAMPLES:
        raise UserError(f"unknown scikit-image sample '{name}'. Expected one of: "
                        f"{', '.join(SAMPLE_PREFIX + s for s in SAMPLES)}")
    import skimage.data
    from PIL import Image

    pixels, notes = rgb8(Image.fromarray(np.ascontiguousarray(getattr(skimage.data, name)(), dtype=np.uint8)))
    return Picture(f"skimage {name}", SAMPLE_PREFIX + name, pixels, notes)


def picture_file(path: Path) -> Picture:
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not path.exists():
        raise UserError(f"no such image file: {path}. Fix: check the path")
    if path.is_dir():
        raise UserError(f"{path} is a folder, not an image file. Expected a JPEG, PNG or another format "
                        f"Pillow reads")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as opened:
                opened.load()  # decodes now, so a truncated file fails here and not half-way later
                image = ImageOps.exif_transpose(opened)
    except UnidentifiedImageError:
        raise UserError(f"{path} is not an image file Pillow can read. Expected a JPEG, PNG or another "
                        f"image format") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning, Image.DecompressionBombError) \
            as error:
        raise UserError(f"{path} is truncated or corrupt and cannot be decoded ({error}). "
                        f"Fix: export it again or use another picture") from None
    pixels, notes = rgb8(image)
    return Picture(path.name, str(path.resolve()), pixels, notes)


def rgb8(image) -> tuple[np.ndarray, list[str]]:
    """A PIL image as RGB uint8 [H, W, 3], and the list of conversions that took."""
    from PIL import Image

    mode, notes = image.mode, []
    if mode in SIXTEEN_BIT_MODES:
        values = np.asarray(image, dtype=np.float64)
        # Mode "I" is 32-bit; Pillow also uses it for 16-bit PNGs, so values above 255 mean 16-bit.
        if mode != "I" or values.max() > 255:
            values = values / 257.0
            notes.append(f"16-bit ({mode}) values scaled to 8 bits")
        image = Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8), mode="L")
        mode = "L"
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
        notes.append(f"alpha channel ({mode}) flattened onto white")
    elif mode != "RGB":
        notes.append({"L": "greyscale expanded to RGB"}.get(mode, f"mode {mode} converted to RGB"))
    return np.asarray(image.convert("RGB"), dtype=np.uint8), notes
