"""The CLI's commands that are more than a call into the harness: `nnlab detect` and `nnlab translate`."""
