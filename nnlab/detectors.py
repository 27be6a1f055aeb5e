"""Object detectors behind one call, `detect(pixels, top)`: TF Hub / SavedModel and TFLite.

Three kinds of model, chosen by what `--model` names (`load_detector`):

- a short name of HUB_MODELS: a TF2 Detection Zoo model on TF Hub, loaded with `tensorflow_hub.load`
  into the TF Hub cache ($TFHUB_CACHE_DIR, else <temp>/tfhub_modules). The first load needs internet.
- a folder: any local SavedModel with the zoo signature, loaded through the same `tensorflow_hub.load`.
- a `.tflite` file: a uint8 SSD with TFLite_Detection_PostProcess, run by `tf.lite.Interpreter`
  (TFLITE_MODELS names the one kept in $NNLAB_MODELS_DIR).

The TF2 zoo signature (`serving_default`): one uint8 image [1, H, W, 3] of any size in, and out
    detection_boxes   [1, N, 4]  ymin, xmin, ymax, xmax, normalised to 0..1
    detection_classes [1, N]     float, 1-based COCO category ids
    detection_scores  [1, N]     sorted, highest first
    num_detections    [1]        how many of the N rows are valid
Labels come from the COCO label map shipped in `detection_data/coco_labels.txt`.
"""
from __future__ import annotations

import hashlib
import os
import statistics
import time
import warnings
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Protocol

import numpy as np

from nnlab.data.fetch import OFFLINE_ENV, offline
from nnlab.errors import UserError
from nnlab.quiet import native_stderr_held
from reports.detections import Detection

MODELS_DIR_ENV = "NNLAB_MODELS_DIR"   # read-only folder of detector files (the shared models copy)
ZOO_OUTPUTS = ("detection_boxes", "detection_classes", "detection_scores", "num_detections")


@dataclass(frozen=True)
class HubModel:
    title: str
    handle: str


HUB_MODELS = {
    "ssd": HubModel("SSD MobileNet v2 320x320 (COCO 2017)", "https://tfhub.dev/tensorflow/ssd_mobilenet_v2/2"),
    "faster-rcnn": HubModel("Faster R-CNN ResNet50 v1 640x640 (COCO 2017)",
                            "https://tfhub.dev/tensorflow/faster_rcnn/resnet50_v1_640x640/1"),
}
TFLITE_MODELS = {
    "ssd-v1-tflite": ("SSD MobileNet v1 300x300, uint8-quantised TFLite (COCO)",
                      "coco_ssd_mobilenet_v1_quant/detect.tflite"),
}


# ---- detections ----------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def coco_labels() -> dict[int, str]:
    """COCO category id -> name (80 of the ids 1..90)."""
    text = resources.files("nnlab").joinpath("detection_data/coco_labels.txt").read_text(encoding="utf-8")
    labels = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            number, name = line.split(" ", 1)
            labels[int(number)] = name
    return labels


def detections(boxes: np.ndarray, class_ids: np.ndarray, scores: np.ndarray) -> list[Detection]:
    """Detection objects from parallel arrays, highest score first (ties keep the model's order)."""
    labels = coco_labels()
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    found = []
    for i in order:
        class_id = int(round(float(class_ids[i])))
        ymin, xmin, ymax, xmax = (float(v) for v in np.clip(np.asarray(boxes[i], dtype=np.float64), 0.0, 1.0))
        box = (min(ymin, ymax), min(xmin, xmax), max(ymin, ymax), max(xmin, xmax))
        found.append(Detection(labels.get(class_id, f"id {class_id}"), class_id, float(scores[i]), box))
    return found


# ---- the detectors -------------------------------------------------------------------------------

class Detector(Protocol):
    name: str          # as the user named it: a short name or a path
    description: str   # what it is and where it came from
    backend: str       # "tf-hub", "savedmodel" or "tflite"

    def detect(self, pixels: np.ndarray, top: int) -> list[Detection]:
        """The `top` highest-scoring objects in an RGB uint8 [H, W, 3] picture, best first."""


class ZooSavedModel:
    """A SavedModel with the TF2 Detection Zoo signature, from TF Hub or a local folder."""

    def __init__(self, name: str, description: str, backend: str, loaded):
        import tensorflow as tf

        self.name, self.description, self.backend = name, description, backend
        self._tf = tf
        self._serve, self._input = zoo_signature(loaded, description)
        self._loaded = loaded  # keeps the variables the signature reads alive

    def detect(self, pixels: np.ndarray, top: int) -> list[Detection]:
        out = self._serve(**{self._input: self._tf.constant(pixels[np.newaxis], dtype=self._tf.uint8)})
        n = int(np.asarray(out["num_detections"]).reshape(-1)[0])
        found = detections(np.asarray(out["detection_boxes"])[0, :n], np.asarray(out["detection_classes"])[0, :n],
                           np.asarray(out["detection_scores"])[0, :n])
        return found[:top]


def zoo_signature(loaded, description: str):
    """The `serving_default` function of a loaded SavedModel and its input name, or a UserError."""
    expected = ("Expected a serving_default signature taking one uint8 image [1, H, W, 3] and returning "
                + ", ".join(ZOO_OUTPUTS))
    serve = getattr(loaded, "signatures", {}).get("serving_default")
    if serve is None:
        raise UserError(f"{description} has no serving_default signature. {expected}. "
                        f"Received: signatures {sorted(getattr(loaded, 'signatures', {}))}")
    inputs = serve.structured_input_signature[1]
    outputs = sorted(serve.structured_outputs)
    spec = next(iter(inputs.values())) if len(inputs) == 1 else None
    if (spec is None or spec.dtype.name != "uint8" or spec.shape.rank != 4 or spec.shape[-1] not in (3, None)
            or not set(ZOO_OUTPUTS) <= set(outputs)):
        shown = ", ".join(f"{k} {v.dtype.name} {v.shape}" for k, v in inputs.items())
        raise UserError(f"{description} does not have the TF2 Detection Zoo signature. {expected}. "
                        f"Received: inputs {shown or 'none'}; outputs {', '.join(outputs) or 'none'}")
    return serve, next(iter(inputs))


class TFLiteSSD:
    """A uint8 SSD .tflite with TFLite_Detection_PostProcess (boxes, classes, scores, count outputs).

    Its built-in post-processing stops at a fixed number of objects (10 for the COCO starter model).
    For more, the interpreter keeps its intermediate tensors, and `decoded` redoes the post-processing
    from them: box encodings `Squeeze` [1, A, 4] (ty, tx, th, tw), sigmoid scores `convert_scores`
    [1, A, 91] (column 0 is the background, column k the COCO id k) and `anchors` [A, 4] (yc, xc, h, w).
    Boxes are decoded with the Faster R-CNN box coder and its scales (10, 10, 5, 5):
        yc = ty/10 * ha + ya,  xc = tx/10 * wa + xa,  h = exp(th/5) * ha,  w = exp(tw/5) * wa,
    then each anchor keeps its best class and class-agnostic NMS (IoU 0.6) keeps the top ones. This
    reproduces the built-in op's list and extends it.
    """

    backend = "tflite"
    SCALES = (10.0, 10.0, 5.0, 5.0)
    NMS_IOU = 0.6
    INTERMEDIATE = ("Squeeze", "convert_scores", "anchors")

    def __init__(self, name: str, description: str, path: Path):
        import tensorflow as tf

        self.name, self.description, self.path = name, description, path
        try:
            # Allocating the tensors applies the XNNPACK delegate, whose INFO line goes straight to fd 2.
            with warnings.catch_warnings(), native_stderr_held():
                # tf.lite.Interpreter warns that it is deprecated (LiteRT) and that keeping all tensors
                # costs memory; both are known here, and the tensors are what `decoded` needs.
                warnings.simplefilter("ignore", UserWarning)
                self._interpreter = tf.lite.Interpreter(model_path=str(path),
                                                        experimental_preserve_all_tensors=True)
                self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as error:
            raise UserError(f"{path} is not a TFLite model the interpreter can load "
                            f"({str(error).splitlines()[0]}). Expected a .tflite detector file") from None
        self._input = self._interpreter.get_input_details()[0]
        self._outputs = [d["index"] for d in self._interpreter.get_output_details()]
        shape = tuple(self._input["shape"])
        if len(self._outputs) != 4 or len(shape) != 4 or shape[-1] != 3 or self._input["dtype"] != np.uint8:
            raise UserError(f"{path} is not a quantised SSD detector with TFLite_Detection_PostProcess. Expected "
                            f"a uint8 image input [1, H, W, 3] and 4 outputs (boxes, classes, scores, count). "
                            f"Received: input {np.dtype(self._input['dtype']).name} {list(shape)}, "
                            f"{len(self._outputs)} outputs")
        self.input_size = (int(shape[1]), int(shape[2]))
        names = {d["name"]: d for d in self._interpreter.get_tensor_details()}
        self._intermediate = [names.get(n) for n in self.INTERMEDIATE]

    @property
    def builtin_limit(self) -> int:
        return int(self._interpreter.get_output_details()[0]["shape"][1])

    def detect(self, pixels: np.ndarray, top: int) -> list[Detection]:
        self.invoke(pixels)
        if top <= self.builtin_limit or None in self._intermediate:
            return self.builtin()[:top]
        return self.decoded(top)

    def invoke(self, pixels: np.ndarray) -> None:
        """Run the model on a picture (resized to its input size as a whole, as the reference does)."""
        from PIL import Image

        height, width = self.input_size
        resized = np.asarray(Image.fromarray(pixels).resize((width, height), Image.BILINEAR))
        self._interpreter.set_tensor(self._input["index"], resized[np.newaxis])
        self._interpreter.invoke()

    def builtin(self) -> list[Detection]:
        """The built-in post-processing's list from the last invoke (0-based class index -> COCO id + 1)."""
        boxes, classes, scores, count = (self._interpreter.get_tensor(i) for i in self._outputs)
        n = int(count.reshape(-1)[0])
        return detections(boxes[0, :n], classes[0, :n] + 1, scores[0, :n])

    def decoded(self, top: int) -> list[Detection]:
        """The `top` objects decoded from the last invoke's intermediate tensors (see the class doc)."""
        import tensorflow as tf

        encodings, scores, anchors = (self._dequantized(d) for d in self._intermediate)
        ty, tx, th, tw = (encodings[0, :, i] / s for i, s in enumerate(self.SCALES))
        ya, xa, ha, wa = anchors.T
        yc, xc = ty * ha + ya, tx * wa + xa
        h, w = np.exp(th) * ha, np.exp(tw) * wa
        boxes = np.stack([yc - h / 2, xc - w / 2, yc + h / 2, xc + w / 2], axis=1)
        class_ids = 1 + np.argmax(scores[0, :, 1:], axis=1)
        best = scores[0, np.arange(len(class_ids)), class_ids]
        keep = tf.image.non_max_suppression(boxes.astype(np.float32), best.astype(np.float32), top,
                                            iou_threshold=self.NMS_IOU).numpy()
        return detections(boxes[keep], class_ids[keep], best[keep])

    def _dequantized(self, detail: dict) -> np.ndarray:
        values = self._interpreter.get_tensor(detail["index"]).astype(np.float64)
        scale, zero_point = detail["quantization"]
        return (values - zero_point) * scale if scale else values


# ---- loading -------------------------------------------------------------------------------------

def models_dir() -> Path | None:
    value = os.environ.get(MODELS_DIR_ENV)
    return Path(value) if value else None


def hub_cache_dir() -> Path:
    from tensorflow_hub import resolver

    return Path(resolver.tfhub_cache_dir(use_temp=True))


def hub_cached(handle: str) -> bool:
    """Whether TF Hub has `handle` in its cache already (the folder it uses is sha1 of the handle)."""
    return (hub_cache_dir() / hashlib.sha1(handle.encode("utf8")).hexdigest()).is_dir()


def model_names() -> str:
    return ", ".join([*HUB_MODELS, *TFLITE_MODELS])


def models_help() -> str:
    """The registered models, one per line, for `nnlab detect --help`."""
    width = max(len(name) for name in [*HUB_MODELS, *TFLITE_MODELS]) + 2
    lines = [f"  {name:<{width}}{model.title}, TF Hub {model.handle}" for name, model in HUB_MODELS.items()]
    lines += [f"  {name:<{width}}{title}, ${MODELS_DIR_ENV}/{relative}" for name, (title, relative) in TFLITE_MODELS.items()]
    return "\n".join(lines)


def locate(spec: str) -> tuple[str, str, str]:
    """What `spec` names, without loading anything: (backend, description, handle or path).

    `spec` is a HUB_MODELS / TFLITE_MODELS name, a TF Hub URL, a SavedModel folder or a .tflite file;
    anything else is a one-line UserError (checked before TensorFlow is imported).
    """
    if spec in HUB_MODELS:
        model = HUB_MODELS[spec]
        return "tf-hub", f"{model.title}, TF Hub {model.handle}", model.handle
    if spec in TFLITE_MODELS:
        title, relative = TFLITE_MODELS[spec]
        folder = models_dir()
        if folder is None:
            raise UserError(f"model '{spec}' is a file in ${MODELS_DIR_ENV}, which is not set. Fix: set "
                            f"{MODELS_DIR_ENV} to the folder holding {relative}, or pass --model PATH/detect.tflite")
        path = folder / relative
        if not path.is_file():
            raise UserError(f"model '{spec}': {path} does not exist. Fix: point {MODELS_DIR_ENV} at the folder "
                            f"holding {relative}")
        return "tflite", f"{title}, {path}", str(path)
    if spec.startswith(("https://", "http://")):
        return "tf-hub", f"TF Hub {spec}", spec
    path = Path(spec)
    if spec.endswith(".tflite"):
        if not path.is_file():
            raise UserError(f"no such TFLite file: {path}. Fix: check the path")
        return "tflite", f"TFLite {path.resolve()}", str(path)
    if path.is_dir():
        return "savedmodel", f"SavedModel {path.resolve()}", str(path.resolve())
    raise UserError(f"unknown model '{spec}'. Expected one of {model_names()}, a SavedModel folder, "
                    f"a .tflite file or a TF Hub URL")


def load_detector(spec: str) -> Detector:
    """The detector `spec` names (see `locate`); anything that cannot be loaded is a one-line UserError."""
    backend, description, target = locate(spec)
    if backend == "tflite":
        return TFLiteSSD(spec, description, Path(target))
    return load_hub(spec, description, target, backend)


def load_hub(name: str, description: str, handle: str, backend: str) -> ZooSavedModel:
    """`tensorflow_hub.load(handle)` (a URL or a local SavedModel folder) checked for the zoo signature."""
    import tensorflow_hub as hub

    remote = backend == "tf-hub"
    if remote and not hub_cached(handle) and offline():
        raise offline_error(name, handle, f"{OFFLINE_ENV} is set")
    try:
        loaded = hub.load(handle)
    except Exception as error:  # noqa: BLE001 - network, cache and SavedModel errors all end here
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        if remote and not hub_cached(handle):
            raise offline_error(name, handle, reason) from None
        raise UserError(f"cannot load {description}: {reason}. Expected a SavedModel folder with the TF2 "
                        f"Detection Zoo signature") from None
    return ZooSavedModel(name, description, backend, loaded)


def offline_error(name: str, handle: str, reason: str) -> UserError:
    return UserError(f"model '{name}' ({handle}) is not in the TF Hub cache {hub_cache_dir()} and could not be "
                     f"downloaded ({reason}). Fix: run once with internet access, set TFHUB_CACHE_DIR to a cache "
                     f"that holds it, or pass --model with a local SavedModel folder or .tflite file")


# ---- timing --------------------------------------------------------------------------------------

@dataclass
class Timed:
    detections: list[Detection]
    first_seconds: float        # the first call: graph tracing, memory allocation, lazy set-up
    warm_seconds: list[float]   # each later call, the steady-state cost

    @property
    def warm_median(self) -> float:
        return statistics.median(self.warm_seconds) if self.warm_seconds else float("nan")


def timed_detect(detector: Detector, pixels: np.ndarray, top: int, warm_runs: int) -> Timed:
    """Detect once (timed as the first call), then `warm_runs` more times for the warm median."""
    start = time.perf_counter()
    found = detector.detect(pixels, top)
    first = time.perf_counter() - start
    warm = []
    for _ in range(warm_runs):
        start = time.perf_counter()
        detector.detect(pixels, top)
        warm.append(time.perf_counter() - start)
    return Timed(found, first, warm)
