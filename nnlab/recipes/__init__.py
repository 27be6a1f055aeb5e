"""Training recipes several lessons share: a Keras classifier or regressor, a NumPy network, baselines."""
