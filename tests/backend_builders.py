"""Every keras_models builder on the Keras backend this process was started with (KERAS_BACKEND).

Run by tests/test_backends.py in a subprocess per backend, since Keras fixes its backend at import:
each builder builds a tiny model, trains one step on random data, is saved as `.keras`, loaded back,
and must predict what it predicted before saving. Prints one `ok NAME` line per builder.

    KERAS_BACKEND=jax python tests/backend_builders.py FOLDER
"""
from __future__ import annotations

import sys
from pathlib import Path

import keras
import numpy as np

from keras_models.conv import build_conv_net
from keras_models.dense import build_dense_net
from keras_models.dqn import build_q_network
from keras_models.gradients import float64, gradients
from keras_models.music import build_next_note_lstm
from keras_models.recurrent import build_recurrent_net
from keras_models.seq2seq import Translator, translation_loss
from keras_models.unet import bce_dice_loss, build_unet

RNG = np.random.default_rng(0)


def classes(n: int, k: int) -> np.ndarray:
    return RNG.integers(0, k, n)


def images(n: int, h: int, w: int, c: int = 1) -> np.ndarray:
    return RNG.random((n, h, w, c), dtype=np.float32)


def tokens(n: int, t: int, vocab: int) -> np.ndarray:
    return RNG.integers(1, vocab, (n, t))


def cases():
    """(name, model, x, y, compile arguments or None when the builder compiles)."""
    sparse = dict(optimizer="adam", loss="sparse_categorical_crossentropy")
    yield "dense", build_dense_net((6,), 3, [8]), RNG.random((8, 6), dtype=np.float32), classes(8, 3), sparse
    yield "conv", build_conv_net((12, 12, 1), 3, filters=(4, 8), kernel_sizes=(3, 3), dense_units=8,
                                 batch_norm=True), images(8, 12, 12), classes(8, 3), sparse
    yield "q-network", build_q_network(4, 2, (8,)), RNG.random((8, 4), dtype=np.float32), \
        RNG.random((8, 2), dtype=np.float32), None
    for cell in ("simple_rnn", "lstm", "gru"):
        yield f"recurrent-{cell}", build_recurrent_net(cell, 5, 2, 4), RNG.random((8, 5, 2), dtype=np.float32), \
            RNG.random((8, 1), dtype=np.float32), dict(optimizer="adam", loss="mse")
    notes = {"pitch": tokens(8, 4, 10), "step": tokens(8, 4, 3), "duration": tokens(8, 4, 3)}
    yield "next-note-lstm", build_next_note_lstm(4, 10, 3, 3, units=8, embedding_dim=4, feature_dim=2), notes, \
        {"pitch": classes(8, 10), "step": classes(8, 3), "duration": classes(8, 3)}, \
        dict(optimizer="adam", loss={k: "sparse_categorical_crossentropy" for k in notes})
    yield "unet", build_unet((16, 16, 1), depth=2, base_filters=4), images(4, 16, 16), \
        (images(4, 16, 16) > 0.5).astype("float32"), dict(optimizer="adam", loss=bce_dice_loss)
    for attention in ("none", "bahdanau", "luong"):
        source, target = tokens(8, 5, 12), tokens(8, 6, 9)
        yield f"translator-{attention}", Translator(12, 9, embedding_dim=4, units=8, attention=attention), \
            (source, target[:, :-1]), target[:, 1:], dict(optimizer="adam", loss=translation_loss())


def check_gradients() -> None:
    """keras_models.gradients on a float64 Dense layer against its closed form: for Σ (x W + b),
    ∂/∂x = 1 Wᵀ, ∂/∂W = xᵀ 1, ∂/∂b = n."""
    x = RNG.random((5, 3))
    with float64():
        layer = keras.layers.Dense(2, dtype="float64")
        layer.build((None, 3))
        dx, (dw, db) = gradients(layer, x, keras.ops.sum)
    kernel = keras.ops.convert_to_numpy(layer.kernel)
    np.testing.assert_allclose(dx, np.ones((5, 2)) @ kernel.T, atol=1e-12)
    np.testing.assert_allclose(dw, x.T @ np.ones((5, 2)), atol=1e-12)
    np.testing.assert_allclose(db, np.full(2, 5.0), atol=1e-12)
    print(f"ok gradients ({keras.backend.backend()}, float64 to 1e-12)", flush=True)


def main(folder: Path) -> None:
    check_gradients()
    for name, model, x, y, compiling in cases():
        if compiling is not None:
            model.compile(**compiling)
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        before = model.predict(x, verbose=0)
        path = folder / f"{name}.keras"
        model.save(path)
        loaded = keras.models.load_model(path, custom_objects={"bce_dice_loss": bce_dice_loss},
                                         compile=False)
        after = loaded.predict(x, verbose=0)
        for a, b in zip(keras.tree.flatten(before), keras.tree.flatten(after)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=name)
        print(f"ok {name} ({keras.backend.backend()}, {model.count_params()} parameters)", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
