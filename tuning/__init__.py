"""Keras Tuner searches over the lessons' model builders, recorded in the same results store."""
