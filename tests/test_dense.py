"""Parameter-budget arithmetic of the depth sweep, checked against Keras's own count."""
from __future__ import annotations

import pytest

from keras_models.dense import build_dense_net, dense_param_count, width_for_budget


@pytest.mark.parametrize("layers", [2, 3, 5, 10])
def test_width_for_budget_keeps_the_budget_and_matches_keras(layers):
    budget = dense_param_count(784, [256], 10)
    width = width_for_budget(784, 10, layers, budget)
    count = dense_param_count(784, [width] * (layers - 1), 10)
    assert abs(count - budget) / budget < 0.01
    # the integer on the other side of the root is no closer
    for other in (width - 1, width + 1):
        assert abs(dense_param_count(784, [other] * (layers - 1), 10) - budget) >= abs(count - budget)
    model = build_dense_net((28, 28), 10, [width] * (layers - 1))
    assert model.count_params() == count
    assert len([layer for layer in model.layers if layer.__class__.__name__ == "Dense"]) == layers


def test_width_for_budget_rejects_a_net_without_hidden_layers():
    with pytest.raises(ValueError, match="Expected n_layers >= 2"):
        width_for_budget(784, 10, 1, 1000)
