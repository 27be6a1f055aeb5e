"""`python -m nnlab ...` is the `nnlab` command."""
from nnlab.cli import entry

entry()
