"""Interrupting Keras training at a batch boundary instead of at an arbitrary bytecode.

Python runs a signal handler between two bytecodes of the main thread, wherever it happens to be. A
handler that raises KeyboardInterrupt there can land inside Keras's epoch iterator (a generator) or
TensorFlow's Python glue and leave them half-updated: bench/interrupt_stress.py saw a run end in
`ValueError: None values not supported` (exit 1) instead of a clean stop. So while `interruptible_fit`
runs, `on_signal` only records the request, and a callback raises KeyboardInterrupt at the end of the
current batch, where no library state is mid-change; outside a fit it raises at once. A second signal
always raises at once, so a user who insists is never kept waiting for a long batch.

Keras Tuner deep-copies the callbacks of every trial, so the request is module state, not an attribute.
Nothing here imports Keras at module level: the harness installs `on_signal` before TensorFlow loads.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

_STATE = {"requested": False, "fits": 0}


def on_signal(signum: int, frame: Any) -> None:
    """The SIGINT/SIGTERM handler: defer to the next batch end while a fit runs, else interrupt now."""
    if _STATE["fits"] and not _STATE["requested"]:
        _STATE["requested"] = True
        return
    raise KeyboardInterrupt(f"signal {signum}")


def stop_requested() -> bool:
    return _STATE["requested"]


def reset() -> None:
    _STATE["requested"] = False


@contextmanager
def batch_boundaries() -> Iterator[None]:
    """While the block runs (a fit with `stop_callback()` among its callbacks), interrupts wait for the end
    of a batch; one that came after the last batch is raised as the block ends."""
    _STATE["fits"] += 1
    try:
        yield
    finally:
        _STATE["fits"] -= 1
    if _STATE["requested"]:
        raise KeyboardInterrupt("stop requested")


def stop_callback():
    """A Keras callback raising KeyboardInterrupt at the end of the batch during which a stop was requested."""
    import keras

    class StopAtBatchEnd(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if _STATE["requested"]:
                raise KeyboardInterrupt("stop requested")

        on_test_batch_end = on_predict_batch_end = on_train_batch_end

    return StopAtBatchEnd()


def interruptible_fit(model, *args, callbacks: list | None = None, **kwargs):
    """`model.fit(*args, **kwargs)` that Ctrl-C/SIGTERM stop at a batch boundary (see the module docstring)."""
    with batch_boundaries():
        return model.fit(*args, callbacks=[*(callbacks or []), stop_callback()], **kwargs)
