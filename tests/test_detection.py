"""detection: the zoo-signature path on a SavedModel built here, the real TFLite SSD, bad input, the lesson.

The TF Hub models themselves need internet; their loading path (`tensorflow_hub.load` + the zoo
signature) is exercised on a tiny SavedModel with fixed outputs that this file exports. The real
TFLite detector is used when $NNLAB_MODELS_DIR holds it (CI sets it from ../shared/models).
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnlab.detectors import MODELS_DIR_ENV, TFLITE_MODELS, Detection, coco_labels, load_detector
from nnlab.errors import UserError
from nnlab.pictures import picture_file, read_picture
from reports.detections import detection_rows, draw_detections, iou, matched_pairs
from tests.conftest import cli_env, run_cli

# What the fixture model returns for any picture: rows out of score order, one box past the edge,
# and a fourth row beyond num_detections that must be ignored.
BOXES = [[0.5, 0.5, 1.2, 1.0], [0.1, 0.25, 0.5, 0.75], [0.0, 0.0, 0.25, 0.5], [0.3, 0.3, 0.4, 0.4]]
CLASSES = [18.0, 1.0, 47.0, 3.0]          # dog, person, cup, car
SCORES = [0.3, 0.9, 0.6, 0.8]
HEIGHT, WIDTH = 100, 200


def export_model(path: Path, dtype="uint8", outputs=("detection_boxes", "detection_classes", "detection_scores",
                                                      "num_detections")) -> Path:
    import tensorflow as tf

    values = {"detection_boxes": [BOXES], "detection_classes": [CLASSES], "detection_scores": [SCORES],
              "num_detections": [3.0]}

    class FixedDetector(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, None, None, 3], getattr(tf, dtype), name="input_tensor")])
        def detect(self, input_tensor):
            return {name: tf.constant(values[name], tf.float32) for name in outputs}

    module = FixedDetector()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.detect})
    return path


@pytest.fixture(scope="module")
def zoo_model(tmp_path_factory):
    return export_model(tmp_path_factory.mktemp("zoo") / "fixed_detector")


def tflite_path() -> Path | None:
    folder = os.environ.get(MODELS_DIR_ENV)
    path = Path(folder) / TFLITE_MODELS["ssd-v1-tflite"][1] if folder else None
    return path if path is not None and path.is_file() else None


needs_tflite = pytest.mark.skipif(tflite_path() is None, reason=f"the TFLite SSD is not in ${MODELS_DIR_ENV} "
                                                                 f"(CI sets it when ../shared/models exists)")


# ---- the zoo signature through tensorflow_hub.load -------------------------------------------------

def test_savedmodel_with_the_zoo_signature_is_tabled_and_drawn(zoo_model, tmp_path):
    detector = load_detector(str(zoo_model))
    assert detector.backend == "savedmodel"
    pixels = np.full((HEIGHT, WIDTH, 3), 128, np.uint8)
    found = detector.detect(pixels, top=10)
    rows = detection_rows(found, HEIGHT, WIDTH)
    assert [(r["rank"], r["label"]) for r in rows] == [(1, "person"), (2, "cup"), (3, "dog")]
    assert [r["score"] for r in rows] == pytest.approx([0.9, 0.6, 0.3])
    assert [r["box x0, y0, x1, y1 (px)"] for r in rows] == ["50, 10, 150, 50", "0, 0, 100, 25", "100, 50, 200, 100"]
    assert [round(r["area %"], 3) for r in rows] == [20.0, 12.5, 25.0]  # the dog's box is clipped at 1.0
    assert [d.label for d in detector.detect(pixels, top=2)] == ["person", "cup"]

    path = draw_detections(pixels, found, tmp_path / "drawn.png")
    drawn = np.asarray(Image.open(path).convert("RGB"))
    assert drawn.shape == pixels.shape
    assert (drawn[30, 50] != 128).any() and (drawn[30, 100] == 128).all()  # a box edge drawn, its inside kept


def test_coco_label_map_has_80_ids_of_91():
    labels = coco_labels()
    assert len(labels) == 80 and max(labels) == 90
    assert (labels[1], labels[47], labels[90]) == ("person", "cup", "toothbrush")
    assert not {0, 12, 26, 29, 30, 45, 66, 68, 69, 71, 83} & set(labels)


@pytest.mark.skipif(tflite_path() is None, reason=f"no labelmap.txt to compare with (${MODELS_DIR_ENV} unset)")
def test_coco_label_map_matches_the_tflite_models_labelmap():
    lines = (tflite_path().parent / "labelmap.txt").read_text().splitlines()
    assert [coco_labels().get(i, "???") for i in range(len(lines))] == lines


def test_iou_and_matching():
    a = Detection("person", 1, 0.9, (0.0, 0.0, 0.5, 0.5))
    b = Detection("person", 1, 0.8, (0.0, 0.0, 0.5, 0.25))
    c = Detection("cup", 47, 0.7, (0.0, 0.0, 0.5, 0.5))
    assert iou(a.box, a.box) == 1.0 and iou(a.box, b.box) == pytest.approx(0.5)
    assert iou(a.box, (0.6, 0.6, 1.0, 1.0)) == 0.0
    pairs = matched_pairs([a, c], [b, c])
    assert [(x.label, y.label, round(o, 3)) for x, y, o in pairs] == [("cup", "cup", 1.0), ("person", "person", 0.5)]
    assert matched_pairs([a], [b], threshold=0.6) == []


# ---- pictures: conversions, not refusals ---------------------------------------------------------

@pytest.mark.parametrize("mode, make, note", [
    ("L", lambda: Image.new("L", (8, 6), 77), "greyscale"),
    ("RGBA", lambda: Image.new("RGBA", (8, 6), (10, 20, 30, 0)), "alpha"),
    ("I;16", lambda: Image.fromarray(np.full((6, 8), 65535, np.uint16)), "16-bit"),
])
def test_pictures_are_converted_to_rgb8(tmp_path, mode, make, note):
    path = tmp_path / f"picture-{mode.replace(';', '')}.png"
    make().save(path)
    picture = picture_file(path)
    assert picture.pixels.shape == (6, 8, 3) and picture.pixels.dtype == np.uint8
    assert any(note in n for n in picture.notes)
    expected = {"L": 77, "RGBA": 255, "I;16": 255}[mode]  # transparent pixels become white
    assert (picture.pixels == expected).all()


# ---- the real TFLite SSD on scikit-image's photos ------------------------------------------------

@needs_tflite
@pytest.mark.parametrize("photo, label", [("astronaut", "person"), ("chelsea", "cat"), ("coffee", "cup")])
def test_tflite_ssd_finds_the_main_object(photo, label):
    detector = load_detector("ssd-v1-tflite")
    picture = read_picture(f"skimage:{photo}")
    found = detector.detect(picture.pixels, top=100)
    builtin = detector.builtin()
    assert (found[0].label, builtin[0].label) == (label, label)
    assert found[0].score >= 0.6 and found[0].area > 0.3
    assert len(builtin) == 10 and len(found) == 100
    # The decoded top 100 starts with exactly the built-in op's top 10.
    for mine, theirs in zip(found, builtin):
        assert mine.class_id == theirs.class_id
        assert mine.score == pytest.approx(theirs.score, abs=1e-6)
        assert mine.box == pytest.approx(theirs.box, abs=1e-4)
    assert [d.score for d in found] == sorted((d.score for d in found), reverse=True)


# ---- the command line ----------------------------------------------------------------------------

def test_detect_command_draws_tables_and_records(zoo_model, tmp_path):
    image = tmp_path / "grey16.png"
    Image.fromarray(np.full((HEIGHT, WIDTH), 30000, np.uint16)).save(image)
    workdir = tmp_path / "runs"
    result = run_cli(["detect", str(image), "--model", str(zoo_model), "--top", "2", "--min-score", "0.05",
                      "--warm-runs", "2", "--workdir", str(workdir)], cli_env(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "16-bit" in result.stdout
    table = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    assert [line.split("|")[2].strip() for line in table[1:]] == ["person", "cup"]
    assert (workdir / "detect" / "grey16_fixed_detector.png").is_file()
    db = sqlite3.connect(workdir / "results.sqlite")
    assert db.execute("SELECT kind, status FROM runs").fetchall() == [("detect", "finished")]
    assert db.execute("SELECT variant, status FROM variants").fetchall() == [(str(zoo_model), "finished")]


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory, zoo_model):
    folder = tmp_path_factory.mktemp("bad")
    (folder / "notes.jpg").write_text("this is text, not a picture\n")
    good = folder / "good.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(good)
    (folder / "truncated.png").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    export_model(folder / "float_input", dtype="float32")
    export_model(folder / "no_scores", outputs=("detection_boxes", "detection_classes", "num_detections"))
    return folder, good


@pytest.mark.parametrize("case, expected", [
    ("missing", "no such image file"),
    ("notes.jpg", "is not an image file Pillow can read"),
    ("truncated.png", "is truncated or corrupt"),
    ("unknown-model", "unknown model 'yolo9000'. Expected one of ssd, faster-rcnn"),
    ("float_input", "does not have the TF2 Detection Zoo signature"),
    ("no_scores", "outputs detection_boxes, detection_classes, num_detections"),
    ("offline-hub", "is not in the TF Hub cache"),
])
def test_bad_input_is_one_line_and_exit_2(bad_inputs, tmp_path, case, expected):
    folder, good = bad_inputs
    image, model = str(good), None
    if case in ("missing", "notes.jpg", "truncated.png"):
        image = str(folder / case)
    elif case == "unknown-model":
        model = "yolo9000"
    elif case == "offline-hub":
        model = "faster-rcnn"
    else:
        model = str(folder / case)
    args = ["detect", image, "--workdir", str(tmp_path / "runs")] + (["--model", model] if model else [])
    env = cli_env(tmp_path, NNLAB_OFFLINE="1", TFHUB_CACHE_DIR=str(tmp_path / "empty-hub-cache"))
    result = run_cli(args, env, timeout=120)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr[-2000:]
    assert expected in lines[0]
    if case == "offline-hub":
        assert "resnet50_v1_640x640" in lines[0] and "empty-hub-cache" in lines[0] and "Fix:" in lines[0]
    assert not (tmp_path / "runs" / "results.sqlite").exists()


@needs_tflite
def test_a_successful_detect_keeps_stderr_for_problems(tmp_path):
    result = run_cli(["detect", "skimage:astronaut", "--model", "ssd-v1-tflite", "--workdir", str(tmp_path / "runs")],
                     cli_env(tmp_path), timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr == ""  # TFLite's "Created TensorFlow Lite XNNPACK delegate" INFO line included
    assert "person" in result.stdout


def test_a_file_that_is_not_a_tflite_model_is_refused(tmp_path):
    path = tmp_path / "detect.tflite"
    path.write_bytes(b"not a flatbuffer" * 64)
    with pytest.raises(UserError, match="is not a TFLite model the interpreter can load"):
        load_detector(str(path))


def test_image_option_for_other_lessons_is_refused(tmp_path):
    result = run_cli(["run", "fashion-mlp", "--image", "x.png"], cli_env(tmp_path), timeout=120)
    assert result.returncode == 2 and "--image is for the detection lesson" in result.stderr


def test_quick_lesson_offline_writes_its_report(tmp_path):
    workdir = tmp_path / "runs"
    env = cli_env(tmp_path, NNLAB_OFFLINE="1", TFHUB_CACHE_DIR=str(tmp_path / "empty-hub-cache"))
    result = run_cli(["run", "detection", "--quick", "--workdir", str(workdir)], env)
    assert result.returncode == 0, result.stderr[-2000:]
    report = (workdir / "detection" / "report.md").read_text()
    assert "| `ssd` " in report and "| `faster-rcnn` " in report and "unavailable:" in report
    assert "## Comparison on the same picture" in report and "## Review: YOLO" in report
    if tflite_path() is None:
        assert "No detector ran on this picture" in report
        return
    index = (workdir / "index.md").read_text()
    assert "2 detectors list their top 10 and top 100 objects on the same picture" in index
    assert "## `ssd-v1-tflite`: the top 10 and the top 100" in report
    for top in (10, 100):
        name = f"detections_ssd-v1-tflite_top{top}.png"
        assert f"]({name})" in report and (workdir / "detection" / name).stat().st_size > 10_000
    assert "| 1      | person " in report
    assert "reproduces the built-in top 10 on 10 of its first 10 rows" in report


def test_detect_is_listed_as_ready():
    from nnlab.catalog import find

    assert find("detection").status == "ready"
    with pytest.raises(UserError, match="unknown scikit-image sample"):
        read_picture("skimage:nope")
