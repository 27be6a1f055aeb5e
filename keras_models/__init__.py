"""Keras 3 model builders (keras.layers / keras.ops only: they run on TensorFlow, JAX and torch)."""
