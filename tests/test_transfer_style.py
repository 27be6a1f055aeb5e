"""transfer-style: the transfer builders (body, new head, freezing), the hand-written style losses against
their library twins, every style loss falling on small random weights, the VGG16 code path with
weights=None, `nnlab stylize`'s one-line errors, and the lesson's quick run end to end."""
from __future__ import annotations

from dataclasses import replace

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_models.conv import build_conv_net
from keras_models.style import style_extractor
from keras_models.transfer import (CaffePreprocessing, feature_extractor, set_base_trainable,
                                   trainable_count, with_new_head)
from nnlab.data.images import ImageClasses
from nnlab.data.pretrained import VGG16_NOTOP, local_weights
from tests.conftest import cli_env, linked_pngs_open, run_cli, table_after
from tf_raw.style import StyleWeights, content_loss, gram_matrix, style_loss, stylize, total_variation


def small_classifier(n_classes: int = 4, shape=(12, 12)) -> keras.Model:
    return build_conv_net(shape, n_classes, filters=(4, 8), kernel_sizes=(3,), dense_units=6, dropout=0.0)


def test_the_base_is_the_classifier_without_its_softmax_and_shares_its_weights():
    source = small_classifier()
    x = np.random.default_rng(0).random((3, 12, 12)).astype(np.float32)
    base = feature_extractor(source)
    assert base.output_shape == (None, 6)
    expected = keras.Model(source.inputs, source.get_layer("dense").output)(x)
    np.testing.assert_allclose(base(x), expected, atol=1e-6)
    target = with_new_head(base, 7)
    assert target.output_shape == (None, 7)
    # the new head's own weights, the base's copied ones
    np.testing.assert_array_equal(target.get_layer("base").get_layer("conv_1").kernel.numpy(),
                                  source.get_layer("conv_1").kernel.numpy())


def test_freezing_leaves_only_the_head_to_train_and_fit_keeps_the_base_fixed():
    target = with_new_head(feature_extractor(small_classifier()), 3)
    everything = trainable_count(target)
    set_base_trainable(target, False)
    assert trainable_count(target) == 6 * 3 + 3
    before = [w.numpy().copy() for w in target.get_layer("base").weights]
    target.compile(optimizer=keras.optimizers.Adam(0.1), loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(1)
    target.fit(rng.random((8, 12, 12)).astype(np.float32), rng.integers(0, 3, 8), epochs=2, verbose=0)
    for old, new in zip(before, target.get_layer("base").weights):
        np.testing.assert_array_equal(old, new.numpy())
    set_base_trainable(target, True)
    assert trainable_count(target) == everything
    with pytest.raises(ValueError, match="softmax layer is named 'classes'"):
        feature_extractor(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]))


def test_gram_matrix_equals_the_einsum_formulation_forward_and_gradient():
    features = tf.constant(np.random.default_rng(2).normal(size=(2, 5, 6, 4)), tf.float32)
    weights = tf.constant(np.random.default_rng(3).normal(size=(2, 4, 4)), tf.float32)

    def einsum_gram(f):
        return tf.einsum("bhwc,bhwd->bcd", f, f) / (5 * 6)

    np.testing.assert_allclose(gram_matrix(features), np.einsum("bhwc,bhwd->bcd", features.numpy(),
                                                                features.numpy()) / 30, rtol=1e-5, atol=1e-6)
    grads = []
    for gram in (gram_matrix, einsum_gram):
        with tf.GradientTape() as tape:
            tape.watch(features)
            value = tf.reduce_sum(gram(features) * weights)
        grads.append(tape.gradient(value, features).numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5, atol=1e-6)


def test_content_style_and_total_variation_losses_equal_their_twins():
    rng = np.random.default_rng(4)
    a, b = (tf.constant(rng.normal(size=(1, 3, 4, 2)), tf.float32) for _ in range(2))
    np.testing.assert_allclose(content_loss(a, b), keras.losses.MeanSquaredError()(a, b), rtol=1e-6)
    target = np.einsum("bhwc,bhwd->bcd", b.numpy(), b.numpy()) / 12
    expected = np.mean((np.einsum("bhwc,bhwd->bcd", a.numpy(), a.numpy()) / 12 - target) ** 2)
    np.testing.assert_allclose(style_loss([a, a], [target, target]), expected, rtol=1e-5)
    images = tf.constant(rng.uniform(0, 255, size=(2, 7, 5, 3)), tf.float32)
    np.testing.assert_allclose(total_variation(images), tf.image.total_variation(images), rtol=1e-6)
    for ours, twin in ((total_variation, tf.image.total_variation),):
        grads = []
        for fn in (ours, twin):
            with tf.GradientTape() as tape:
                tape.watch(images)
                total = tf.reduce_sum(fn(images))
            grads.append(tape.gradient(total, images).numpy())
        np.testing.assert_allclose(grads[0], grads[1], atol=1e-6)
    with pytest.raises(ValueError, match="one target Gram matrix per style layer"):
        style_loss([a], [target, target])


def test_every_style_loss_falls_while_the_picture_is_optimised_on_small_random_weights():
    keras.utils.set_random_seed(0)
    network = build_conv_net((24, 24, 3), 2, filters=(6, 8), kernel_sizes=(3,), dense_units=0, dropout=0.0)
    extractor = style_extractor(network, "conv_2", ["conv_1", "conv_2"],
                                keras.layers.Rescaling(1 / 255.0))
    # content: a smooth colour ramp; style: hard red-blue stripes; the start: uniform noise, unlike both
    content = np.linspace(0, 255, 24 * 24 * 3).reshape(24, 24, 3).astype(np.uint8)
    style = np.zeros((24, 24, 3), np.uint8)
    style[:, ::4, 0] = style[:, 2::4, 2] = 255
    result = stylize(extractor, content, style, steps=60, learning_rate=4.0, init="noise",
                     weights=StyleWeights(content=1.0, style=10.0, tv=1e-3))
    assert result.image.shape == (24, 24, 3) and result.image.dtype == np.uint8
    for name in ("content", "style", "tv", "total"):
        values = result.losses[name]
        assert len(values) == 60 and values[-1] < 0.8 * values[0], (name, values[0], values[-1])


def test_vgg16_code_path_on_tiny_images_with_random_weights():
    from lessons.transfer_style import Config, vgg16_training

    rng = np.random.default_rng(6)
    x = rng.random((6, 32, 32, 3)).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1, 2])
    tiny = ImageClasses(x, y, x[:3], y[:3], x[3:], y[3:], ("a", "b", "c"), dataset="tiny", sha256="0")
    config = replace(Config(), vgg_input_size=None, vgg_head_epochs=1, vgg_fine_epochs=1, batch_size=3)
    outcome = vgg16_training("fine-tuned", tiny, None, config, seed=0)
    frozen, everything = outcome.info["trainable"]
    assert frozen < everything and everything > 14_000_000   # VGG16's base: 14.7M parameters
    assert set(outcome.metrics) == {"train", "val", "test"} and outcome.info["epochs_run"] == 2


def test_caffe_preprocessing_equals_keras_vgg16_preprocess_input():
    x = np.random.default_rng(7).random((2, 4, 4, 3)).astype(np.float32)
    expected = keras.applications.vgg16.preprocess_input(x * 255.0)
    np.testing.assert_allclose(CaffePreprocessing()(x), expected, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(CaffePreprocessing(scale=1.0)(x * 255.0), expected, rtol=1e-5, atol=1e-4)


def test_vgg16_style_extractor_and_the_stylize_command_path_with_random_weights(tmp_path, capsys):
    from PIL import Image

    from keras_models.style import vgg16_style_extractor
    from nnlab.commands.stylize import StylizeOptions, run_stylize

    outputs = vgg16_style_extractor(None)(np.zeros((1, 32, 48, 3), np.float32))
    assert [tuple(o.shape) for o in outputs] == [(1, 2, 3, 512), (1, 32, 48, 64), (1, 16, 24, 128), (1, 8, 12, 256),
                                                  (1, 4, 6, 512), (1, 2, 3, 512)]
    out = run_stylize(StylizeOptions("skimage:astronaut", "skimage:brick", steps=2, size=32,
                                     out=tmp_path / "painted.png"), weights=None)
    assert Image.open(out).size == (32, 32) and "after 2 steps" in capsys.readouterr().out


def test_stylize_says_in_one_line_what_is_wrong(tmp_path):
    env = cli_env(tmp_path, NNLAB_OFFLINE="1", NNLAB_DATA_DIR=str(tmp_path / "empty"))
    bad = tmp_path / "bad.png"
    bad.write_text("not a picture")
    cases = {("skimage:astronaut", str(bad)): "is not an image file Pillow can read",
             (str(tmp_path / "missing.jpg"), "skimage:brick"): "no such image file",
             ("skimage:astronaut", "skimage:brick", "--out", str(tmp_path / "x.jpg")): "written as PNG",
             ("skimage:astronaut", "skimage:brick"): "VGG16 ImageNet weights"}
    for args, message in cases.items():
        result = run_cli(["stylize", *args, "--workdir", str(tmp_path / "runs")], env, timeout=120)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1 and message in lines[0], result.stderr[-500:]


def test_quick_run_reports_every_cell_the_plot_the_failure_grid_and_what_is_unavailable(tmp_path):
    workdir = tmp_path / "runs"
    env = cli_env(tmp_path, NNLAB_OFFLINE="1")
    result = run_cli(["run", "transfer-style", "--quick", "--workdir", str(workdir)], env, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    report_path = workdir / "transfer-style" / "report.md"
    report = report_path.read_text()
    assert {"accuracy_vs_labels.png", "curves_related.png", "curves_distant.png",
            "accuracy_vs_budget.png"} <= set(linked_pngs_open(report_path))
    rows = table_after(report, "### related:")
    assert [row[0].split(" ")[0] for row in rows[1:]] == ["*majority", "`scratch`", "`frozen`", "`fine-tuned`",
                                                          "`pixels-logreg`"]
    assert all("±" in cell for row in rows[2:] for cell in row[1:])
    assert len(table_after(report, "### Every cell")) == 1 + 2 * 4
    assert "(b) What makes transfer fail" in report and "(b') How much training the target gets" in report
    budget = table_after(report, "## (b') How much training")
    assert [c.split(" (")[0] for c in budget[0][2:]] == ["2 epochs, no cycling", "1 epoch", "2 epochs"]
    assert len(budget) == 1 + 2 * 3 and all("±" in cell for row in budget[1:] for cell in row[2:])
    assert "(b') related pair, against scratch by training budget:" in report
    models = list((workdir / "transfer-style" / "models").glob("source-*.keras"))
    assert len(models) == 3   # two converged sources and the under-trained one, each trained once
    if local_weights(VGG16_NOTOP) is None:
        assert "(c) VGG16 on CIFAR-10\n\nUnavailable here: VGG16 ImageNet weights" in report
        assert "(d) Neural style transfer\n\nUnavailable here:" in report
    assert "applies to a full run; this quick run:" in report
    assert ("fine-tuned beats scratch by more than the seed spread at 10 labels per class on both pairs and at 100 "
            "on the related pair") in (workdir / "index.md").read_text()
    again = run_cli(["run", "transfer-style", "--quick", "--workdir", str(workdir)], env, timeout=900)
    assert again.returncode == 0 and "trained 0, skipped" in again.stdout


def test_a_budget_counts_the_optimiser_updates_of_a_cycled_or_plain_epoch():
    from types import SimpleNamespace

    from lessons.transfer_style import Config, budget_grid, updates

    config = {"min_epoch_size": 1024, "batch_size": 64, "epochs": 10}
    cell = lambda **params: SimpleNamespace(config=config, params=params, info={"labelled": 100})  # noqa: E731
    assert updates(cell()) == 10 * 18                    # 100 images cycled 11 times: 1,100 rows, 18 batches
    assert updates(cell(epochs=2)) == 2 * 18
    assert updates(cell(epochs=10, cycled=False)) == 10 * 2   # the 100 images once: 2 batches an epoch
    names = [v.name for v in budget_grid(Config())]
    assert "distant-scratch-10-10ep-uncycled" in names and "related-fine-tuned-10-2ep" in names
    assert len(names) == 3 * 2 * 3
