"""fashion-cnn: parameter arithmetic against Keras, the sweeps' tables, the dense net read from the store."""
from __future__ import annotations

import pytest

from keras_models.conv import build_conv_net, conv_param_count
from reports.store import Store
from tests.conftest import cli_env, linked_pngs_open, run_cli, table_after


@pytest.mark.parametrize("shape, filters, kernels, dense, batch_norm, convs", [
    ((28, 28), [16, 32], [5, 3], 128, False, 1),
    ((28, 28), [32, 64, 128, 256], [5, 3], 128, False, 1),   # 4 blocks: 28 → 14 → 7 → 3 → 1
    ((8, 8), [32, 64, 128, 256], [5, 3], 64, False, 1),      # pooling stops at 1x1 on 8x8 digits
    ((32, 32, 3), [32, 64], [5, 3], 0, True, 1),              # colour input, batch norm, no dense layer
    ((32, 32, 3), [16, 32, 64], [3], 64, True, 2),            # VGG-style: two convs per block (cifar10)
])
def test_conv_param_count_equals_keras_count_params(shape, filters, kernels, dense, batch_norm, convs):
    model = build_conv_net(shape, 10, filters=filters, kernel_sizes=kernels, dense_units=dense,
                           batch_norm=batch_norm, convs_per_block=convs)
    assert conv_param_count(shape, 10, filters=filters, kernel_sizes=kernels, dense_units=dense,
                            batch_norm=batch_norm, convs_per_block=convs) == model.count_params()


def test_block_dropout_follows_every_pooling_and_adds_no_parameters():
    plain = build_conv_net((28, 28), 10, filters=[8, 16, 32])
    dropped = build_conv_net((28, 28), 10, filters=[8, 16, 32], block_dropout=0.25)
    names = [layer.name for layer in dropped.layers]
    for i in (1, 2, 3):
        assert names.index(f"pool_{i}_dropout") == names.index(f"pool_{i}") + 1
    assert dropped.count_params() == plain.count_params()


def test_bfloat16_precision_keeps_float32_weights_and_probabilities():
    import numpy as np

    model = build_conv_net((12, 12), 3, filters=[4, 8], dense_units=8, batch_norm=True, precision="mixed_bfloat16")
    conv = model.get_layer("conv_1")
    assert conv.compute_dtype == "bfloat16" and conv.variable_dtype == "float32"
    assert model.get_layer("classes").compute_dtype == "float32"
    probabilities = np.asarray(model.predict(np.random.default_rng(0).random((5, 12, 12)), verbose=0))
    assert probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)  # a float32 softmax sums to 1
    # the same weights in float32 give the same probabilities to bfloat16's rounding
    exact = build_conv_net((12, 12), 3, filters=[4, 8], dense_units=8, batch_norm=True)
    exact.set_weights(model.get_weights())
    x = np.random.default_rng(1).random((5, 12, 12)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), exact.predict(x, verbose=0), atol=0.03)
    assert model.count_params() == exact.count_params()


def test_quick_run_sweeps_width_and_depth_and_reads_the_dense_net_from_the_store(fashion_quick, tmp_path):
    workdir, _ = fashion_quick  # a quick fashion-mlp run is in this store already
    result = run_cli(["run", "fashion-cnn", "--quick", "--workdir", str(workdir)], cli_env(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    report_path = workdir / "fashion-cnn" / "report.md"
    report = report_path.read_text()
    width = table_after(report, "## (a) Width")
    assert [row[0] for row in width[1:]] == ["*baseline: majority-class*"] + [
        f"`width-x{m}`" for m in ("0.5", "1", "2", "4")]
    assert {"parameters", "s/epoch", "test acc"} <= set(width[0])
    depth = table_after(report, "## (b) Depth")
    assert [row[0] for row in depth[2:]] == ["`depth-1`", "`width-x1`", "`depth-3`", "`depth-4`"]

    regularised = table_after(report, "## (d) Regularisation")
    assert [row[0] for row in regularised[2:]] == ["`width-x1`"] + [
        f"`x1+{name}`" for name in ("batch-norm", "block-dropout", "augmentation", "all", "batch-norm+block-dropout")]
    assert regularised[-2][regularised[0].index("adds")] == "batch norm, block dropout 0.25, flips + shifts"

    vgg = table_after(report, "## (e) VGG")  # each VGG net after its one-convolution twin of (d)
    assert [row[0] for row in vgg[2:]] == ["`width-x1`", "`x1+batch-norm+block-dropout`",
                                           "`vgg-x1+batch-norm+block-dropout`", "`x1+block-dropout`",
                                           "`vgg-x1+block-dropout`"]
    assert [row[vgg[0].index("kernels")] for row in vgg[2:4]] == ["5x5 → 3x3", "5x5 → 3x3"]
    assert vgg[4][vgg[0].index("kernels")] == "2×3x3 → 2×3x3"

    pushed = table_after(report, "## (g) Pushed")  # a fixed budget of epochs, its cost in minutes
    # at --quick's 2 epochs the 36-epoch recipe is the 30-epoch one, and the two bfloat16 ones are one: each trained once
    assert [row[0] for row in pushed[2:]] == ["`vgg3+all+one-cycle+flip-tta`", "`vgg3+bn+aug+one-cycle+flip-tta`",
                                              "`vgg3+bn+aug+one-cycle-50+bf16+flip-tta`",
                                              "`vgg3+bn+aug+erase+one-cycle-50+bf16+flip-tta`"]
    assert pushed[2][pushed[0].index("kernels")] == "2×3x3 → 2×3x3 → 2×3x3"
    assert [row[pushed[0].index("arithmetic")] for row in pushed[2:]] == ["float32", "float32", "bfloat16", "bfloat16"]
    assert pushed[-1][pushed[0].index("adds")] == "batch norm, flips + shifts, random erasing"
    assert pushed[2][pushed[0].index("epochs")] == "2" and "training minutes" in pushed[0]
    assert "the push's target, ≥ 94.5% within 45 minutes: not judged on a quick run" in report

    store = Store.in_workdir(workdir)
    cnn = [r for r in store.records("fashion-cnn") if r.params.get("model") == "cnn"]
    mlp = [r for r in store.records("fashion-mlp") if r.experiment not in ("baseline", "peers")]
    store.close()
    printed = {row[0]: row[table[0].index("parameters")] for table in (width, depth, regularised, vgg, pushed)
               for row in table[1:]}
    for record in cnn:  # computed before the model existed == Keras's count of the trained model == printed
        assert record.params["parameters"] == record.info["parameters"]
        assert printed[f"`{record.variant}`"] == f"{record.info['parameters']:,}"
    best_mlp = max(mlp, key=lambda r: r.metric("val", "accuracy"))  # lesson 7's headline: chosen on validation
    dense = table_after(report, "## (c) Against")
    assert dense[2][0] == f"`fashion-mlp:{best_mlp.variant}`"
    assert dense[2][dense[0].index("test acc")] == f"{100 * best_mlp.metric('test', 'accuracy'):.2f}%"
    assert "read from the store" in report
    assert {"accuracy_width.png", "accuracy_depth.png", "curves_width.png",
            "accuracy_regularised.png", "accuracy_vgg.png", "curves_vgg.png"} <= set(linked_pngs_open(report_path))
    index = (workdir / "index.md").read_text()  # both lessons' rows, each with its own target
    assert "test accuracy ≥ 93.00%" in index and "test accuracy ≥ 89.50%" in index
