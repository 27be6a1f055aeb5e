"""Benchmark: the fashion MLP and CNN under TensorFlow and under JAX, in one run, alternating.

Keras fixes its backend at import, so each measurement is a subprocess (this script with --worker) with
KERAS_BACKEND set; the backends take turns, round after round, so a machine that gets busier part-way
through slows both alike. Each worker trains the lesson's model (fashion-mlp's 512-unit net with dropout
0.3, fashion-cnn's default conv net) on the same Fashion-MNIST split from the same seed for the same
epochs, timing each epoch after the first (which includes tracing / compiling) per step, and
scores the test set. Prints seconds per step for each backend (median over rounds), the JAX/TF ratio,
and test accuracy with its sampling error (√(p(1−p)/n)).

    python bench/backends.py [--train 60000] [--epochs 3] [--rounds 2] [--models mlp,cnn]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

BACKENDS = ("tensorflow", "jax")
BATCH = 128


def worker(model_name: str, train: int, epochs: int, seed: int) -> dict:
    import keras
    import numpy as np

    from keras_models.conv import build_conv_net
    from keras_models.dense import build_dense_net
    from nnlab.data.images import image_classes

    data = image_classes("fashion_mnist", quick=train < 54_000, seed=seed, quick_train=train, quick_test=None)
    x_train, x_test = data.x_train, data.x_test
    keras.utils.set_random_seed(seed)
    if model_name == "mlp":
        model = build_dense_net(x_train.shape[1:], data.n_classes, [512], dropout=0.3)
    else:
        x_train, x_test = x_train[..., None], x_test[..., None]
        model = build_conv_net(x_train.shape[1:], data.n_classes)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    class EpochTimer(keras.callbacks.Callback):
        """Whole epochs, not single steps: JAX dispatches asynchronously, so a step's wall time is only
        known when a result is read, which Keras does at the end of each epoch."""

        def __init__(self):
            super().__init__()
            self.per_step = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            if epoch > 0:  # the first epoch pays for tracing and compiling
                self.per_step.append((time.perf_counter() - self.start) / steps)

    steps = -(-len(x_train) // BATCH)
    timer = EpochTimer()
    model.fit(x_train, data.y_train, batch_size=BATCH, epochs=epochs, verbose=0, callbacks=[timer], shuffle=True)
    probabilities = model.predict(x_test, batch_size=1024, verbose=0)
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == data.y_test))
    return {"backend": keras.backend.backend(), "step_s": statistics.median(timer.per_step),
            "accuracy": accuracy, "n_test": int(len(data.y_test)), "train": int(len(data.y_train))}


def measure(model_name: str, backend: str, args) -> dict:
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
    command = [sys.executable, __file__, "--worker", model_name, "--train", str(args.train),
               "--epochs", str(args.epochs), "--seed", str(args.seed)]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"bench/backends: the {backend} worker failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=("mlp", "cnn"), default=None, help=argparse.SUPPRESS)
    parser.add_argument("--train", type=int, default=60_000, help="training images (default: all)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models", default="mlp,cnn")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.train, args.epochs, args.seed)))
        return
    for model_name in args.models.split(","):
        results = {b: [] for b in BACKENDS}
        for round_ in range(args.rounds):
            order = BACKENDS if round_ % 2 == 0 else BACKENDS[::-1]
            for backend in order:
                results[backend].append(measure(model_name, backend, args))
                print(f"bench/backends: {model_name} round {round_ + 1} {backend}: "
                      f"{1000 * results[backend][-1]['step_s']:.1f} ms/step", flush=True)
        step = {b: statistics.median(r["step_s"] for r in results[b]) for b in BACKENDS}
        ratio = step["jax"] / step["tensorflow"]
        faster = "TensorFlow" if ratio > 1 else "JAX"
        print(f"bench/backends: {model_name}: TensorFlow {1000 * step['tensorflow']:.1f} ms/step, JAX "
              f"{1000 * step['jax']:.1f} ms/step (median over {args.rounds} rounds); JAX/TF time ratio {ratio:.2f}: "
              f"{faster} is faster on this machine")
        for backend in BACKENDS:
            last = results[backend][-1]
            p, n = last["accuracy"], last["n_test"]
            print(f"bench/backends: {model_name} {backend}: test accuracy {100 * p:.2f}% ± "
                  f"{100 * (p * (1 - p) / n) ** 0.5:.2f} after {args.epochs} epochs on {last['train']:,} images")
        a, b = (results[k][-1]["accuracy"] for k in BACKENDS)
        se = ((a * (1 - a) + b * (1 - b)) / results["jax"][-1]["n_test"]) ** 0.5
        print(f"bench/backends: {model_name}: accuracy gap {100 * (b - a):+.2f} points, "
              f"{'within' if abs(a - b) <= 2 * se else 'OUTSIDE'} two sampling errors ({200 * se:.2f})")
    from importlib.metadata import version

    print(f"bench/backends: conditions: {os.cpu_count()} CPUs, batch {BATCH}, seed {args.seed}, "
          f"{args.train:,} training images, seconds per step = epoch wall time / steps over epochs 2 to "
          f"{args.epochs} (the first traces and compiles); Keras {version('keras')}, TensorFlow "
          f"{version('tensorflow')}, JAX {version('jax')}")


if __name__ == "__main__":
    main()
