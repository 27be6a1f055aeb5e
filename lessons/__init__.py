"""The lessons of the course, one module each; `nnlab.contract.Lesson` is what every module provides."""
