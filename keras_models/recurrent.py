"""Recurrent networks over sequences: one recurrent layer (LSTM, GRU or SimpleRNN) and a Dense head."""
from __future__ import annotations

import keras
from keras import layers

CELLS = {"lstm": layers.LSTM, "gru": layers.GRU, "simple_rnn": layers.SimpleRNN}


def build_recurrent_net(cell: str, steps: int, n_features: int, units: int, *, n_outputs: int = 1,
                        output_activation: str | None = None, name: str | None = None) -> keras.Model:
    """(batch, steps, n_features) → cell(units), its last state → Dense(n_outputs, output_activation).

    With no output activation it is a forecaster (the next value); with "sigmoid" a binary classifier.
    """
    try:
        layer = CELLS[cell]
    except KeyError:
        raise ValueError(f"Expected a cell among {sorted(CELLS)}. Received: {cell!r}") from None
    inputs = keras.Input(shape=(steps, n_features))
    state = layer(units, name=cell)(inputs)
    outputs = layers.Dense(n_outputs, activation=output_activation, name="head")(state)
    return keras.Model(inputs, outputs, name=name or f"{cell}_net")
