"""Benchmark: detector inference time on a 640x480 photo, per model that can be loaded here.

For each model (the TF Hub ones when they are cached or the network is up, the TFLite SSD when
$NNLAB_MODELS_DIR holds it): the first call (tracing and set-up included), the median of the warm
calls after it, and how many objects score above 0.5. The photo is scikit-image's `astronaut`
resized to 640x480. This is a CPU figure; the TF2 Detection Zoo's own table (19 ms for SSD MobileNet
v2 320x320, 53 ms for Faster R-CNN ResNet50 640x640) was measured on a GPU.

    NNLAB_MODELS_DIR=<folder with coco_ssd_mobilenet_v1_quant/, optional> python bench/detection.py [--runs 20] [--top 100]
"""
from __future__ import annotations

import argparse
import os


def main() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="warm calls after the first (default 20)")
    parser.add_argument("--top", type=int, default=100,
                        help="objects listed (default 100; the TFLite SSD decodes past its built-in 10)")
    parser.add_argument("--models", nargs="+", default=None, help="default: every registered model")
    args = parser.parse_args()

    import numpy as np
    import tensorflow as tf
    from PIL import Image

    from nnlab.detectors import HUB_MODELS, TFLITE_MODELS, load_detector, timed_detect
    from nnlab.errors import UserError
    from nnlab.pictures import read_picture

    pixels = np.asarray(Image.fromarray(read_picture("skimage:astronaut").pixels).resize((640, 480),
                                                                                          Image.BILINEAR))
    print(f"bench/detection: astronaut resized to {pixels.shape[1]}x{pixels.shape[0]}, top {args.top}, "
          f"{args.runs} warm calls; {os.cpu_count()} CPUs, tensorflow {tf.__version__}")
    for name in args.models or [*HUB_MODELS, *TFLITE_MODELS]:
        try:
            detector = load_detector(name)
        except UserError as error:
            print(f"bench/detection: {name}: unavailable ({str(error).split('. Fix:')[0]})")
            continue
        timed = timed_detect(detector, pixels, args.top, args.runs)
        objects = [d for d in timed.detections if d.score > 0.5]
        print(f"bench/detection: {name} ({detector.backend}): first call {timed.first_seconds:.3f} s, "
              f"warm median {1000 * timed.warm_median:.1f} ms; {len(objects)} objects over 0.5: "
              + (", ".join(f"{d.label} {d.score:.2f}" for d in objects) or "none"))


if __name__ == "__main__":
    main()
