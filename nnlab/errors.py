"""Errors a user can fix: the CLI prints them as one line and exits with status 2.

Everything else (a bug inside the package) is left to raise with its traceback.
"""


class UserError(Exception):
    """Bad input or a missing resource, with a message that names the fix."""


class DataError(UserError):
    """A dataset file is missing, unreachable or corrupt."""


class StoreError(UserError):
    """The results store or its folder cannot be used: missing, not a folder, read-only, damaged, or
    written by another version of nnlab."""
