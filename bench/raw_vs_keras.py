"""Benchmark: raw TensorFlow training steps against their Keras twins, and the raw CNN's full-run accuracy.

1. Step time. In one process, on one Fashion-MNIST batch, the training step (forward, gradients, Adam
   update) of each raw net and of its Keras twin (same initial weights), after warm-up, in alternating
   blocks so that background load hits both alike; the median time per step of each and the ratio
   raw/Keras. Targets (COURSE.md): ≤ 1.2 for the MLP and for the CNN on tf.nn.conv2d; the CNN on the
   first-principles convolution (patches + matmul) is printed for comparison, without a target.
   The raw step is tf_raw.training.make_train_step (tf.function); the Keras step is
   Model.train_on_batch after compile() with Keras's defaults (jit_compile="auto").
2. Accuracy. The raw CNN of lesson raw-networks trained on all 54,000 training images for the lesson's
   epochs, then scored on the 10,000 test images. Target: ≥ 90%.

    NNLAB_DATA_DIR=<offline copy, optional> python bench/raw_vs_keras.py [--steps 40] [--skip-accuracy] [--seed 0]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

from common import conditions


def alternate(steps: dict, *, warmup: int, rounds: int, block: int) -> dict[str, float]:
    """Median seconds per step of each callable, timed in blocks of `block` steps, alternating order."""
    for step in steps.values():
        for _ in range(warmup):
            step()
    times = {name: [] for name in steps}
    names = list(steps)
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            start = time.perf_counter()
            for _ in range(block):
                steps[name]()
            times[name].append((time.perf_counter() - start) / block)
    return {name: statistics.median(values) for name, values in times.items()}


def step_pair(raw, twin, x, y, learning_rate: float):
    """(raw step, Keras step) on the same batch, from the same initial weights."""
    import keras
    import tensorflow as tf

    from tf_raw.optimizers import Adam
    from tf_raw.training import make_train_step

    raw.build(x.shape[1:])
    twin.set_weights(raw.get_weights())
    twin.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                 metrics=["accuracy"])
    train_step = make_train_step(raw, Adam(learning_rate))
    xt, yt = tf.constant(x), tf.constant(y)
    return (lambda: float(train_step(xt, yt)[0])), (lambda: twin.train_on_batch(x, y))


def main() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="timed blocks per net (each of 5 steps)")
    parser.add_argument("--skip-accuracy", action="store_true", help="only the step-time ratios")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import keras

    from keras_models.conv import build_conv_net
    from keras_models.dense import build_dense_net
    from lessons import raw_networks
    from nnlab.data.images import image_classes
    from nnlab.runner import RunOptions
    from tf_raw import models
    from tf_raw.conv import PatchConv2D

    config = raw_networks.make_config(RunOptions(seed=args.seed))
    data = image_classes("fashion_mnist", quick=False, seed=args.seed, val_fraction=config.val_fraction)
    x, y = data.x_train[:config.batch_size], data.y_train[:config.batch_size]
    cnn = dict(filters=config.cnn_filters, kernel_sizes=config.cnn_kernels, dense_units=config.cnn_dense,
               dropout=config.cnn_dropout)
    nets = {
        "MLP": (lambda: models.dense_net(10, config.mlp_hidden),
                lambda: build_dense_net(data.input_shape, 10, config.mlp_hidden), x),
        "CNN (tf.nn.conv2d)": (lambda: models.conv_net(10, **cnn),
                               lambda: build_conv_net((*data.input_shape, 1), 10, **cnn), x[..., None]),
        "CNN (patches + matmul)": (lambda: models.conv_net(10, conv=PatchConv2D, **cnn),
                                   lambda: build_conv_net((*data.input_shape, 1), 10, **cnn), x[..., None]),
    }
    print(f"bench/raw_vs_keras: step time on one batch of {config.batch_size} Fashion-MNIST images, Adam "
          f"{config.learning_rate:g}; median of {args.steps} alternating blocks of 5 steps after 10 warm-up steps "
          f"({conditions(args.seed)})")
    for name, (make_raw, make_keras, batch) in nets.items():
        keras.utils.set_random_seed(args.seed)
        raw_step, keras_step = step_pair(make_raw(), make_keras(), batch, y, config.learning_rate)
        median = alternate({"raw": raw_step, "keras": keras_step}, warmup=10, rounds=2 * args.steps, block=5)
        ratio = median["raw"] / median["keras"]
        target = "" if "patches" in name else \
            f", target ≤ {raw_networks.TARGET_STEP_RATIO}: {'met' if ratio <= raw_networks.TARGET_STEP_RATIO else 'NOT met'}"
        print(f"bench/raw_vs_keras: {name:<24} raw {1000 * median['raw']:7.2f} ms/step, Keras "
              f"{1000 * median['keras']:7.2f} ms/step, ratio raw/Keras {ratio:.2f}{target}", flush=True)

    if args.skip_accuracy:
        return
    variant = next(v for v in raw_networks.grid(config, data) if v.name == "cnn-raw")
    keras.utils.set_random_seed(args.seed)
    start = time.perf_counter()
    outcome = raw_networks.train(variant, data, config, args.seed)
    wall = time.perf_counter() - start
    accuracy, target = outcome.metrics["test"]["accuracy"], raw_networks.TARGET_CNN_TEST_ACCURACY
    print(f"bench/raw_vs_keras: raw CNN test accuracy {100 * accuracy:.2f}% after {config.epochs} epochs on "
          f"{len(data.y_train):,} images, target ≥ {100 * target:.0f}%: {'met' if accuracy >= target else 'NOT met'} "
          f"(wall {wall:.0f} s, {outcome.info['seconds_per_epoch']:.1f} s/epoch; {conditions(args.seed)})")


if __name__ == "__main__":
    main()
