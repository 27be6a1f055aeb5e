"""nnlab lessons: one module per lesson of the course, the harness they share, and the `nnlab` CLI."""
