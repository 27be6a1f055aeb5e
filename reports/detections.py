"""Detections as a table, as an annotated picture, and matched between two detectors.

Boxes are (ymin, xmin, ymax, xmax) normalised to 0..1, as the detectors return them; the table and the
drawing turn them into pixels of the picture they were found on.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from reports.tables import markdown_table


@dataclass(frozen=True)
class Detection:
    """One object: its COCO label, score and box (ymin, xmin, ymax, xmax), normalised and clipped to 0..1."""

    label: str
    class_id: int
    score: float
    box: tuple[float, float, float, float]

    def pixels(self, height: int, width: int) -> tuple[int, int, int, int]:
        """The box as whole pixels x0, y0, x1, y1 of a height x width picture."""
        ymin, xmin, ymax, xmax = self.box
        return round(xmin * width), round(ymin * height), round(xmax * width), round(ymax * height)

    @property
    def area(self) -> float:
        """Share of the picture the box covers, 0..1."""
        ymin, xmin, ymax, xmax = self.box
        return (ymax - ymin) * (xmax - xmin)

    def as_dict(self) -> dict:
        return {"label": self.label, "class_id": self.class_id, "score": self.score, "box": list(self.box)}

    @classmethod
    def from_dict(cls, row: dict) -> "Detection":
        return cls(row["label"], int(row["class_id"]), float(row["score"]), tuple(row["box"]))


# Ten colours distinct from each other on photos; each label keeps its colour across pictures.
PALETTE = ((230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
           (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212))


def detection_rows(found: Sequence[Detection], height: int, width: int) -> list[dict]:
    """One row per object: rank, label, score, box in pixels (x0, y0, x1, y1) and area % of the picture."""
    rows = []
    for rank, item in enumerate(found, 1):
        x0, y0, x1, y1 = item.pixels(height, width)
        rows.append({"rank": rank, "label": item.label, "score": item.score,
                     "box x0, y0, x1, y1 (px)": f"{x0}, {y0}, {x1}, {y1}", "area %": 100 * item.area})
    return rows


def detection_table(found: Sequence[Detection], height: int, width: int) -> str:
    if not found:
        return "*No objects.*"
    return markdown_table(detection_rows(found, height, width),
                          formats={"score": lambda v: f"{v:.3f}", "area %": lambda v: f"{v:.1f}"})


def draw_detections(pixels: np.ndarray, found: Sequence[Detection], path: Path, *, labelled: int = 10) -> Path:
    """Save the picture with a box per object; the first `labelled` also get "label score" tags.

    Legible on any photo: every labelled box is drawn in its colour inside a dark outline, and every tag is
    dark or light text on a filled box of the label's colour, sized from the picture. Lower-ranked
    boxes are drawn first so the best ones stay on top.
    """
    from PIL import Image, ImageDraw, ImageFont

    image = Image.fromarray(pixels).convert("RGB")
    height, width = pixels.shape[:2]
    side = min(height, width)
    line = max(2, side // 160)
    font = ImageFont.load_default(size=max(11, side // 32))
    draw = ImageDraw.Draw(image)
    for rank in reversed(range(len(found))):
        item = found[rank]
        colour = PALETTE[item.class_id % len(PALETTE)]
        x0, y0, x1, y1 = item.pixels(height, width)
        if rank >= labelled:  # the long tail (top 100): thin boxes, so the labelled ones stand out
            draw.rectangle((x0, y0, x1, y1), outline=colour, width=1)
            continue
        draw.rectangle((x0, y0, x1, y1), outline=(0, 0, 0), width=line + 2)
        if x1 - x0 > 2 and y1 - y0 > 2:
            draw.rectangle((x0 + 1, y0 + 1, x1 - 1, y1 - 1), outline=colour, width=line)
        text = f"{rank + 1}. {item.label} {item.score:.2f}"
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        tag_w, tag_h = right - left + 2 * line, bottom - top + 2 * line
        tx = min(max(x0, 0), max(width - tag_w, 0))
        ty = y0 - tag_h if y0 - tag_h >= 0 else min(y0, max(height - tag_h, 0))
        draw.rectangle((tx, ty, tx + tag_w, ty + tag_h), fill=colour, outline=(0, 0, 0))
        light_fill = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2] > 140
        draw.text((tx + line - left, ty + line - top), text, font=font,
                  fill=(0, 0, 0) if light_fill else (255, 255, 255))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG")
    return path


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two (ymin, xmin, ymax, xmax) boxes."""
    height = min(a[2], b[2]) - max(a[0], b[0])
    width = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(height, 0.0) * max(width, 0.0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def matched_pairs(first: Sequence[Detection], second: Sequence[Detection],
                  threshold: float = 0.5) -> list[tuple[Detection, Detection, float]]:
    """Objects two detectors agree on: same label and IoU >= threshold, each object used once.

    Greedy by IoU, highest first (the usual way detections are matched to each other for evaluation).
    """
    candidates = sorted(((iou(a.box, b.box), i, j) for i, a in enumerate(first) for j, b in enumerate(second)
                         if a.class_id == b.class_id), reverse=True)
    used_first, used_second, pairs = set(), set(), []
    for overlap, i, j in candidates:
        if overlap < threshold:
            break
        if i not in used_first and j not in used_second:
            used_first.add(i)
            used_second.add(j)
            pairs.append((first[i], second[j], overlap))
    return pairs
