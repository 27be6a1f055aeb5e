"""tf_raw.two_layer: backprop against numerical gradients, forward against the Keras twin, learning."""
from __future__ import annotations

import numpy as np
import pytest

from tf_raw.two_layer import DenseNetwork, softmax

GRADIENT_TOLERANCE = 1e-6   # relative error, float64
STEP = 1e-6                 # central-difference step


def numerical_gradient(network: DenseNetwork, x: np.ndarray, y: np.ndarray, array: np.ndarray) -> np.ndarray:
    """(loss(θ + h) - loss(θ - h)) / 2h for every entry θ of `array` (a kernel or bias of `network`)."""
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        saved = array[index]
        array[index] = saved + STEP
        up = network.loss(x, y)
        array[index] = saved - STEP
        down = network.loss(x, y)
        array[index] = saved
        grad[index] = (up - down) / (2 * STEP)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-30))


@pytest.mark.parametrize("hidden, activation", [([6], "sigmoid"), ([6], "tanh"), ([5, 4], "gelu"),
                                                ([5, 4, 3], "swish"), ([6], "relu")])
def test_backprop_passes_the_numerical_gradient_check(hidden, activation):
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(12, 4)), rng.integers(0, 3, size=12)
    network = DenseNetwork(4, hidden, 3, activation=activation, seed=1)
    for bias in network.biases:  # non-zero biases, so their gradients are checked at a generic point
        bias += rng.normal(0.0, 0.1, bias.shape)
    _, grads = network.gradients(x, y)
    for layer, (d_kernel, d_bias) in enumerate(grads):
        assert relative_error(d_kernel, numerical_gradient(network, x, y, network.kernels[layer])) \
            < GRADIENT_TOLERANCE, f"kernel of layer {layer + 1}"
        assert relative_error(d_bias, numerical_gradient(network, x, y, network.biases[layer])) \
            < GRADIENT_TOLERANCE, f"bias of layer {layer + 1}"


def test_a_wrong_gradient_fails_the_check():
    """The check can fail: drop the activation derivative from backprop and the error is far above tolerance."""
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(12, 4)), rng.integers(0, 3, size=12)
    network = DenseNetwork(4, [6], 3, activation="sigmoid", seed=1)
    _, grads = network.gradients(x, y)
    p, cache = network.forward(x)
    delta = p.copy()
    delta[np.arange(len(y)), y] -= 1.0
    wrong = cache[0][0].T @ ((delta / len(y)) @ network.kernels[1].T)  # f'(z) left out
    assert relative_error(wrong, grads[0][0]) > 0.1


def test_forward_equals_keras_with_the_same_weights():
    from keras_models.dense import build_dense_net

    network = DenseNetwork(64, [16, 8], 10, activation="tanh", seed=3, dtype=np.float32)
    model = build_dense_net((64,), 10, [16, 8], activation="tanh")
    dense = [layer for layer in model.layers if layer.__class__.__name__ == "Dense"]
    for layer, kernel, bias in zip(dense, network.kernels, network.biases):
        layer.set_weights([kernel, bias])
    x = np.random.default_rng(0).random((32, 64), dtype=np.float32)
    np.testing.assert_allclose(network.predict_proba(x), model.predict(x, verbose=0), atol=1e-6)


def test_softmax_is_stable_for_huge_logits():
    p = softmax(np.array([[1000.0, 0.0, -1000.0], [5.0, 5.0, 5.0]]))
    np.testing.assert_allclose(p, [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])


def test_sgd_learns_digits():
    from nnlab.data.images import bundled_digits

    data = bundled_digits(seed=0)
    x, x_test = data.x_train.reshape(len(data.x_train), -1), data.x_test.reshape(len(data.x_test), -1)
    network = DenseNetwork(64, [32], 10, activation="relu", seed=0)
    history = network.fit(x, data.y_train, epochs=10, batch_size=32, learning_rate=0.1, seed=0)
    assert history["loss"][-1] < history["loss"][0]
    assert np.mean(network.predict(x_test) == data.y_test) > 0.9
    assert set(history) >= {"loss", "accuracy", "grad_layer_1", "grad_layer_2"}
