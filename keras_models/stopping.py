"""Interrupting Keras training at a batch boundary instead of at an arbitrary bytecode.

Python runs a signal handler between two bytecodes of the main thread, wherever it happens to be. A
handler that raises KeyboardInterrupt there can land inside Keras's epoch iterator (a generator) or
TensorFlow's Python glue and leave them half-updated: bench/interrupt_stress.py saw a run end in
`ValueError: None values not supported` (exit 1) instead of a clean stop. So inside a `deferred()` block
(every `interruptible_fit`; a whole Keras Tuner search) `on_signal` only records the request, and
`stop_callback()` raises KeyboardInterrupt at the end of the current batch, where no library state is
mid-change (Keras Tuner's oracle.json and trial.json writes included); a request that comes after the
last batch is raised as the block ends. Outside such a block a signal raises at once, and a second
signal always does, so a user who insists is never kept waiting for a long batch.

A KeyboardInterrupt raised by the handler can also land where Python swallows exceptions: in a
garbage-collector callback (JAX registers one whenever it is imported) or a `__del__`, where Python only
prints "Exception ignored in ..." and goes on. CI caught a Ctrl-C during a report lost that way (exit 0).
So every signal is also counted: `signalled()` tells the caller, which raises it at its next safe point
(`nnlab.cli` once the command is done), and `quiet_unraisable` keeps those lost interrupts off stderr.

`request_stop(error)` stops the same way for another reason (a tuning worker that lost its chief).
Keras Tuner deep-copies the callbacks of every trial, so the request is module state, not an attribute.
Nothing here imports Keras at module level: the harness installs `on_signal` before TensorFlow loads.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

_STATE: dict[str, Any] = {"requested": False, "error": None, "deferring": 0, "signalled": False}


def on_signal(signum: int, frame: Any) -> None:
    """The SIGINT/SIGTERM handler: inside `deferred()`, wait for the next batch end; else interrupt now."""
    _STATE["signalled"] = True
    if _STATE["deferring"] and not _STATE["requested"]:
        _STATE["requested"] = True
        return
    raise KeyboardInterrupt(f"signal {signum}")


def request_stop(error: BaseException | None = None) -> None:
    """Stop at the next batch end (or the end of the `deferred()` block), raising `error` (default
    KeyboardInterrupt). Safe from any thread: it only sets the request."""
    _STATE["error"] = error
    _STATE["requested"] = True


def raise_if_requested() -> None:
    if _STATE["requested"]:
        raise _STATE["error"] or KeyboardInterrupt("stop requested")


def reset() -> None:
    _STATE.update(requested=False, error=None, signalled=False)


def signalled() -> bool:
    """Whether SIGINT or SIGTERM came since `reset()`, whether or not its KeyboardInterrupt got through."""
    return _STATE["signalled"]


def quiet_unraisable(unraisable: Any, *, fallback: Any = None) -> None:
    """A `sys.unraisablehook` that drops the KeyboardInterrupts of `on_signal` (the caller raises them again
    through `signalled()`) and hands anything else to `fallback` (Python's default hook)."""
    import sys

    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        return
    (fallback or sys.__unraisablehook__)(unraisable)


@contextmanager
def deferred() -> Iterator[None]:
    """While the block runs, interrupts wait for a batch boundary (see the module docstring)."""
    _STATE["deferring"] += 1
    try:
        yield
    finally:
        _STATE["deferring"] -= 1
    raise_if_requested()


def stop_callback():
    """A Keras callback raising the requested stop at the end of the batch during which it was requested."""
    import keras

    class StopAtBatchEnd(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            raise_if_requested()

        on_test_batch_end = on_predict_batch_end = on_train_batch_end

    return StopAtBatchEnd()


def interruptible_fit(model, *args, callbacks: list | None = None, **kwargs):
    """`model.fit(*args, **kwargs)` that Ctrl-C/SIGTERM stop at a batch boundary (see the module docstring)."""
    with deferred():
        return model.fit(*args, callbacks=[*(callbacks or []), stop_callback()], **kwargs)
