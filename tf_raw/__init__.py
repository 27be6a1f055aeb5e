"""From-scratch implementations (raw TensorFlow ops and NumPy, never keras.layers), each with a test
that it equals its library twin."""
